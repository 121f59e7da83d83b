package index

// ArtifactsRead counts the builds whose artifact a statement read, for the tests.
func (s *Source) ArtifactsRead() int64 { return s.asked.Load() }

// The artifact statement and its path pattern, for the benchmark's baseline that runs the
// Source's statements directly with pgx.
var (
	ArtifactsSQL = artifactsSQL
	PathPattern  = pathPattern
)

// SmallBytes is the largest content one artifact statement of a batch carries.
const SmallBytes = smallBytes

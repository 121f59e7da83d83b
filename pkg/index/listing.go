package index

import (
	"context"
	"sort"
	"time"
	"unsafe"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/query"
)

// listedBytes is what one kept build is reckoned to cost, for how many are kept: the
// Build (184 bytes on 64-bit platforms), its origin, and a name of up to 72 bytes.
const listedBytes = 320

// jobListing is a job's listing as a Source keeps it (see kept): the job's builds timed
// from since on, newest first, with the origin of each.
type jobListing struct {
	since   time.Time
	builds  []query.Build
	origins []query.Origin // each listed build's; zero when it has no evaluation and no commit
	cut     bool           // more builds were timed from since on than were kept
	read    string         // the statement, as shown
	bytes   int64
}

func (l *jobListing) Size() int64     { return l.bytes }
func (l *jobListing) from() time.Time { return l.since }

// listingSQL lists a job's builds timed from since on, newest first, at most limit, by the
// same indexes as buildsSQL.
func listingSQL(job query.JobRef, since time.Time, limit int) (string, []any) {
	var p params
	sql := `SELECT ` + listCols(job) + ` FROM nixci.builds b WHERE ` + jobWhere(job, &p) + ` AND b.time >= ` + p.add(since) +
		newestFirst + ` LIMIT ` + p.add(limit)
	return sql, p
}

// listing returns the job's listing at change n from since on, kept or read now.
func (s *Source) listing(ctx context.Context, n int64, job query.JobRef, since time.Time) (*jobListing, bool, error) {
	return recall(ctx, s, n, "builds\x00"+jobKey(job), micro(since), func(ctx context.Context, since time.Time) (*jobListing, error) {
		sql, args := listingSQL(job, since, s.maxListed+1)
		l := &jobListing{since: since, read: shown(sql, args...)}
		var err error
		l.builds, err = s.scanBuilds(ctx, "listing the builds of "+job.String(), sql, args, job, s.maxListed+1, &l.origins)
		if err != nil {
			return nil, err
		}
		if len(l.builds) > s.maxListed {
			l.builds, l.origins, l.cut = l.builds[:s.maxListed], l.origins[:s.maxListed], true
		}
		l.bytes = int64(len(l.builds))*int64(unsafe.Sizeof(query.Build{})+unsafe.Sizeof(query.Origin{})) + int64(len(l.read))
		for i := range l.builds {
			l.bytes += int64(len(l.builds[i].NixName))
		}
		return l, nil
	})
}

// window is what buildsSQL returns for w, cut from the kept listing (a copy: the caller
// may change it); ok is false when w reaches past the builds kept.
func (l *jobListing) window(w query.Window) (query.Listing, bool) {
	lo, hi, ok := inWindow(len(l.builds), func(i int) time.Time { return l.builds[i].Timestamp }, w, l.cut)
	if !ok {
		return query.Listing{}, false
	}
	out := query.Listing{Truncated: hi-lo > w.Limit}
	out.Builds = append([]query.Build(nil), l.builds[lo:min(hi, lo+w.Limit)]...)
	return out, true
}

// find returns where build b is in the listing, by its time and id: first just after
// hint, as builds asked for in the listing's order are, else by bisection.
func (l *jobListing) find(b query.Build, hint int) (int, bool) {
	from := func(i int) bool { // the i-th build is b or listed after it
		c := l.builds[i].Timestamp.Compare(b.Timestamp)
		return c < 0 || c == 0 && l.builds[i].ID <= b.ID
	}
	i := max(hint, 0)
	for ; i < len(l.builds) && i < hint+16 && !from(i); i++ {
	}
	if i >= len(l.builds) || !from(i) || i > 0 && from(i-1) {
		i = sort.Search(len(l.builds), from)
	}
	return i, i < len(l.builds) && l.builds[i].ID == b.ID
}

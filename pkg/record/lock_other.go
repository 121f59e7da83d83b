//go:build !unix

package record

import "os"

// lockFile relies on O_APPEND alone where flock does not exist.
func lockFile(*os.File) error { return nil }

// syscallNoFollow is not available here; ReadCopy's Lstat check stands alone.
const syscallNoFollow = 0

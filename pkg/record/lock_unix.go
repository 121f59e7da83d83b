//go:build unix

package record

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f, released when f is closed.
func lockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }

// syscallNoFollow makes opening a kept copy fail if it was replaced by a symlink.
const syscallNoFollow = syscall.O_NOFOLLOW

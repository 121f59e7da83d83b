//go:build linux

package nixstore

import (
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// beneath reads files below one directory (the store) with one openat2(2) each: the kernel
// resolves the whole path and refuses any resolution that leaves the directory
// (RESOLVE_BENEATH: no "..", no absolute symlink, no symlink leading out) or passes a /proc
// magic link. os.Root gives the same guarantee one path component at a time, at three
// system calls or more per file, which made opening files most of a first query's time
// (two files per build: hydra-build-products, then the product). What beneath does not
// answer (an absolute symlink, a kernel without openat2) is read the portable way.
type beneath struct {
	mu  sync.RWMutex
	fd  int // the directory, opened O_PATH; -1 when closed or not opened
	off atomic.Bool
}

// Linux's openat2 interface (include/uapi/linux/openat2.h), which package syscall lacks.
const (
	sysOpenat2          = 437 // the same number on every architecture
	oPath               = 0x200000
	resolveNoMagicLinks = 0x02
	resolveBeneath      = 0x08
)

type openHow struct{ flags, mode, resolve uint64 }

// openBeneath opens dir for reads below it; when that fails every read is slow.
func openBeneath(dir string) *beneath {
	fd, err := syscall.Open(dir, oPath|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		fd = -1
	}
	return &beneath{fd: fd}
}

// close releases the directory; reads after it are slow (and then fail as the source's do).
func (b *beneath) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fd >= 0 {
		_ = syscall.Close(b.fd)
		b.fd = -1
	}
}

// open opens rel below the directory read-only, never blocking (a FIFO) and never taking
// a terminal.
func (b *beneath) open(rel string) (int, syscall.Errno) {
	p, err := syscall.BytePtrFromString(rel)
	if err != nil {
		return -1, syscall.EINVAL
	}
	how := openHow{flags: syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK | syscall.O_NOCTTY,
		resolve: resolveBeneath | resolveNoMagicLinks}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.fd < 0 {
		return -1, syscall.EBADF
	}
	for {
		fd, _, e := syscall.Syscall6(sysOpenat2, uintptr(b.fd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
		if e != syscall.EINTR {
			return int(fd), e
		}
	}
}

// read reads rel, a path relative to the directory, as readFile does: a regular file of at
// most max bytes. Any outcome but the file's bytes, its absence, or it being no regular
// file or too large is readSlow, for the caller to read the file the portable way.
func (b *beneath) read(rel string, max int64) ([]byte, int64, readResult) {
	if b.off.Load() {
		return nil, 0, readSlow
	}
	fd, e := b.open(rel)
	switch e {
	case 0:
	case syscall.ENOENT:
		return nil, 0, readMissing
	case syscall.ENOSYS, syscall.EPERM, syscall.E2BIG, syscall.EINVAL: // no openat2 here (an old kernel, a seccomp filter)
		b.off.Store(true)
		return nil, 0, readSlow
	default: // a symlink RESOLVE_BENEATH refuses, or an error the slow way explains
		return nil, 0, readSlow
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, 0, readSlow
	}
	switch {
	case st.Mode&syscall.S_IFMT != syscall.S_IFREG:
		return nil, 0, readNotRegular
	case st.Size > max:
		return nil, st.Size, readTooLarge
	}
	// Store files never change: the size read is the size to read.
	body := make([]byte, st.Size)
	for got := 0; got < len(body); {
		n, err := syscall.Read(fd, body[got:])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil || n <= 0:
			return nil, 0, readSlow
		}
		got += n
	}
	return body, st.Size, readDone
}

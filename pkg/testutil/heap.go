package testutil

import "runtime"

// LiveHeap is the heap in use after a full collection: the bytes still reachable.
func LiveHeap() int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC() // the first collection may leave finalizer-freed objects for the second
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

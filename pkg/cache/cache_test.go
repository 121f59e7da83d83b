package cache

import (
	"context"
	"errors"
	"fmt"
	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/testutil"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestNeverExceedsItsByteBound(t *testing.T) {
	c := New(64 << 10)
	for i := range 10_000 {
		c.Set(fmt.Sprintf("k%d", i), make([]byte, 1000+i%500), 0)
		if s := c.Stats(); s.Bytes > s.MaxBytes {
			t.Fatalf("after %d sets the cache holds %d bytes, over its bound %d", i, s.Bytes, s.MaxBytes)
		}
	}
	s := c.Stats()
	if s.Evicted == 0 || s.Entries == 0 {
		t.Fatalf("expected evictions and a non-empty cache, got %+v", s)
	}
	if _, ok := c.Get("k9999"); !ok {
		t.Fatal("the newest entry was evicted")
	}
	if _, ok := c.Get("k0"); ok {
		t.Fatal("the oldest entry survived 10,000 newer ones")
	}
}

func TestRefusesValuesOverAQuarterOfTheBound(t *testing.T) {
	c := New(4000)
	c.Set("small", make([]byte, 100), 0)
	c.Set("huge", make([]byte, 2000), 0)
	if _, ok := c.Get("huge"); ok {
		t.Fatal("a value over a quarter of the bound was stored")
	}
	if _, ok := c.Get("small"); !ok {
		t.Fatal("storing a huge value flushed a small one")
	}
}

func TestExpiry(t *testing.T) {
	c := New(1 << 20)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	c.Set("a", "x", time.Second)
	c.Set("b", "y", 0)
	now = now.Add(2 * time.Second)
	if _, ok := c.Get("a"); ok {
		t.Fatal("expired entry returned")
	}
	if _, ok := c.Get("b"); !ok {
		t.Fatal("entry without ttl expired")
	}
	if s := c.Stats(); s.Entries != 1 {
		t.Fatalf("expired entry still accounted: %+v", s)
	}
}

func TestLoadCallsOnceForConcurrentCallers(t *testing.T) {
	c := New(1 << 20)
	var calls atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.Load(context.Background(), "k", 0, func(context.Context) (any, bool, error) {
				calls.Add(1)
				<-release
				return "v", true, nil
			})
			if err != nil || v != "v" {
				t.Errorf("got %v, %v", v, err)
			}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("loader ran %d times for 50 concurrent callers", n)
	}
	if _, err := c.Load(context.Background(), "k", 0, func(context.Context) (any, bool, error) {
		t.Fatal("loader ran although the value is cached")
		return nil, false, nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDoesNotCacheErrorsOrUnstoredValues(t *testing.T) {
	c := New(1 << 20)
	boom := errors.New("boom")
	if _, err := c.Load(context.Background(), "e", 0, func(context.Context) (any, bool, error) { return nil, true, boom }); !errors.Is(err, boom) {
		t.Fatalf("error not returned: %v", err)
	}
	if _, ok := c.Get("e"); ok {
		t.Fatal("an error result was cached")
	}
	_, _ = c.Load(context.Background(), "u", 0, func(context.Context) (any, bool, error) { return "x", false, nil })
	if _, ok := c.Get("u"); ok {
		t.Fatal("a value the loader asked not to store was cached")
	}
}

func TestLoadReturnsWhenTheCallerGivesUp(t *testing.T) {
	c := New(1 << 20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	release := make(chan struct{})
	defer close(release)
	_, err := c.Load(ctx, "slow", 0, func(context.Context) (any, bool, error) {
		<-release
		return "late", true, nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
}

func TestLoadIsCancelledWhenEveryCallerGivesUp(t *testing.T) {
	c := New(1 << 20)
	cancelled := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(10 * time.Millisecond)
		cancel()
	}()
	_, err := c.Load(ctx, "k", 0, func(lctx context.Context) (any, bool, error) {
		<-lctx.Done()
		close(cancelled)
		return nil, false, lctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want canceled, got %v", err)
	}
	select {
	case <-cancelled:
	case <-time.After(2 * time.Second):
		t.Fatal("the load went on after its only caller gave up")
	}
	// a later caller starts a fresh load instead of joining the cancelled one
	v, err := c.Load(context.Background(), "k", 0, func(context.Context) (any, bool, error) { return "fresh", true, nil })
	if err != nil || v != "fresh" {
		t.Fatalf("got %v, %v", v, err)
	}
}

func TestLoadGoesOnWhileAnotherCallerWaits(t *testing.T) {
	c := New(1 << 20)
	release := make(chan struct{})
	started := make(chan struct{})
	load := func(lctx context.Context) (any, bool, error) {
		close(started)
		select {
		case <-release:
			return "v", true, nil
		case <-lctx.Done():
			return nil, false, lctx.Err()
		}
	}
	impatient, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 1)
	go func() { _, err := c.Load(impatient, "k", 0, load); errs <- err }()
	<-started
	patient := make(chan any, 1)
	go func() {
		v, _ := c.Load(context.Background(), "k", 0, func(context.Context) (any, bool, error) {
			t.Error("a second load ran for a key already loading")
			return nil, false, nil
		})
		patient <- v
	}()
	waitFor(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.calls["k"] != nil && c.calls["k"].waiters == 2
	})
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("impatient caller: %v", err)
	}
	close(release)
	if v := <-patient; v != "v" {
		t.Fatalf("the patient caller got %v: the shared load was cancelled under it", v)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
	}
}

func TestGetBatchFindsLiveEntriesOnly(t *testing.T) {
	c := New(1 << 20)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	c.Set("k1", []byte("one"), 0)
	c.Set("k3", []byte("three"), time.Second)
	c.Set("k4", []byte("four"), time.Minute)
	now = now.Add(2 * time.Second) // k3 expired
	got := map[int]string{}
	c.GetBatch(5, func(i int, buf []byte) []byte { return fmt.Appendf(buf, "k%d", i) },
		func(i int, v any) { got[i] = string(v.([]byte)) })
	if len(got) != 2 || got[1] != "one" || got[4] != "four" {
		t.Fatalf("batch found %v, want k1 and k4 only", got)
	}
	if s := c.Stats(); s.Hits != 2 || s.Misses != 3 || s.Entries != 2 {
		t.Fatalf("stats %+v: the expired entry should be dropped and counted as a miss", s)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		c.GetBatch(5, func(i int, buf []byte) []byte { return append(buf, 'k', byte('0'+i)) }, func(int, any) {})
	}); allocs > 1 {
		t.Fatalf("a batch allocates %.0f times, want at most its one buffer", allocs)
	}
}

// TestAccountsWhatItKeeps compares what the cache accounts with what it keeps on the heap,
// for entries of a few sizes and for byte slices with spare capacity (io.ReadAll returns
// 512 bytes of array for a small body): the bound must hold for memory, not just for a count.
func TestAccountsWhatItKeeps(t *testing.T) {
	const n = 20_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("raw\x00%d\x00bench.json", 1_000_000+i)
	}
	for _, v := range []struct{ len, cap int }{{16, 16}, {150, 150}, {150, 512}, {2000, 2048}} {
		t.Run(fmt.Sprintf("len=%d/cap=%d", v.len, v.cap), func(t *testing.T) {
			c := New(1 << 40)
			before := testutil.LiveHeap()
			for _, k := range keys {
				c.Set(k, make([]byte, v.len, v.cap), 0)
			}
			kept := testutil.LiveHeap() - before
			accounted := c.Stats().Bytes
			runtime.KeepAlive(c)
			if float64(kept) > 1.1*float64(accounted) {
				t.Fatalf("%d entries keep %d bytes on the heap but are accounted as %d", n, kept, accounted)
			}
			if float64(accounted) > 1.5*float64(kept) {
				t.Fatalf("%d entries are accounted as %d bytes but keep only %d: the bound wastes memory", n, accounted, kept)
			}
		})
	}
}

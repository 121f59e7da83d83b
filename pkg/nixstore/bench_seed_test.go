package nixstore

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// writeOutputs writes the files of outs into the store a few outputs at a time (the
// benchmark's 100,000 outputs take minutes one by one); st.add registers them after.
func writeOutputs(tb testing.TB, st *synthStore, outs []output) {
	tb.Helper()
	next := make(chan output)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range next {
				if err := writeOutput(st.storePath(o.name), o.files); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, o := range outs {
		next <- o
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatal(err)
	default:
	}
}

// writeOutput creates the output directory p and its files, each directory once.
func writeOutput(p string, files map[string]string) error {
	made := map[string]bool{}
	for f, body := range files {
		file := filepath.Join(p, f)
		for _, d := range []string{p, filepath.Dir(file)} {
			if !made[d] {
				if err := os.Mkdir(d, 0o755); err != nil && !os.IsExist(err) {
					return err
				}
				made[d] = true
			}
		}
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

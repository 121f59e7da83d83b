package recorder

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/nixci-artifacts/nixci-artifacts-datasource/pkg/record"
)

// Sink is the shared index that records are delivered to (index.DB implements it).
type Sink interface {
	WriteBuild(ctx context.Context, r record.Record) (int64, error)
	WriteEval(ctx context.Context, e record.Eval) (int64, error)
}

// Recorder keeps builds and evals in the local journal and, when a Sink is set, delivers
// them to it through the spool. Nothing it is given is lost: what cannot be delivered now
// stays spooled for the next call or for Flush.
type Recorder struct {
	Journal *record.Journal // the local journal; nil keeps none
	Names   *Names          // where imported evals' names are kept; nil keeps none
	Spool   *Spool          // required with Sink
	Sink    Sink            // nil: local journal only
	Log     func(format string, args ...any)
	Retry   int // spooled entries retried per call after the new one (default 50)
}

func (r *Recorder) logf(format string, args ...any) {
	if r.Log != nil {
		r.Log(format, args...)
	}
}

// Build keeps one build: in the journal, then in the index. The error says what failed;
// whatever could be kept was.
func (r *Recorder) Build(ctx context.Context, rec record.Record) error {
	if err := rec.Validate(); err != nil {
		return err
	}
	var errs []error
	if r.Journal != nil {
		if err := r.Journal.AppendBuild(rec); err != nil {
			errs = append(errs, fmt.Errorf("local journal %s: %w", r.Journal.Dir(), err))
		}
	}
	if r.Sink != nil {
		errs = append(errs, r.deliver(ctx, record.Entry{Kind: record.KindBuild, Build: &rec}))
	}
	return errors.Join(errs...)
}

// Eval keeps one imported evaluation: its names, the journal, then the index.
func (r *Recorder) Eval(ctx context.Context, e record.Eval) error {
	var errs []error
	if r.Names != nil {
		errs = append(errs, r.Names.Put(e))
	}
	if r.Journal != nil {
		if err := r.Journal.AppendEval(e); err != nil {
			errs = append(errs, fmt.Errorf("local journal %s: %w", r.Journal.Dir(), err))
		}
	}
	if r.Sink != nil {
		errs = append(errs, r.deliver(ctx, record.Entry{Kind: record.KindEval, Eval: &e}))
	}
	return errors.Join(errs...)
}

// deliver spools e, then delivers it and up to Retry older spooled entries.
func (r *Recorder) deliver(ctx context.Context, e record.Entry) error {
	file, err := r.Spool.Put(e)
	if err != nil {
		// Not even spooled: try to deliver it directly so that it is not lost.
		if derr := r.send(ctx, e); derr != nil {
			return fmt.Errorf("%v; and delivering it failed too: %w", err, derr)
		}
		return nil
	}
	if err := r.sendFile(ctx, file); err != nil {
		return fmt.Errorf("not delivered to the index, kept in %s for a retry (nixci-artifacts flush): %w", file, err)
	}
	retry := r.Retry
	if retry == 0 {
		retry = 50
	}
	if _, _, err := r.flush(ctx, retry); err != nil {
		r.logf("older spooled entries are still pending: %v", err)
	}
	return nil
}

// Flush delivers every spooled entry, oldest first, until one fails to be delivered.
func (r *Recorder) Flush(ctx context.Context) (delivered, pending int, err error) {
	return r.flush(ctx, -1)
}

func (r *Recorder) flush(ctx context.Context, max int) (delivered, pending int, err error) {
	if r.Sink == nil {
		return 0, 0, errors.New("no index database to deliver to: give --database")
	}
	files, err := r.Spool.Pending()
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for i, f := range files {
		if max >= 0 && i >= max {
			break
		}
		err := r.sendFile(ctx, f)
		switch {
		case errors.Is(err, ErrBadSpoolFile):
			errs = append(errs, err)
		case errors.Is(err, os.ErrNotExist):
			// delivered by another process meanwhile
		case err != nil:
			left, _ := r.Spool.Pending()
			return delivered, len(left), errors.Join(append(errs, err)...)
		default:
			delivered++
		}
	}
	left, _ := r.Spool.Pending()
	return delivered, len(left), errors.Join(errs...)
}

// sendFile delivers one spooled file and removes it. Another process delivering the same
// file at once is harmless: writes are idempotent by key.
func (r *Recorder) sendFile(ctx context.Context, file string) error {
	e, err := r.Spool.Load(file)
	if err != nil {
		return err
	}
	if err := r.send(ctx, e); err != nil {
		return err
	}
	return r.Spool.Done(file)
}

func (r *Recorder) send(ctx context.Context, e record.Entry) error {
	var err error
	if e.Kind == record.KindEval {
		_, err = r.Sink.WriteEval(ctx, *e.Eval)
	} else {
		_, err = r.Sink.WriteBuild(ctx, *e.Build)
	}
	return err
}

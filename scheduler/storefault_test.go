package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/scheduler"
	"github.com/feedloom/feedloom/storage"
)

// fullStore is a real store whose disk can be made full: Ingest then fails
// as storage fails on SQLITE_FULL.
type fullStore struct {
	scheduler.Store
	full atomic.Bool
}

func (s *fullStore) Ingest(ctx context.Context, source string, st feeds.SourceState, arts []feeds.Article, now time.Time) (feeds.IngestResult, error) {
	if s.full.Load() {
		return feeds.IngestResult{}, fmt.Errorf("ingest %s: %w", source, storage.ErrDiskFull)
	}
	return s.Store.Ingest(ctx, source, st, arts, now)
}

// A full disk is not the source's fault: the fetch fails, labelled as a
// local store failure, but the source is not backed off and no error is
// stored on it, so once space is freed a plain pass fetches and stores it.
func TestStoreFaultDoesNotBackOff(t *testing.T) {
	o := newOrigin(t)
	o.handle("/f", serveDoc(okDoc(), `"v1"`))
	fs := &fullStore{}
	e := newEnv(t, []feeds.Source{src("f", o.URL+"/f")}, func(opt *scheduler.Options, _ *scheduler.Settings, _ *fetch.Options) {
		fs.Store = opt.Store
		opt.Store = fs
	})
	fs.full.Store(true)
	r := e.once(false)["f"]
	if !errors.Is(r.Err, feeds.ErrStoreFault) || !errors.Is(r.Err, storage.ErrDiskFull) {
		t.Fatalf("fetch on a full disk: %+v, want a store fault", r)
	}
	if st := e.state("f"); st.Failures != 0 || st.LastError != "" || !st.NextAttempt.IsZero() || st.ETag != "" {
		t.Errorf("state after a local failure %+v: want no failure, error, backoff or validators recorded", st)
	}
	fs.full.Store(false)
	r = e.once(false)["f"]
	if r.Skipped || r.Err != nil || r.New != 1 {
		t.Fatalf("pass after space was freed: %+v, want the source fetched and its article stored", r)
	}
	if hits := o.hit("/f"); hits != 2 {
		t.Errorf("origin saw %d requests, want 2", hits)
	}
}

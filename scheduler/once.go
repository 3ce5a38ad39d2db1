package scheduler

import (
	"context"
	"fmt"
	"sync"

	"github.com/feedloom/feedloom/feeds"
)

// RunOnce is one ingest pass now, for `feedloom fetch`: the named sources
// (all when names is empty) go through the same per-source path as the
// daemon's ticks, in the same bounded pool. Sources in backoff, waiting out
// a Retry-After or the feed's own hints, or Gone, are skipped and reported
// (Result.Skipped, Reason, Until) unless force. Unknown names are an error
// before anything is fetched. progress, when not nil, is called after every
// source, one call at a time. Results come back in the order of names (or
// of the configured sources); a source's failure is in its Result, not in
// the returned error.
func (sc *Scheduler) RunOnce(ctx context.Context, names []string, force bool, progress func(Progress)) ([]Result, error) {
	set := sc.settings()
	var picked []feeds.Source
	if len(names) == 0 {
		picked = set.Sources
	} else {
		var unknown []string
		seen := map[string]bool{}
		for _, n := range names {
			src, ok := set.byName[n]
			switch {
			case !ok:
				unknown = append(unknown, n)
			case !seen[n]:
				seen[n] = true
				picked = append(picked, src)
			}
		}
		if len(unknown) > 0 {
			return nil, fmt.Errorf("%w: %q", ErrUnknownSource, unknown)
		}
	}
	if err := sc.store.SyncSources(ctx, set.Sources); err != nil {
		return nil, fmt.Errorf("sync sources: %w", err)
	}
	if err := sc.BuildIndex(ctx); err != nil {
		return nil, err
	}
	// Every source's state in one query, not one each: a read transaction
	// per source re-reads the pages the pass's own writes have just
	// changed, which dominates a pass where every feed answers 304. The state
	// is read a moment earlier than the fetch; in this process nothing
	// else fetches these sources meanwhile (no cron runs beside RunOnce).
	states, err := sc.store.SourceStates(ctx)
	if err != nil {
		return nil, fmt.Errorf("read source states: %w", err)
	}
	stateOf := make(map[string]*feeds.SourceState, len(states))
	for i := range states {
		stateOf[states[i].Name] = &states[i]
	}

	results := make([]Result, len(picked))
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		p  = Progress{Total: len(picked)}
	)
	for i, src := range picked {
		wg.Go(func() {
			known := stateOf[src.Name]
			if known == nil { // not stored yet: runSource starts it afresh
				known = &feeds.SourceState{}
			}
			r := sc.runSource(ctx, src.Name, force, known)
			results[i] = r
			mu.Lock()
			defer mu.Unlock()
			p.Done++
			p.New += r.New
			if r.Failing() {
				p.Errors++
			}
			p.Last = r
			if progress != nil {
				progress(p)
			}
		})
	}
	wg.Wait()
	// Normally written by the last source to finish; this catches a
	// failed save.
	if err := sc.saveUnsaved(ctx); err != nil {
		sc.log.Warn("related update failed", "error", err)
	}
	return results, nil
}

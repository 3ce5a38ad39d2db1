package scheduler

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/related"
)

// pendingChunk bounds how many lists one SaveRelated call writes when
// BuildIndex catches up, so write transactions stay short even when every
// list is pending.
const pendingChunk = 1000

// BuildIndex fills the related index from the store, then computes every
// list that is stored as pending: articles ingested by another process, or
// whose list was not saved because the daemon died between Ingest and
// SaveRelated. Call it before Run; RunOnce and the first ingest call it
// themselves if nobody did. Calling it again rebuilds nothing.
func (sc *Scheduler) BuildIndex(ctx context.Context) error {
	if sc.rel.index == nil {
		return nil
	}
	sc.rel.mu.Lock()
	defer sc.rel.mu.Unlock()
	return sc.buildLocked(ctx)
}

func (sc *Scheduler) buildLocked(ctx context.Context) error {
	if sc.rel.indexBuilt {
		return nil
	}
	began := time.Now()
	n := 0
	set := sc.settings()
	err := sc.store.EachArticleTags(ctx, func(e feeds.IndexEntry) error {
		sc.put(set, e)
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("build related index: %w", err)
	}
	// The index now holds every commit up to the read, and perhaps later
	// ones: an ingest that committed before now is read back, not taken
	// from its description.
	sc.applyLocked(sc.store.WriteSeq(), nil, true)
	pending, err := sc.store.PendingRelated(ctx)
	if err != nil {
		return fmt.Errorf("pending related lists: %w", err)
	}
	// The stored lists are sound: Adopt keeps them and marks them stale
	// for the background rescore, so a restart costs a load rather than a
	// Rebuild (minutes at a million articles). Only the pending articles,
	// stored by a run that died before relating them, are computed now,
	// with the lists they now belong in.
	sc.rel.index.Adopt()
	if len(pending) > 0 {
		save := sc.rel.index.Refresh(pending, nil)
		ids := slices.Sorted(maps.Keys(save))
		for chunk := range slices.Chunk(ids, pendingChunk) {
			part := make(map[int64][]feeds.RelatedPost, len(chunk))
			for _, id := range chunk {
				part[id] = save[id]
			}
			if err := sc.store.SaveRelated(ctx, part); err != nil {
				return fmt.Errorf("save pending related lists: %w", err)
			}
		}
	}
	sc.rel.indexBuilt = true
	sc.log.Info("related index built", "articles", n, "pending", len(pending),
		"duration", time.Since(began).Round(time.Millisecond))
	return nil
}

// put indexes one article under what related posts compare of it: its key
// terms and its tags but for source tags (tag.Tagger.RelateKeys).
func (sc *Scheduler) put(set *settings, e feeds.IndexEntry) {
	sc.rel.index.Put(e.ID, e.Published, e.TitleKey, set.Tagger.RelateKeys(e.Tags, e.Terms, set.sourceTags))
}

// relate puts the articles an ingest changed into the index and marks every
// list that changed because of them dirty. Put and Refresh run under
// sc.rel.mu, in one order, so a list is never computed before another
// fetch's newcomers; dirty lists are written together by saveUnsaved (a
// group commit: a list that several feeds touch is written once, and one
// transaction serves many feeds), at once when a bound below is reached,
// else when the last fetch in flight finishes.
//
// The articles the ingest changed come described in ir.Described, as its
// commit left them; a description is used unless a later commit that
// changed or deleted that article already reached the index (applied), since
// it would undo that change (another feed merged a copy into the article
// meanwhile); such an article is read back from the store.
func (sc *Scheduler) relate(ctx context.Context, ir feeds.IngestResult) error {
	if sc.rel.index == nil || len(ir.Changed) == 0 && len(ir.Merged) == 0 {
		return nil
	}
	began := time.Now()
	sc.rel.mu.Lock()
	if err := sc.buildLocked(ctx); err != nil {
		sc.rel.mu.Unlock()
		return err // the build reads the store, which already holds changed
	}
	set := sc.settings()
	present := make([]int64, 0, len(ir.Changed)) // pruned in the meantime: absent
	read := ir.Changed
	if later, ok := sc.changedAfter(ir.Seq); ok && len(ir.Described) > 0 {
		known := make(map[int64]bool, len(ir.Described))
		for _, e := range ir.Described {
			if later[e.ID] {
				continue
			}
			sc.put(set, e)
			present = append(present, e.ID)
			known[e.ID] = true
		}
		read = make([]int64, 0, len(ir.Changed)-len(known))
		for _, id := range ir.Changed {
			if !known[id] {
				read = append(read, id)
			}
		}
	}
	sc.applyLocked(ir.Seq, append(slices.Clip(ir.Changed), ir.Merged...), false)
	if len(read) > 0 {
		err := sc.store.ArticleTagsByIDs(ctx, read, func(e feeds.IndexEntry) error {
			sc.put(set, e)
			present = append(present, e.ID)
			return nil
		})
		if err != nil {
			sc.rel.mu.Unlock()
			return fmt.Errorf("load changed articles: %w", err)
		}
	}
	sc.forgetLocked(ir.Merged) // gone: never write their lists
	sc.queueLocked(sc.rel.index.RefreshIDs(present, ir.Merged), false)
	sc.queueLocked(present, true)
	now := sc.now()
	all := len(sc.rel.dirty) > 0 && now.Sub(sc.rel.dirtySince) >= staleLag
	due := all || sc.rel.urgent >= flushLists || sc.rel.urgent > 0 && now.Sub(sc.rel.urgentSince) >= flushLag
	sc.rel.mu.Unlock()

	if due {
		if err := sc.save(ctx, !all); err != nil {
			return err
		}
	}
	sc.metrics.relateTook(time.Since(began))
	return nil
}

// While other fetches are being stored, the lists a fetch changed wait in
// dirty instead of being written at once: in a burst most lists change
// again within the next few fetches, and only the last version needs
// writing. The
// lists of the articles an ingest changed itself (new ones have no stored
// list yet: they are pending) are written when flushLag has passed since
// the first of them waits, or when flushLists of them wait. Other lists,
// which only gained or lost a neighbour and whose stored version is still
// sound, wait for staleLag, or for the last fetch in flight to finish
// (runSource), whichever comes first; so does anything a failed save left
// (rescore's loop retries it too). Letting the neighbours' lists wait
// longer than the changed articles' own is what saves most writes: they
// are the many, and the ones that change again soonest.
const (
	flushLists = 10_000
	flushLag   = time.Second
	staleLag   = 15 * time.Second
)

// saveChunk bounds the lists one transaction writes, and so the memory of
// a save (the lists and SQLite's dirty pages) and with it the daemon's
// peak RSS in a burst.
const saveChunk = 10_000

// saveUnsaved writes the current list of every dirty article.
func (sc *Scheduler) saveUnsaved(ctx context.Context) error { return sc.save(ctx, false) }

// save writes the current list of every dirty article, or of the urgent
// ones only, in transactions of at most saveChunk lists. Lists that fail to
// be written stay dirty (as urgent) for the next save; new articles among
// them stay pending in the store too, so a restart computes them.
func (sc *Scheduler) save(ctx context.Context, urgentOnly bool) error {
	sc.rel.saveMu.Lock()
	defer sc.rel.saveMu.Unlock()
	sc.rel.mu.Lock()
	var ids []int64
	for id, urgent := range sc.rel.dirty {
		if urgent || !urgentOnly {
			ids = append(ids, id)
		}
	}
	sc.forgetLocked(ids)
	sc.rel.mu.Unlock()
	slices.Sort(ids) // neighbouring rows in one transaction
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), saveChunk)]
		// Read under sc.rel.mu: no Refresh runs between taking the ids and
		// reading their lists, so a list changed later is dirty again.
		sc.rel.mu.Lock()
		lists := sc.rel.index.Lists(chunk)
		sc.rel.mu.Unlock()
		if err := sc.store.SaveRelated(ctx, lists); err != nil {
			sc.queue(ids)
			return fmt.Errorf("save related lists: %w", err)
		}
		ids = ids[len(chunk):]
	}
	return nil
}

// queue marks ids dirty and urgent.
func (sc *Scheduler) queue(ids []int64) {
	sc.rel.mu.Lock()
	defer sc.rel.mu.Unlock()
	sc.queueLocked(ids, true)
}

// Retain applies the retention settings now: expired articles are deleted
// in batches, removed from the related index and from every stored list
// that held them. It returns how many articles were deleted. Run calls it
// every Settings.RetentionEvery; `feedloom prune` may call it directly.
func (sc *Scheduler) Retain(ctx context.Context) (int, error) {
	r := sc.settings().Retention
	if r.MaxAge <= 0 && r.MaxPerSource <= 0 {
		return 0, nil
	}
	total := 0
	// Prune may delete one batch per call or all of them; loop while full
	// batches come back, with a bound in case a store reports oddly.
	for range 10_000 {
		deleted, err := sc.store.Prune(ctx, r.MaxAge, r.MaxPerSource, sc.now(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("retention: %w", err)
		}
		total += len(deleted)
		sc.metrics.retained(len(deleted))
		if err := sc.unrelate(ctx, deleted); err != nil {
			return total, err
		}
		if len(deleted) < pruneBatch {
			break
		}
	}
	if total > 0 {
		sc.log.Info("retention", "deleted", total, "max_age", r.MaxAge, "max_per_source", r.MaxPerSource)
	}
	return total, nil
}

// unrelate removes deleted articles from the index and saves the lists
// that lost them.
func (sc *Scheduler) unrelate(ctx context.Context, deleted []int64) error {
	if sc.rel.index == nil || len(deleted) == 0 {
		return nil
	}
	sc.rel.mu.Lock()
	if !sc.rel.indexBuilt {
		sc.rel.mu.Unlock()
		return nil // the build reads the store, which no longer has them
	}
	began := time.Now()
	// An ingest that committed before the prune must not put back, from
	// its description, an article the prune deleted.
	sc.applyLocked(sc.store.WriteSeq(), deleted, false)
	sc.queueLocked(sc.rel.index.RefreshIDs(nil, deleted), false)
	sc.forgetLocked(deleted) // never write a list for an article that is gone
	sc.rel.mu.Unlock()
	if err := sc.saveUnsaved(ctx); err != nil {
		return fmt.Errorf("after retention: %w", err)
	}
	sc.metrics.relateTook(time.Since(began))
	return nil
}

// queueLocked marks the lists of ids dirty, and urgent if urgent is set;
// sc.rel.mu must be held.
func (sc *Scheduler) queueLocked(ids []int64, urgent bool) {
	if len(ids) == 0 {
		return
	}
	if sc.rel.dirty == nil {
		sc.rel.dirty = make(map[int64]bool, len(ids))
	}
	now := sc.now()
	if len(sc.rel.dirty) == 0 {
		sc.rel.dirtySince = now
	}
	for _, id := range ids {
		was, ok := sc.rel.dirty[id]
		if !ok || urgent && !was {
			sc.rel.dirty[id] = urgent || was
			if urgent {
				if sc.rel.urgent == 0 {
					sc.rel.urgentSince = now
				}
				sc.rel.urgent++
			}
		}
	}
}

// forgetLocked takes ids out of dirty; sc.rel.mu must be held.
func (sc *Scheduler) forgetLocked(ids []int64) {
	for _, id := range ids {
		if urgent, ok := sc.rel.dirty[id]; ok {
			if urgent {
				sc.rel.urgent--
			}
			delete(sc.rel.dirty, id)
		}
	}
	if len(sc.rel.dirty) == 0 {
		sc.rel.dirtySince = time.Time{}
	}
}

// sortedNames returns the keys of m in order, for deterministic loops.
func sortedNames[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// rescore recomputes lists left stale by a new weight generation of the
// index, a batch at a time, releasing the lock between batches so ingests
// go first. Run calls it periodically; stale lists are still sound, this
// only brings them to the current weights.
func (sc *Scheduler) rescore(ctx context.Context) error {
	if sc.rel.index == nil {
		return nil
	}
	for ctx.Err() == nil {
		sc.rel.mu.Lock()
		if !sc.rel.indexBuilt {
			sc.rel.mu.Unlock()
			return nil
		}
		lists := sc.rel.index.Rescore(rescoreBatch)
		sc.queueLocked(slices.Collect(maps.Keys(lists)), false)
		sc.rel.mu.Unlock()
		if err := sc.saveUnsaved(ctx); err != nil {
			return fmt.Errorf("rescore: %w", err)
		}
		if len(lists) < rescoreBatch {
			return nil
		}
	}
	return ctx.Err()
}

// rescoreBatch is how many stale lists one rescore step recomputes.
const rescoreBatch = 500

// appliedKept is how many applied writes changedAfter can look back on;
// the writes committed but not yet related are at most the fetches in
// flight.
const appliedKept = 256

// relater is the related index and its write-behind: the lists the index
// changed that are not yet stored, and which writes reached it.
type relater struct {
	index *related.Index
	mu    sync.Mutex // Put+Refresh, and taking dirty lists, in one order
	// dirty holds the articles whose list changed in the index and is not
	// yet written, since dirtySince; true marks an article an ingest
	// changed itself (urgent: its own list is due, see relate), the first
	// of those since urgentSince, urgent of them in all. Guarded by mu.
	// saveMu lets one save run at a time, and whoever holds it writes
	// every list dirtied meanwhile (group commit).
	dirty       map[int64]bool
	dirtySince  time.Time
	urgentSince time.Time
	urgent      int
	// applied are the latest writes whose changes reached the index, in
	// the order they did; appliedFloor the newest seq dropped from it.
	// Guarded by mu.
	applied      []appliedWrite
	appliedFloor int64
	saveMu       sync.Mutex
	indexBuilt   bool
}

// appliedWrite is a write whose changes reached the index: the articles it
// changed or deleted, or every article (a build read the whole store).
type appliedWrite struct {
	seq int64
	ids []int64
	all bool
}

// applyLocked records that the changes of write seq reached the index;
// sc.rel.mu must be held.
func (sc *Scheduler) applyLocked(seq int64, ids []int64, all bool) {
	if len(sc.rel.applied) == appliedKept {
		sc.rel.appliedFloor = max(sc.rel.appliedFloor, sc.rel.applied[0].seq)
		sc.rel.applied = slices.Delete(sc.rel.applied, 0, 1)
	}
	sc.rel.applied = append(sc.rel.applied, appliedWrite{seq: seq, ids: ids, all: all})
}

// changedAfter returns the articles that writes later than seq changed and
// that already reached the index; ok is false when that cannot be told
// (a build, or writes no longer recorded) and nothing may be trusted.
func (sc *Scheduler) changedAfter(seq int64) (later map[int64]bool, ok bool) {
	if seq < sc.rel.appliedFloor {
		return nil, false
	}
	later = map[int64]bool{}
	for _, w := range sc.rel.applied {
		if w.seq <= seq {
			continue
		}
		if w.all {
			return nil, false
		}
		for _, id := range w.ids {
			later[id] = true
		}
	}
	return later, true
}

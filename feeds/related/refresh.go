package related

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/feedloom/feedloom/feeds"
)

// Refresh brings the lists up to date after Put and Remove and returns every
// list that changed, keyed by article id, for storage.SaveRelated: the lists
// of the articles put since the last Refresh and of the ids in changed (even
// when they were not put again), and of every existing article whose list
// now includes one of them or lost a removed or changed one. Ids in removed
// that are still indexed are removed first; unknown ids are ignored.
//
// A newcomer X is computed with one query; its candidates B are exactly the
// articles X is a candidate of (the relation and the score are symmetric),
// so X enters B's fresh list in place when it ranks in it. Only when X's
// title is near-identical to an entry ranked below it (the greedy skip could
// cascade), or B lost an entry, is B's list recomputed with a full query.
// Refresh may first start a new weight generation (see the package doc).
func (ix *Index) Refresh(changed, removed []int64) map[int64][]feeds.RelatedPost {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := ix.refresh(changed, removed)
	res := make(map[int64][]feeds.RelatedPost, len(out))
	for _, s := range out {
		res[ix.arts[s].id] = ix.posts(s, ix.listOf(s))
	}
	return res
}

// RefreshIDs is Refresh returning only the ids whose list changed, for a
// caller that saves the lists later (Lists) and would waste the posts.
func (ix *Index) RefreshIDs(changed, removed []int64) []int64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	out := ix.refresh(changed, removed)
	ids := make([]int64, len(out))
	for i, s := range out {
		ids[i] = ix.arts[s].id
	}
	return ids
}

// Lists returns the current lists of ids as storage.SaveRelated needs them
// (ArticleID and Score), skipping ids not indexed and lists not held in
// memory (adopted from the store and not recomputed since).
func (ix *Index) Lists(ids []int64) map[int64][]feeds.RelatedPost {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	res := make(map[int64][]feeds.RelatedPost, len(ids))
	for _, id := range ids {
		s, ok := ix.slot[id]
		if !ok || ix.arts[s].flags&flagHeld != 0 {
			continue
		}
		list := ix.listOf(s)
		posts := make([]feeds.RelatedPost, len(list))
		for i, b := range list {
			e := ix.entry(s, b)
			posts[i] = feeds.RelatedPost{ArticleID: e.id, Score: e.score}
		}
		res[id] = posts
	}
	return res
}

// refresh is Refresh under the write lock, returning the changed slots.
func (ix *Index) refresh(changed, removed []int64) []int32 {
	for _, id := range removed {
		if s, ok := ix.slot[id]; ok {
			ix.remove(s)
		}
	}
	for _, id := range changed {
		if s, ok := ix.slot[id]; ok {
			ix.markNew(s)
		}
	}
	if ix.o.Reweigh > 0 && ix.churn >= max(int(ix.o.Reweigh*float64(ix.snapN)), reweighFloor) {
		ix.reweigh()
	}
	sc := ix.getScratch()
	defer ix.putScratch(sc)
	var out []int32
	for _, x := range ix.pendNew {
		a := &ix.arts[x]
		if a.flags&flagNew == 0 {
			continue
		}
		a.flags &^= flagNew | flagRe
		ix.gather(x, sc)
		ix.setList(x, ix.selectTop(sc))
		out = ix.markOut(out, x)
		for i := range sc.cands {
			c := &sc.cands[i]
			b := &ix.arts[c.slot]
			switch {
			case b.flags&(flagNew|flagRe) != 0:
				// computed in full later in this Refresh
			case b.flags&flagHeld != 0:
				// adopted: only the store has the list, compute it now
				ix.markRe(c.slot)
			case int(b.nList) == ix.o.Limit && c.score < b.thr:
				// ranks below b's full list: offer's first test, made
				// here for most of a newcomer's candidates
			default:
				// A stale list (older generation) takes x in place too,
				// ranked against its entries under the current weights,
				// and stays stale: Rescore recomputes it, and until then
				// it is a sound list that includes the newcomer. (A full
				// recompute here would be most of a bulk ingest's
				// relating: while a store grows, a generation starts at
				// every 10% of growth.)
				switch ix.offer(c.slot, x, c.score) {
				case offerChanged:
					out = ix.markOut(out, c.slot)
				case offerRecompute:
					ix.markRe(c.slot)
				}
			}
		}
	}
	ix.pendNew = ix.pendNew[:0]
	for _, s := range ix.pendRe {
		a := &ix.arts[s]
		if a.flags&flagRe == 0 {
			continue
		}
		a.flags &^= flagRe
		ix.recompute(s, sc)
		out = ix.markOut(out, s)
	}
	ix.pendRe = ix.pendRe[:0]
	ix.drained()
	for _, s := range out {
		ix.arts[s].flags &^= flagOut
	}
	return out
}

func (ix *Index) markOut(out []int32, s int32) []int32 {
	a := &ix.arts[s]
	if a.flags&flagOut != 0 {
		return out
	}
	a.flags |= flagOut
	return append(out, s)
}

func (ix *Index) recompute(s int32, sc *scratch) {
	ix.gather(s, sc)
	ix.setList(s, ix.selectTop(sc))
}

// setList stores s's list, computed under the current generation.
func (ix *Index) setList(s int32, top []cand) {
	L := ix.o.Limit
	a := &ix.arts[s]
	l := ix.lists[int(s)*L : int(s)*L+L]
	ix.dropList(s)
	for i := range top {
		l[i] = top[i].slot
		ix.arts[top[i].slot].held++
	}
	a.nList = uint8(len(top))
	a.flags &^= flagHeld
	a.thr = -1
	if len(top) == L {
		a.thr = top[L-1].score
	}
	if a.gen != ix.gen {
		a.gen = ix.gen
		ix.stale--
	}
}

type offerResult int

const (
	offerNone offerResult = iota
	offerChanged
	offerRecompute
)

// offer puts newcomer x, scoring sx, into b's fresh list where the batch
// computation would have it.
func (ix *Index) offer(b, x int32, sx float64) offerResult {
	L := ix.o.Limit
	n := int(ix.arts[b].nList)
	if n == L && sx < ix.arts[b].thr {
		return offerNone
	}
	xa := &ix.arts[x]
	cx := cand{slot: x, score: sx, pub: xa.pub, id: xa.id}
	l := ix.lists[int(b)*L : int(b)*L+L]
	pos := n
	for i := range n {
		if l[i] == x {
			return offerNone // b's list was computed with x present
		}
		if pos == n {
			if e := ix.entry(b, l[i]); better(&cx, &e) {
				pos = i
			}
		}
	}
	if pos == n && n == L {
		return offerNone
	}
	for i := range n {
		if nearDup(xa, &ix.arts[l[i]]) {
			if i < pos {
				return offerNone // skipped for a better near-identical title
			}
			return offerRecompute
		}
	}
	if n < L {
		n++
		ix.arts[b].nList = uint8(n)
	} else {
		ix.arts[l[L-1]].held--
	}
	copy(l[pos+1:n], l[pos:n-1])
	l[pos] = x
	xa.held++
	if n == L {
		ix.arts[b].thr = ix.entry(b, l[L-1]).score
	}
	return offerChanged
}

// reweigh starts a new generation from the live counts; every list is stale.
func (ix *Index) reweigh() {
	ix.gen++
	ix.snapN, ix.churn = ix.n, 0
	limit := math.MaxInt
	if ix.o.MaxShare < 1 {
		limit = max(int(ix.o.MaxShare*float64(ix.n)), ix.o.CapFloor)
	}
	nn := float64(max(ix.n, 1))
	ix.floor = max(ix.o.MinScore, 0) * math.Log1p(nn)
	words := (len(ix.arts) + 63) / 64
	for t, d := range ix.df {
		ix.w[t] = quant(math.Log1p(nn / float64(max(d, 1))))
		c := int(d) > limit
		// lists of the old generation stay until Rescore: keep walking
		// the tags they were found through (strip).
		ix.walk[t] = ix.walk[t] || !c
		switch {
		case !c:
			delete(ix.capBits, uint32(t))
		case !ix.capped[t]: // capped from now on
			bits := make([]uint64, words)
			for _, b := range ix.post[t] {
				bits[b>>6] |= 1 << (b & 63)
			}
			ix.capBits[uint32(t)] = bits
		}
		ix.capped[t] = c
	}
	ix.stale, ix.cursor = ix.n, 0
	ix.drained()
}

// drained narrows walk to this generation once no stale list is left.
func (ix *Index) drained() {
	if ix.stale != 0 {
		return
	}
	for t, c := range ix.capped {
		ix.walk[t] = !c
	}
}

// Reweigh starts a new weight generation now; every list becomes stale
// until Rescore (or Rebuild) recomputes it.
func (ix *Index) Reweigh() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.reweigh()
}

// Rescore recomputes up to max stale lists (all when max ≤ 0) under the
// current generation and returns them for storage.SaveRelated. The daemon
// calls it when idle until Stats().Stale is 0.
func (ix *Index) Rescore(max int) map[int64][]feeds.RelatedPost {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	res := make(map[int64][]feeds.RelatedPost)
	sc := ix.getScratch()
	defer ix.putScratch(sc)
	for ix.cursor < len(ix.arts) && ix.stale > 0 && (max <= 0 || len(res) < max) {
		s := int32(ix.cursor)
		ix.cursor++
		a := &ix.arts[s]
		if a.flags&flagLive == 0 || a.gen == ix.gen {
			continue
		}
		ix.recompute(s, sc)
		res[a.id] = ix.posts(s, ix.listOf(s))
	}
	ix.drained()
	return res
}

// Rebuild starts a new generation and recomputes every list from scratch,
// in parallel, then passes each to emit (when not nil) in slot order; emit
// runs under the index's lock and must not call it. Use it after a bulk
// load of Puts and for `feedloom related -rebuild`.
func (ix *Index) Rebuild(emit func(id int64, posts []feeds.RelatedPost) error) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.reweigh()
	ix.pendNew, ix.pendRe = nil, nil
	ix.trim()
	var err error
	ix.batch(func(s int32, top []int32) {
		a := &ix.arts[s]
		a.flags &^= flagNew | flagRe
		L := ix.o.Limit
		ix.dropList(s)
		copy(ix.lists[int(s)*L:], top)
		for _, b := range top {
			ix.arts[b].held++
		}
		a.nList = uint8(len(top))
		a.thr = -1
		if len(top) == L {
			a.thr = ix.entry(s, top[L-1]).score
		}
		a.gen = ix.gen
		if emit != nil && err == nil {
			if e := emit(a.id, ix.posts(s, top)); e != nil {
				err = fmt.Errorf("related: rebuild: %w", e)
			}
		}
	})
	ix.stale = 0
	ix.drained()
	return err
}

// Adopt ends a bulk load of Puts without computing any list, so that a
// restart costs a load, not a Rebuild (minutes at a million articles). The
// lists an earlier run persisted stay as they are; the index holds every
// list as stale: a newcomer that may rank in one gets it recomputed at once,
// and Rescore recomputes the rest in the background. Articles whose lists
// were never computed are given to the next Refresh as changed.
func (ix *Index) Adopt() {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, s := range ix.pendNew {
		ix.arts[s].flags &^= flagNew
	}
	ix.pendNew = ix.pendNew[:0]
	for i := range ix.arts {
		if a := &ix.arts[i]; a.flags&flagLive != 0 {
			a.flags |= flagHeld
		}
	}
	ix.trim()
	ix.reweigh()
}

// Batch computes every article's list from scratch under the current
// generation without changing the index, and passes each to emit in slot
// order (emit runs under the read lock and must not change the index). It
// is the reference the maintained lists are checked against.
func (ix *Index) Batch(emit func(id int64, posts []feeds.RelatedPost)) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	ix.batch(func(s int32, top []int32) {
		emit(ix.arts[s].id, ix.posts(s, top))
	})
}

// batch computes the lists of all live slots in parallel chunks and hands
// them to fn one by one, in slot order, on the calling goroutine.
func (ix *Index) batch(fn func(s int32, top []int32)) {
	const chunk = 4096
	L := ix.o.Limit
	workers := runtime.GOMAXPROCS(0)
	buf := make([]int32, chunk*L)
	cnt := make([]uint8, chunk)
	for base := 0; base < len(ix.arts); base += chunk {
		end := min(base+chunk, len(ix.arts))
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				sc := ix.getScratch()
				defer ix.putScratch(sc)
				for s := base + w; s < end; s += workers {
					if ix.arts[s].flags&flagLive == 0 {
						continue
					}
					ix.gather(int32(s), sc)
					top := ix.selectTop(sc)
					k := s - base
					for i := range top {
						buf[k*L+i] = top[i].slot
					}
					cnt[k] = uint8(len(top))
				}
			})
		}
		wg.Wait()
		for s := base; s < end; s++ {
			if ix.arts[s].flags&flagLive == 0 {
				continue
			}
			k := s - base
			fn(int32(s), buf[k*L:k*L+int(cnt[k])])
		}
	}
}

// trim gives back the append slack of a bulk load: about 15% of the index.
func (ix *Index) trim() {
	ix.arts = shrink(ix.arts)
	ix.lists = shrink(ix.lists)
	ix.arena = shrink(ix.arena)
	ix.free = shrink(ix.free)
	for t, p := range ix.post {
		ix.post[t] = shrink(p)
	}
}

// shrink copies s into a slice with little room to grow when it has much.
func shrink[T any](s []T) []T {
	if cap(s)-len(s) <= len(s)/32+4 {
		return s
	}
	return append(make([]T, 0, len(s)+len(s)/64), s...)
}

// Package related finds an article's "Related posts" (SPEC step 6): the
// articles sharing the most tags with it, rarer tags counting more, published
// within a window of it, and keeps every article's list up to date as
// articles arrive, change and expire, without recomputing everything.
//
// # Scoring
//
// For articles a and b sharing the tags S,
//
//	score(a, b) = Σ_{t∈S} idf(t) / sqrt(|tags(a)| · |tags(b)|),  idf(t) = ln(1 + N/df(t))
//
// The length factor is the geometric mean of the two tag counts (a cosine
// over binary tag vectors, weighted by idf). It is symmetric, which the
// incremental maintenance relies on (the newcomer's score with B is B's score
// with the newcomer), and it divides a fifty-tag article's score by about 3.2
// against a five-tag one's: a tag-spammed article can only win when it really
// shares much rarer tags. Weights are kept as fixed-point integers (1/65536)
// so a sum never depends on the order its terms were added in.
//
// b is a candidate for a when they share at least MinShared tags, at least
// one of them not capped (below), |published(a) − published(b)| ≤ Window, b
// is not a, and b does not have a's titleKey (its duplicates). Candidates are
// ordered by score, then newer published, then higher id; the list takes them
// in that order, skipping one whose title is near-identical to a title already
// taken (see NearDuplicate), up to Limit, found with a bounded heap.
//
// # Cardinality cap
//
// A tag carried by more than max(MaxShare·N, CapFloor) articles (e.g. "world")
// does not generate candidates: a query never walks its posting list. It still
// counts, with its small idf, in the score and in MinShared of candidates found
// through other tags. Two articles sharing only capped tags are not related.
// At the default 1% that loses next to nothing: a capped tag weighs at most
// ln(1+1/MaxShare) ≈ 4.6, so a pair of 12-key articles resting on such
// tags alone needs four or five of them to reach the shipped min_score of
// 0.13 at 100k to 1M articles (three or four at DefaultMinScore), while
// walking the lists of tags carried by 1–5% of the store was most of a
// newcomer's query cost.
//
// # Weights, generations and what "incremental equals batch" means
//
// idf depends on N and df, which move with every insert, so no incremental
// scheme can stay equal to a from-scratch computation under live weights
// (every pair's score drifts a little with every article). The index therefore
// scores with a weight snapshot, a generation: N*, df*(t) and the capped set
// are frozen when the generation starts; a tag first seen later weighs as a
// tag carried by one article (ln(1+N*)) and is not capped. Within a generation
// Refresh maintains lists exactly: every list marked fresh equals what Batch
// (a from-scratch computation over the live articles under the same
// generation) returns for it. That is the invariant the tests check.
//
// When puts and removals since the snapshot reach Reweigh·N* (default 10%),
// the next Refresh starts a new generation from the live counts. Every list
// then becomes stale: it stays as it was (still a sound list, scored with
// slightly older weights) until Rescore recomputes it; the daemon calls
// Rescore with a budget when idle and persists what it returns. Stale lists
// still lose removed articles at once, and a newcomer that ranks in a stale
// list enters it in place (ranked under the current weights; the list stays
// stale), except in a list adopted from the store (Adopt), whose entries are
// not in memory: that one is recomputed at once. Once no stale list remains,
// every stored list equals Batch. Rebuild starts a generation and recomputes
// everything (the benchmark and tests; the daemon adopts stored lists at
// start-up instead, see Loading).
//
// # Memory
//
// Articles live in a dense slot slice found through a map[int64]int32; tags
// are interned to uint32 ids; posting lists hold slots sorted by publication
// time so a query walks only the window; each article keeps its current list
// as Limit slots plus the score of its last entry, and counts the lists that
// hold it (so that taking it out of them stops once all are found). A capped
// tag also keeps its carriers as a bitset of slots, for counting it in a
// candidate's score without reading the candidate's tags. Stats().Bytes
// estimates the total; cmd/feedloom-bench reports the heap it takes at a
// million articles.
//
// # Loading
//
// Bulk load with Put for every article, then either Rebuild (computes every
// list, in parallel: minutes at a million articles) or Adopt (computes
// nothing: the lists persisted by an earlier run are kept and treated as
// stale, so a restart costs the load alone and Rescore catches up in the
// background). A Refresh after a bulk Put without either would treat every
// article as a newcomer.
package related

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults for zero Options fields, named so callers and docs agree.
const (
	DefaultLimit     = 5
	DefaultMinShared = 1
	DefaultMaxShare  = 0.01
	DefaultCapFloor  = 100
	DefaultReweigh   = 0.1
	DefaultMinScore  = 0.1

	maxTags      = 255 // per article; the tagger gives at most 50
	maxLimit     = 255
	reweighFloor = 16 // never start generations more often than every 16 changes
	wScale       = 1 << 16

	artBytes      = 64 // unsafe.Sizeof(art{}) on 64-bit platforms
	mapEntryBytes = 28 // a swiss-table map[int64]int32 entry at typical load
)

// Options tune the index; zero fields take the defaults above.
type Options struct {
	Limit     int           // related posts per article (1..255)
	MinShared int           // tags two articles must share at least
	Window    time.Duration // largest publication-time distance; 0 means no limit
	// MaxShare caps common tags: one carried by more than MaxShare·N articles
	// generates no candidates. ≥ 1 disables the cap.
	MaxShare float64
	// CapFloor keeps small stores working: a tag carried by at most this many
	// articles is never capped.
	CapFloor int
	// Reweigh is the share of N of puts and removals after which Refresh
	// starts a new weight generation; < 0 means only Reweigh and Rebuild do.
	Reweigh float64
	// MinScore is the least score of a related post, as a share of the
	// weight of a tag carried by one article (ln(1+N*)): sharing one broad
	// or one chance tag is not enough, and an empty list is better than an
	// off-topic one. 0 takes DefaultMinScore; < 0 means no minimum.
	MinScore float64
}

// art is one article's record; its list lives in Index.lists. It is 64
// bytes, one cache line in the (page-aligned) slice: a newcomer's query
// reads the record of each of its candidates, hundreds to thousands, and
// then offers itself to their lists, which reads thr from the same line.
type art struct {
	id     int64
	pub    int64  // unix seconds
	title  uint64 // hash of titleKey; 0 when empty
	tagOff uint32 // tags in Index.arena[tagOff : tagOff+nTags], sorted
	nTags  uint8
	flags  uint8
	nWords uint8
	nList  uint8
	sig    [2]uint64 // one bit per title word (NearDuplicate)
	gen    uint32    // generation the list was computed under
	held   uint32    // how many lists hold this article (strip stops at 0)
	thr    float64   // score of the list's last entry when it is full, else -1
}

const (
	flagLive = 1 << iota
	flagNew  // list to compute as a newcomer in the next Refresh
	flagRe   // list to recompute in the next Refresh
	flagOut  // list to return from the current Refresh
	flagHeld // stale list adopted from the store: its entries are not in memory
)

// Index is the in-memory related-posts index. It is safe for concurrent use:
// queries share a read lock, changes take the write lock.
type Index struct {
	mu     sync.RWMutex
	o      Options
	window int64 // seconds; 0 means none
	pool   sync.Pool

	tagID   map[string]uint32
	tagName []string
	df      []int32
	post    [][]uint32          // slots sorted by (pub, id)
	w       []uint32            // weight of this generation, fixed point
	capped  []bool              // capped in this generation
	capBits map[uint32][]uint64 // by capped tag: its carriers as a bitset of slots
	walk    []bool              // uncapped in some generation a stale list was built under

	arts    []art
	slot    map[int64]int32
	free    []int32
	arena   []uint32 // tag ids of every article
	garbage int      // dead entries in arena
	lists   []int32  // Limit slots per article slot

	n       int // live articles
	gen     uint32
	snapN   int     // N* of this generation
	floor   float64 // least score of a related post in this generation (Options.MinScore)
	churn   int     // puts and removals since the snapshot
	stale   int     // live articles whose list is of an older generation
	cursor  int     // Rescore's position
	pendNew []int32
	pendRe  []int32
}

// New returns an empty index; Put articles, then Rebuild (bulk load) or
// Refresh (one by one).
func New(o Options) *Index {
	if o.Limit <= 0 {
		o.Limit = DefaultLimit
	}
	o.Limit = min(o.Limit, maxLimit)
	if o.MinShared <= 0 {
		o.MinShared = DefaultMinShared
	}
	if o.MaxShare <= 0 {
		o.MaxShare = DefaultMaxShare
	}
	if o.CapFloor <= 0 {
		o.CapFloor = DefaultCapFloor
	}
	if o.Reweigh == 0 {
		o.Reweigh = DefaultReweigh
	}
	if o.MinScore == 0 {
		o.MinScore = DefaultMinScore
	}
	ix := &Index{
		o:       o,
		window:  int64(max(o.Window, 0) / time.Second),
		tagID:   make(map[string]uint32),
		capBits: make(map[uint32][]uint64),
		slot:    make(map[int64]int32),
	}
	ix.pool.New = func() any { return new(scratch) }
	ix.floor = max(o.MinScore, 0) * math.Log1p(1)
	return ix
}

// Put adds or replaces an article. Its list, and the lists it now belongs
// in, are computed by the next Refresh (or Rebuild). Putting an article
// unchanged is a no-op. Tags beyond 255 distinct ones are dropped.
func (ix *Index) Put(id int64, published time.Time, titleKey string, tags []string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	tids := ix.intern(tags)
	pub := published.Unix()
	th := titleHash(titleKey)
	sig, nw := titleSig(titleKey)
	s, ok := ix.slot[id]
	if ok {
		a := &ix.arts[s]
		if a.pub == pub && a.title == th && a.sig == sig && slices.Equal(ix.tagsOf(a), tids) {
			return
		}
		ix.strip(s)
		ix.unpost(s)
		ix.dropList(s)
		ix.garbage += int(a.nTags)
		if a.gen != ix.gen {
			ix.stale--
		}
	} else {
		s = ix.alloc()
		ix.slot[id] = s
		ix.n++
	}
	ix.churn++
	ix.compact()
	a := &ix.arts[s]
	*a = art{id: id, pub: pub, title: th, sig: sig, tagOff: uint32(len(ix.arena)),
		gen: ix.gen, nTags: uint8(len(tids)), nWords: nw, flags: flagLive, thr: -1}
	ix.arena = append(ix.arena, tids...)
	for _, t := range tids {
		ix.postInsert(t, s)
		ix.df[t]++
		if ix.capped[t] {
			ix.capBits[t][s>>6] |= 1 << (s & 63)
		}
	}
	ix.markNew(s)
}

// Remove drops an article (expiry, deletion): it is taken out of every list
// at once, and those lists are recomputed by the next Refresh. Unknown ids
// are ignored.
func (ix *Index) Remove(id int64) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if s, ok := ix.slot[id]; ok {
		ix.remove(s)
	}
}

// Len is the number of articles indexed.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.n
}

// Stats describe the index for `feedloom stats`, logs and benchmarks.
type Stats struct {
	Articles   int    // N
	Tags       int    // distinct tags carried by at least one article
	Capped     int    // tags that generate no candidates in this generation
	Generation uint32 // weight generation
	Stale      int    // lists of an older generation, waiting for Rescore
	Bytes      int64  // estimate of the index's memory
}

// Stats returns the index's counts and a memory estimate.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	st := Stats{Articles: ix.n, Generation: ix.gen, Stale: ix.stale}
	for t, d := range ix.df {
		if d > 0 {
			st.Tags++
		}
		if ix.capped[t] {
			st.Capped++
		}
	}
	b := int64(cap(ix.arts))*artBytes + int64(cap(ix.lists))*4 +
		int64(cap(ix.arena))*4 + int64(cap(ix.free)+cap(ix.pendNew)+cap(ix.pendRe))*4 +
		int64(len(ix.slot))*mapEntryBytes + int64(len(ix.tagName))*(16+24+4+4+2+24)
	for t, p := range ix.post {
		b += int64(cap(p))*4 + int64(len(ix.tagName[t]))
	}
	for _, bits := range ix.capBits {
		b += int64(cap(bits)) * 8
	}
	st.Bytes = b
	return st
}

// Weight is tag's idf in the current generation (0 for an unknown tag), for
// explaining scores.
func (ix *Index) Weight(tag string) float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if t, ok := ix.tagID[tag]; ok {
		return float64(ix.w[t]) / wScale
	}
	return 0
}

// Capped reports whether tag generates no candidates in this generation.
func (ix *Index) Capped(tag string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	t, ok := ix.tagID[tag]
	return ok && ix.capped[t]
}

// intern maps tags to sorted, distinct ids, creating ids for new tags.
func (ix *Index) intern(tags []string) []uint32 {
	tids := make([]uint32, 0, len(tags))
	for _, tg := range tags {
		if tg == "" {
			continue
		}
		t, ok := ix.tagID[tg]
		if !ok {
			t = uint32(len(ix.tagName))
			tg = strings.Clone(tg)
			ix.tagID[tg] = t
			ix.tagName = append(ix.tagName, tg)
			ix.df = append(ix.df, 0)
			ix.post = append(ix.post, nil)
			ix.w = append(ix.w, quant(math.Log1p(float64(max(ix.snapN, 1)))))
			ix.capped = append(ix.capped, false)
			ix.walk = append(ix.walk, true)
		}
		tids = append(tids, t)
	}
	slices.Sort(tids)
	tids = slices.Compact(tids)
	if len(tids) > maxTags {
		tids = tids[:maxTags]
	}
	return tids
}

func quant(x float64) uint32 { return uint32(math.Round(x * wScale)) }

func (ix *Index) tagsOf(a *art) []uint32 {
	return ix.arena[a.tagOff : a.tagOff+uint32(a.nTags)]
}

func (ix *Index) listOf(s int32) []int32 {
	i := int(s) * ix.o.Limit
	return ix.lists[i : i+int(ix.arts[s].nList)]
}

// alloc returns a free slot, growing the per-slot slices when needed.
func (ix *Index) alloc() int32 {
	if k := len(ix.free); k > 0 {
		s := ix.free[k-1]
		ix.free = ix.free[:k-1]
		return s
	}
	ix.arts = append(ix.arts, art{})
	if len(ix.arts)%64 == 1 {
		for t, bits := range ix.capBits {
			ix.capBits[t] = append(bits, 0)
		}
	}
	ix.lists = append(ix.lists, make([]int32, ix.o.Limit)...)
	return int32(len(ix.arts) - 1)
}

func (ix *Index) remove(s int32) {
	ix.strip(s)
	ix.unpost(s)
	ix.dropList(s)
	a := &ix.arts[s]
	if a.gen != ix.gen {
		ix.stale--
	}
	delete(ix.slot, a.id)
	ix.garbage += int(a.nTags)
	*a = art{}
	ix.free = append(ix.free, s)
	ix.n--
	ix.churn++
}

// compact rewrites the tag arena once most of it is dead.
func (ix *Index) compact() {
	if ix.garbage < 1<<16 || ix.garbage < len(ix.arena)/2 {
		return
	}
	na := make([]uint32, 0, len(ix.arena)-ix.garbage+len(ix.arena)/8)
	for i := range ix.arts {
		a := &ix.arts[i]
		if a.flags&flagLive == 0 {
			continue
		}
		tags := ix.tagsOf(a)
		a.tagOff = uint32(len(na))
		na = append(na, tags...)
	}
	ix.arena, ix.garbage = na, 0
}

func (ix *Index) markNew(s int32) {
	a := &ix.arts[s]
	if a.flags&flagNew == 0 {
		a.flags |= flagNew
		ix.pendNew = append(ix.pendNew, s)
	}
}

func (ix *Index) markRe(s int32) {
	a := &ix.arts[s]
	if a.flags&flagRe == 0 {
		a.flags |= flagRe
		ix.pendRe = append(ix.pendRe, s)
	}
}

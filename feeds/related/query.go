package related

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// cand is a candidate related article of the article being queried.
type cand struct {
	slot  int32
	score float64
	pub   int64
	id    int64
}

// better is the list order: score, then newer, then higher id.
func better(a, b *cand) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.pub != b.pub {
		return a.pub > b.pub
	}
	return a.id > b.id
}

func cmpCand(a, b cand) int {
	switch {
	case better(&a, &b):
		return -1
	case better(&b, &a):
		return 1
	}
	return 0
}

// scratch is one query's reusable memory: a sparse accumulator indexed by
// slot (reset through touched), the query's capped tags, the score
// denominators of the query's tag count, and the candidate, heap and list
// buffers.
type scratch struct {
	acc     []uint64 // idf sum << 8 | tags shared, by slot
	touched []int32
	cappedA []capTag
	den     [maxTags + 1]float64 // denom(denNa, nb) by nb, 0 until needed
	denNa   uint8
	cands   []cand
	heap    []cand
	top     []cand
}

func (ix *Index) getScratch() *scratch {
	sc := ix.pool.Get().(*scratch)
	if n := len(ix.arts); len(sc.acc) < n {
		sc.acc = make([]uint64, n+n/4)
	}
	return sc
}

func (ix *Index) putScratch(sc *scratch) { ix.pool.Put(sc) }

// capTag is one of the query's capped tags: what sharing it adds to the
// accumulator, and its carriers.
type capTag struct {
	acc  uint64
	bits []uint64
}

// score is the normalised score of a pair from its fixed-point idf sum.
func score(sum uint32, na, nb uint8) float64 {
	return float64(sum) / denom(na, nb)
}

func denom(na, nb uint8) float64 {
	return wScale * math.Sqrt(float64(na)*float64(nb))
}

// gather fills sc.cands with every candidate of slot s and its score.
//
// It runs for every newcomer and recomputed list, over a few hundred to a
// few thousand candidates each, so the per-candidate work is kept small:
// the idf sum and the count of shared tags share one accumulator word (a
// query has at most 255 tags, so the count never carries into the sum);
// capped tags are not walked, and a candidate found through the others has
// them counted from the capped tags' bitsets, without a branch or a look at
// its tags (a binary search in them per capped tag cost a quarter of a cold
// ingest's relating); and the score denominators are computed once per
// distinct tag count.
func (ix *Index) gather(s int32, sc *scratch) {
	a := &ix.arts[s]
	tags := ix.tagsOf(a)
	sc.cappedA = sc.cappedA[:0]
	for _, t := range tags {
		w := uint64(ix.w[t])<<8 | 1
		if ix.capped[t] {
			sc.cappedA = append(sc.cappedA, capTag{w, ix.capBits[t]})
			continue
		}
		for _, b := range ix.span(ix.post[t], a.pub) {
			if sc.acc[b] == 0 {
				sc.touched = append(sc.touched, int32(b))
			}
			sc.acc[b] += w
		}
	}
	if sc.denNa != a.nTags {
		sc.den, sc.denNa = [maxTags + 1]float64{}, a.nTags
	}
	sc.cands = sc.cands[:0]
	for _, bs := range sc.touched {
		v := sc.acc[bs]
		sc.acc[bs] = 0
		b := &ix.arts[bs]
		if bs == s || a.title != 0 && a.title == b.title {
			continue
		}
		for _, c := range sc.cappedA {
			v += c.acc * (c.bits[bs>>6] >> (bs & 63) & 1)
		}
		h, sum := int(v&0xff), uint32(v>>8)
		if h < ix.o.MinShared {
			continue
		}
		d := sc.den[b.nTags]
		if d == 0 {
			d = denom(a.nTags, b.nTags)
			sc.den[b.nTags] = d
		}
		if sc := float64(sum) / d; sc < ix.floor {
			continue
		}
		sc.cands = append(sc.cands, cand{slot: bs, score: float64(sum) / d, pub: b.pub, id: b.id})
	}
	sc.touched = sc.touched[:0]
	clear(sc.cappedA) // do not keep bitsets a later generation drops
}

// selectTop picks s's list from sc.cands into sc.top: the best candidates in
// order, skipping near-identical titles, found with a bounded min-heap. When
// skipped titles leave the heap short it retries with a larger one. The list
// is the same whatever size the heap starts at; a small one (Limit+2 rather
// than 2·Limit+4) halves the heap's work, and near-identical titles among the
// best few candidates, which make it retry, are rare.
func (ix *Index) selectTop(sc *scratch) []cand {
	L := ix.o.Limit
	for k := L + 2; ; k *= 2 {
		h := sc.heap[:0]
		for i := range sc.cands {
			c := &sc.cands[i]
			if len(h) < k {
				h = append(h, *c)
				heapUp(h, len(h)-1)
			} else if better(c, &h[0]) {
				h[0] = *c
				heapDown(h, 0)
			}
		}
		sc.heap = h
		slices.SortFunc(h, cmpCand)
		top := sc.top[:0]
		for i := range h {
			if !ix.nearDupAny(h[i].slot, top) {
				top = append(top, h[i])
				if len(top) == L {
					break
				}
			}
		}
		sc.top = top
		if len(top) == L || len(sc.cands) <= k {
			return top
		}
	}
}

// heapUp and heapDown keep h a min-heap under better: the worst kept
// candidate is at the root.
func heapUp(h []cand, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !better(&h[p], &h[i]) {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func heapDown(h []cand, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && better(&h[l], &h[r]) {
			m = r
		}
		if !better(&h[i], &h[m]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (ix *Index) nearDupAny(s int32, taken []cand) bool {
	a := &ix.arts[s]
	for i := range taken {
		if nearDup(a, &ix.arts[taken[i].slot]) {
			return true
		}
	}
	return false
}

// NearDuplicate reports whether two titleKeys are near-identical, so only
// the better scored of the two may appear in one list: the same key, or,
// when both have at least 3 distinct words, a Jaccard index of at least 3/4
// between their word sets. Word sets are kept as 128-bit signatures (each
// word sets one bit) to save memory; a collision can only make two titles
// look slightly more alike. "Talks open in Geneva" and "talks collapse in
// Geneva" (5 of 7 words) are different news; "oil prices surge after OPEC cuts
// output" and "... as OPEC cuts output" (6 of 8) are the same.
func NearDuplicate(a, b string) bool {
	x := art{title: titleHash(a)}
	x.sig, x.nWords = titleSig(a)
	y := art{title: titleHash(b)}
	y.sig, y.nWords = titleSig(b)
	return nearDup(&x, &y)
}

func nearDup(a, b *art) bool {
	if a.title != 0 && a.title == b.title {
		return true
	}
	if a.nWords < 3 || b.nWords < 3 {
		return false
	}
	in := bits.OnesCount64(a.sig[0]&b.sig[0]) + bits.OnesCount64(a.sig[1]&b.sig[1])
	un := bits.OnesCount64(a.sig[0]|b.sig[0]) + bits.OnesCount64(a.sig[1]|b.sig[1])
	return 4*in >= 3*un
}

// fnv64 is FNV-1a, spelled out so hashing a key allocates nothing and is
// the same in every process.
func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func titleHash(key string) uint64 {
	if key == "" {
		return 0
	}
	return max(fnv64(key), 1)
}

// titleSig is the word signature of a titleKey and its distinct word count
// (capped at 255).
func titleSig(key string) (sig [2]uint64, n uint8) {
	words := 0
	for w := range strings.FieldsSeq(key) {
		b := fnv64(w) % 128
		if sig[b/64]&(1<<(b%64)) == 0 && words < 255 {
			words++
		}
		sig[b/64] |= 1 << (b % 64)
	}
	return sig, uint8(words)
}

// pair is the fixed-point idf sum of two articles' shared tags.
func (ix *Index) pair(a, b *art) uint32 {
	x, y := ix.tagsOf(a), ix.tagsOf(b)
	var sum uint32
	for i, j := 0, 0; i < len(x) && j < len(y); {
		switch {
		case x[i] < y[j]:
			i++
		case x[i] > y[j]:
			j++
		default:
			sum += ix.w[x[i]]
			i++
			j++
		}
	}
	return sum
}

// entry is b as a candidate of a, scored now.
func (ix *Index) entry(a, b int32) cand {
	x, y := &ix.arts[a], &ix.arts[b]
	return cand{slot: b, score: score(ix.pair(x, y), x.nTags, y.nTags), pub: y.pub, id: y.id}
}

// posts turns slot s's list into RelatedPosts with the shared tags named.
func (ix *Index) posts(s int32, list []int32) []feeds.RelatedPost {
	a := &ix.arts[s]
	out := make([]feeds.RelatedPost, 0, len(list))
	for _, bs := range list {
		b := &ix.arts[bs]
		x, y := ix.tagsOf(a), ix.tagsOf(b)
		var shared []string
		for i, j := 0, 0; i < len(x) && j < len(y); {
			switch {
			case x[i] < y[j]:
				i++
			case x[i] > y[j]:
				j++
			default:
				shared = append(shared, ix.tagName[x[i]])
				i++
				j++
			}
		}
		slices.Sort(shared)
		out = append(out, feeds.RelatedPost{
			ArticleID: b.id,
			Published: time.Unix(b.pub, 0).UTC(),
			Score:     score(ix.pair(a, b), a.nTags, b.nTags),
			Shared:    shared,
		})
	}
	// A stale list (of an older generation, or adopted) keeps its order
	// until Rescore recomputes it, while its scores are today's: readers
	// always get it in descending score order.
	slices.SortStableFunc(out, func(x, y feeds.RelatedPost) int {
		switch {
		case x.Score != y.Score:
			return cmp.Compare(y.Score, x.Score)
		case !x.Published.Equal(y.Published):
			return y.Published.Compare(x.Published)
		}
		return cmp.Compare(y.ArticleID, x.ArticleID)
	})
	return out
}

// Query computes id's related posts from scratch under the current weights
// (nil for an unknown id). For a fresh list it equals the maintained one.
func (ix *Index) Query(id int64) []feeds.RelatedPost {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s, ok := ix.slot[id]
	if !ok {
		return nil
	}
	sc := ix.getScratch()
	defer ix.putScratch(sc)
	ix.gather(s, sc)
	top := ix.selectTop(sc)
	list := make([]int32, len(top))
	for i := range top {
		list[i] = top[i].slot
	}
	return ix.posts(s, list)
}

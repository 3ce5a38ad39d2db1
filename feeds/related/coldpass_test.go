package related_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds/related"
)

// coldItem is one article as one fetched feed hands it to the index.
type coldItem struct {
	id    int64
	pub   time.Time
	title string
	tags  []string
}

// coldPass is the related side of the project's cold-ingest benchmark
// (cmd/feedloom-bench): feeds fetched one after another, each a batch of
// articles put and refreshed together. Stories carry 1–4 of 400 categories
// drawn with a Zipf distribution plus their feed's source tag (one of ten,
// also the ten most common categories), are published within 14 days, and
// about 7% of the items are copies of another feed's story: the first of a
// story's carriers creates its article, every later one merges into it and
// adds its source tag, which puts the article again with more tags.
type coldPass struct {
	batches  [][]coldItem
	articles int
	reputs   int
}

func newColdPass(seed uint64, nFeeds, nItems int) *coldPass {
	const (
		categories = 400
		span       = 14 * 24 * time.Hour
		syndicated = 0.07
		copies     = 2.5 // carriers of a syndicated story besides its owner
	)
	r := rand.New(rand.NewPCG(seed, 0xc01d))
	zipf := rand.NewZipf(r, 1.2, 1, categories-1)
	cats := make([]string, categories)
	for i := range cats {
		cats[i] = fmt.Sprintf("cat-%d", i)
	}
	epoch := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	type story struct {
		owner int
		pub   time.Time
		title string
		tags  []string
		id    int64 // 0 until an article carries it
	}
	title := func() string {
		w := make([]string, 6+r.IntN(5))
		for i := range w {
			w[i] = fmt.Sprintf("w%d", r.IntN(220))
		}
		return strings.Join(w, " ")
	}
	var stories []*story
	slots := make([][]*story, nFeeds)
	isCopy := make([][]bool, nFeeds)
	nCopies := 0
	for f := range nFeeds {
		isCopy[f] = make([]bool, nItems)
		for j := range isCopy[f] {
			if isCopy[f][j] = r.Float64() < syndicated; isCopy[f][j] {
				nCopies++
				continue
			}
			s := &story{owner: f, pub: epoch.Add(-time.Duration(r.Int64N(int64(span)))).Truncate(time.Second), title: title()}
			for k := 1 + r.IntN(4); len(s.tags) < k; {
				if c := cats[zipf.Uint64()]; !slices.Contains(s.tags, c) {
					s.tags = append(s.tags, c)
				}
			}
			stories = append(stories, s)
			slots[f] = append(slots[f], s)
		}
	}
	pool := max(1, int(float64(nCopies)/copies))
	for f := range nFeeds {
		for j := range nItems {
			if !isCopy[f][j] {
				continue
			}
			for range 100 {
				p := min(pool, len(stories))
				s := stories[r.IntN(p)*len(stories)/p]
				if s.owner != f && !slices.Contains(slots[f], s) {
					slots[f] = append(slots[f], s)
					break
				}
			}
		}
	}
	cp := &coldPass{}
	next := int64(1)
	for f := range nFeeds {
		src := cats[f%10]
		batch := make([]coldItem, 0, len(slots[f]))
		for _, s := range slots[f] {
			if s.id == 0 {
				s.id = next
				next++
				cp.articles++
			} else {
				cp.reputs++
			}
			if !slices.Contains(s.tags, src) {
				s.tags = append(s.tags, src)
			}
			batch = append(batch, coldItem{s.id, s.pub, s.title, slices.Clone(s.tags)})
		}
		cp.batches = append(cp.batches, batch)
	}
	return cp
}

// run feeds the pass to a new index the way scheduler.relate does: Put
// every article of a batch, RefreshIDs on the batch, and now and then
// Lists of every id made dirty since the last save (the scheduler saves
// about once a second, at most 10,000 lists at a time). It returns the
// lists read.
func (cp *coldPass) run(ix *related.Index) int {
	ix.Adopt() // BuildIndex on an empty store
	dirty := map[int64]struct{}{}
	saved := 0
	ids := make([]int64, 0, 64)
	for f, batch := range cp.batches {
		ids = ids[:0]
		for _, it := range batch {
			ix.Put(it.id, it.pub, it.title, it.tags)
			ids = append(ids, it.id)
		}
		for _, id := range ix.RefreshIDs(ids, nil) {
			dirty[id] = struct{}{}
		}
		if len(dirty) >= 10_000 || f%100 == 99 || f == len(cp.batches)-1 {
			saved += len(ix.Lists(slices.Collect(maps.Keys(dirty))))
			clear(dirty)
		}
	}
	return saved
}

// BenchmarkColdPass is the index's share of a cold ingest of 1,000 feeds
// of 50 items (about 46,500 articles, and 3,500 puts again by a merged
// copy). cpu-s/op counts the whole process (GC included).
// Run: go test -run x -bench ColdPass -benchtime 5x ./feeds/related/
func BenchmarkColdPass(b *testing.B) {
	cp := newColdPass(1, 1000, 50)
	b.ReportAllocs()
	var cpu time.Duration
	saved := 0
	for b.Loop() {
		c0 := cpuTime()
		saved = cp.run(related.New(related.Options{Limit: 5, MinShared: 1, Window: 720 * time.Hour}))
		cpu += cpuTime() - c0
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(cp.articles), "articles")
	b.ReportMetric(float64(cp.reputs), "re-puts")
	b.ReportMetric(float64(saved), "lists-saved")
}

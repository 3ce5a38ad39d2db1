package related_test

import (
	"cmp"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/related"
)

// doc is the test's own record of an indexed article.
type doc struct {
	id    int64
	pub   time.Time
	title string
	tags  []string
}

// gen makes random articles: Zipf tags over a small vocabulary so lists
// overlap heavily, titles from a few stories with word swaps so duplicates
// and near-identical titles happen, dates over 120 days in any order.
type gen struct {
	r *rand.Rand
	z *rand.Zipf
}

func newGen(seed uint64) *gen {
	r := rand.New(rand.NewPCG(seed, 7))
	return &gen{r: r, z: rand.NewZipf(r, 1.2, 2, 299)}
}

func (g *gen) doc(id int64) doc {
	var tags []string
	for k := 1 + g.r.IntN(8); len(tags) < k; {
		if t := fmt.Sprintf("t%d", g.z.Uint64()); !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	story := g.r.IntN(150)
	words := []string{"story", fmt.Sprint(story), "about", "w" + fmt.Sprint(story%7), "and", "more", "words"}
	if g.r.IntN(2) == 0 {
		words[g.r.IntN(len(words))] = fmt.Sprint("x", g.r.IntN(5))
	}
	pub := t0.Add(time.Duration(g.r.Int64N(int64(120 * day)))).Truncate(time.Second)
	return doc{id: id, pub: pub, title: strings.Join(words, " "), tags: tags}
}

// reference computes id's list by brute force over all docs, from the
// definitions in the package doc, using only the index's exported weights,
// cap decisions and NearDuplicate.
func reference(ix *related.Index, o related.Options, docs map[int64]doc, id int64) []feeds.RelatedPost {
	a := docs[id]
	type c struct {
		p   feeds.RelatedPost
		key string
	}
	var cands []c
	for _, b := range docs {
		if b.id == a.id || a.title != "" && a.title == b.title {
			continue
		}
		if d := a.pub.Sub(b.pub); o.Window > 0 && (d > o.Window || d < -o.Window) {
			continue
		}
		var shared []string
		var sum float64
		gen := false
		for _, t := range a.tags {
			if slices.Contains(b.tags, t) {
				shared = append(shared, t)
				sum += ix.Weight(t)
				gen = gen || !ix.Capped(t)
			}
		}
		if len(shared) < max(o.MinShared, 1) || !gen {
			continue
		}
		slices.Sort(shared)
		score := sum / math.Sqrt(float64(len(a.tags))*float64(len(b.tags)))
		if score < ix.Floor() {
			continue
		}
		cands = append(cands, c{feeds.RelatedPost{ArticleID: b.id, Published: b.pub.UTC(), Shared: shared,
			Score: score}, b.title})
	}
	slices.SortFunc(cands, func(x, y c) int {
		return cmp.Or(cmp.Compare(y.p.Score, x.p.Score), y.p.Published.Compare(x.p.Published), cmp.Compare(y.p.ArticleID, x.p.ArticleID))
	})
	out := []feeds.RelatedPost{}
	var keys []string
	for _, x := range cands {
		if len(out) == o.Limit {
			break
		}
		if slices.ContainsFunc(keys, func(k string) bool { return related.NearDuplicate(k, x.key) }) {
			continue
		}
		out = append(out, x.p)
		keys = append(keys, x.key)
	}
	return out
}

func sameList(a, b []feeds.RelatedPost) bool {
	return slices.EqualFunc(a, b, func(x, y feeds.RelatedPost) bool {
		return x.ArticleID == y.ArticleID && x.Score == y.Score && x.Published.Equal(y.Published) && slices.Equal(x.Shared, y.Shared)
	})
}

func show(l []feeds.RelatedPost) string {
	var b strings.Builder
	for _, p := range l {
		fmt.Fprintf(&b, " %d(%.6f)", p.ArticleID, p.Score)
	}
	return b.String()
}

// TestIncrementalEqualsBatch inserts, changes and removes articles one by
// one, persisting what Refresh (and Rescore) return into a map the way
// storage.SaveRelated would, and checks at checkpoints that every stored
// list equals the from-scratch computation under the index's current weight
// generation (Batch), and at the end that Batch equals a brute-force
// reference. "fixed generation" exercises pure incremental maintenance;
// "reweighs" lets the weights move every 10% and drains stale lists with a
// small Rescore budget after each Refresh, as the daemon does.
//
// After every Put, Remove and Refresh the index's own bookkeeping is checked
// too (CheckState). -prop.ops and -prop.seeds run it longer and over more
// random sequences.
func TestIncrementalEqualsBatch(t *testing.T) {
	ops := 2000
	if testing.Short() {
		ops = 600
	}
	if *propOps > 0 {
		ops = *propOps
	}
	if *propSeeds <= 1 {
		incrementalEqualsBatch(t, 42, ops)
		return
	}
	for seed := uint64(42); seed < 42+uint64(*propSeeds); seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { incrementalEqualsBatch(t, seed, ops) })
	}
}

var (
	propOps   = flag.Int("prop.ops", 0, "operations per TestIncrementalEqualsBatch case (0: 2000, 600 with -short)")
	propSeeds = flag.Int("prop.seeds", 1, "random sequences TestIncrementalEqualsBatch runs")
)

// incrementalEqualsBatch runs every case of TestIncrementalEqualsBatch on
// the random sequence seed gives.
func incrementalEqualsBatch(t *testing.T, seed uint64, ops int) {
	tests := []struct {
		name    string
		o       related.Options
		preload int
		budget  int
	}{
		{"fixed generation", related.Options{Limit: 5, Window: 30 * day, CapFloor: 40, Reweigh: -1}, 300, 0},
		{"reweighs", related.Options{Limit: 5, Window: 30 * day, CapFloor: 40}, 0, 20},
		{"min shared 2, limit 2, no window", related.Options{Limit: 2, MinShared: 2, CapFloor: 40}, 50, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGen(seed)
			ix := related.New(tc.o)
			docs := map[int64]doc{}
			store := map[int64][]feeds.RelatedPost{}
			save := func(m map[int64][]feeds.RelatedPost) {
				for id, l := range m {
					if _, ok := docs[id]; !ok {
						t.Fatalf("list returned for unknown article %d", id)
					}
					store[id] = l
				}
			}
			next := int64(1)
			for range tc.preload {
				d := g.doc(next)
				next++
				docs[d.id] = d
				ix.Put(d.id, d.pub, d.title, d.tags)
			}
			if err := ix.Rebuild(func(id int64, p []feeds.RelatedPost) error { store[id] = p; return nil }); err != nil {
				t.Fatal(err)
			}
			state := func(step int, what string) {
				t.Helper()
				if err := ix.CheckState(); err != nil {
					t.Fatalf("step %d, after %s: %v", step, what, err)
				}
			}
			state(-1, "rebuild")
			check := func(step int) {
				if tc.budget > 0 {
					save(ix.Rescore(0))
				}
				if st := ix.Stats(); st.Stale != 0 || st.Articles != len(docs) {
					t.Fatalf("step %d: stats %+v, %d docs", step, st, len(docs))
				}
				n := 0
				ix.Batch(func(id int64, want []feeds.RelatedPost) {
					n++
					if got := store[id]; !sameList(got, want) {
						t.Errorf("step %d: article %d stored%s, batch%s", step, id, show(got), show(want))
					}
				})
				if n != len(docs) {
					t.Errorf("step %d: batch has %d lists, %d docs", step, n, len(docs))
				}
			}
			ids := func() []int64 {
				out := make([]int64, 0, len(docs))
				for id := range docs {
					out = append(out, id)
				}
				slices.Sort(out)
				return out
			}
			for step := range ops {
				var res map[int64][]feeds.RelatedPost
				switch r := g.r.IntN(10); {
				case r < 2 && len(docs) > 10: // remove
					all := ids()
					id := all[g.r.IntN(len(all))]
					delete(docs, id)
					delete(store, id)
					if step%2 == 0 {
						ix.Remove(id)
						state(step, "remove")
						res = ix.Refresh(nil, nil)
					} else {
						res = ix.Refresh(nil, []int64{id})
					}
					save(res)
					for owner, l := range store {
						for _, p := range l {
							if p.ArticleID == id {
								t.Fatalf("step %d: removed %d still in %d's list", step, id, owner)
							}
						}
					}
				case r < 3 && len(docs) > 10: // change tags, title or date
					all := ids()
					d := g.doc(all[g.r.IntN(len(all))])
					docs[d.id] = d
					ix.Put(d.id, d.pub, d.title, d.tags)
					state(step, "change")
					save(ix.Refresh(nil, nil))
				case r < 4 && len(docs) > 10: // a merged copy adds tags
					all := ids()
					d := docs[all[g.r.IntN(len(all))]]
					d.tags = slices.Clone(d.tags)
					for range 1 + g.r.IntN(2) {
						if t := fmt.Sprintf("t%d", g.z.Uint64()); !slices.Contains(d.tags, t) {
							d.tags = append(d.tags, t)
						}
					}
					docs[d.id] = d
					ix.Put(d.id, d.pub, d.title, d.tags)
					state(step, "merge")
					save(ix.Refresh([]int64{d.id}, nil))
				default: // new article
					d := g.doc(next)
					next++
					docs[d.id] = d
					ix.Put(d.id, d.pub, d.title, d.tags)
					state(step, "put")
					res = ix.Refresh([]int64{d.id}, nil)
					if _, ok := res[d.id]; !ok {
						t.Fatalf("step %d: no list for the new article", step)
					}
					save(res)
				}
				if tc.budget > 0 {
					save(ix.Rescore(tc.budget))
				}
				state(step, "refresh")
				if step%250 == 249 {
					check(step)
				}
			}
			check(ops)
			for id := range docs {
				if want := reference(ix, ix2opts(tc.o), docs, id); !sameList(store[id], want) {
					t.Errorf("article %d: stored%s, reference%s", id, show(store[id]), show(want))
				}
			}
			if st := ix.Stats(); st.Capped == 0 {
				t.Errorf("no capped tag: the test does not exercise the cap")
			}
			if st := ix.Stats(); tc.budget > 0 && st.Generation < 5 {
				t.Errorf("only %d generations: the test does not exercise reweighing", st.Generation)
			}
		})
	}
}

// ix2opts fills the defaults the reference needs.
func ix2opts(o related.Options) related.Options {
	if o.Limit == 0 {
		o.Limit = related.DefaultLimit
	}
	return o
}

// TestConcurrent runs queries while articles arrive; run with -race.
func TestConcurrent(t *testing.T) {
	g := newGen(7)
	ix := related.New(related.Options{Window: 30 * day})
	for i := range 200 {
		d := g.doc(int64(i + 1))
		ix.Put(d.id, d.pub, d.title, d.tags)
	}
	if err := ix.Rebuild(nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				ix.Query(int64(1 + (i*7+w)%300))
				_ = ix.Stats()
			}
		})
	}
	for i := 200; i < 300; i++ {
		d := g.doc(int64(i + 1))
		ix.Put(d.id, d.pub, d.title, d.tags)
		ix.Refresh(nil, nil)
		ix.Rescore(10)
	}
	wg.Wait()
}

package related_test

import (
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/related"
)

// TestAdopt checks the restart path: a bulk load ended by Adopt computes
// nothing, and Rescore then yields exactly what Rebuild would have; a
// newcomer after Adopt gets the list Batch computes for it.
func TestAdopt(t *testing.T) {
	o := related.Options{Limit: 4, Window: 60 * day}
	g := newGen(11)
	var docs []doc
	for i := range 600 {
		docs = append(docs, g.doc(int64(i+1)))
	}
	put := func(ix *related.Index, ds []doc) {
		for _, d := range ds {
			ix.Put(d.id, d.pub, d.title, d.tags)
		}
	}

	want := map[int64][]feeds.RelatedPost{}
	ref := related.New(o)
	put(ref, docs)
	if err := ref.Rebuild(func(id int64, posts []feeds.RelatedPost) error {
		want[id] = posts
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	ix := related.New(o)
	put(ix, docs)
	ix.Adopt()
	if st := ix.Stats(); st.Stale != len(docs) {
		t.Fatalf("after Adopt %d stale lists, want all %d", st.Stale, len(docs))
	}
	if got := ix.Refresh(nil, nil); len(got) != 0 {
		t.Fatalf("Refresh after Adopt recomputed %d lists; Adopt must not treat the load as newcomers", len(got))
	}
	got := ix.Rescore(0)
	if err := ix.CheckState(); err != nil {
		t.Fatalf("after Adopt and Rescore: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("Rescore returned %d lists, want %d", len(got), len(want))
	}
	for id, w := range want {
		if !sameList(got[id], w) {
			t.Errorf("article %d: rescored %s, rebuilt %s", id, show(got[id]), show(w))
		}
	}

	// A newcomer after a fresh Adopt: its own list is exact at once.
	ix = related.New(o)
	put(ix, docs)
	ix.Adopt()
	nd := g.doc(10_000)
	nd.pub = docs[0].pub.Add(time.Hour)
	ix.Put(nd.id, nd.pub, nd.title, nd.tags)
	lists := ix.Refresh([]int64{nd.id}, nil)
	if err := ix.CheckState(); err != nil {
		t.Fatalf("after a newcomer on an adopted index: %v", err)
	}
	batch := map[int64][]feeds.RelatedPost{}
	ix.Batch(func(id int64, posts []feeds.RelatedPost) { batch[id] = posts })
	if !sameList(lists[nd.id], batch[nd.id]) {
		t.Errorf("newcomer after Adopt: %s, batch %s", show(lists[nd.id]), show(batch[nd.id]))
	}
	for id, l := range lists {
		if !sameList(l, batch[id]) {
			t.Errorf("list %d returned by Refresh after Adopt: %s, batch %s", id, show(l), show(batch[id]))
		}
	}
}

// TestNewcomerEntersStaleList: after a new weight generation every list is
// stale; a newcomer that ranks first in one enters it in place (returned by
// Refresh at once), the list stays stale, and Rescore then brings it to
// exactly what Batch computes.
func TestNewcomerEntersStaleList(t *testing.T) {
	o := related.Options{Limit: 3, Window: 60 * day, Reweigh: -1}
	ix := related.New(o)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	put := func(id int64, title string, tags ...string) {
		ix.Put(id, base.Add(time.Duration(id)*time.Hour), title, tags)
	}
	put(1, "harbour strike enters second week", "ports", "strike", "labour")
	put(2, "wheat prices climb after drought", "wheat", "drought")
	put(3, "union votes on harbour deal", "strike", "labour")
	put(4, "drought spreads across the plains", "drought", "weather")
	if err := ix.Rebuild(func(int64, []feeds.RelatedPost) error { return nil }); err != nil {
		t.Fatal(err)
	}
	ix.Reweigh()
	if st := ix.Stats(); st.Stale != 4 {
		t.Fatalf("after Reweigh %d stale lists, want 4", st.Stale)
	}
	put(5, "dockers extend harbour strike into a third week", "ports", "strike", "labour")
	got := ix.Refresh(nil, nil)
	if l := got[1]; len(l) == 0 || l[0].ArticleID != 5 {
		t.Fatalf("stale list of 1 after the newcomer: %s, want 5 first", show(l))
	}
	if st := ix.Stats(); st.Stale != 4 {
		t.Fatalf("%d stale lists after the newcomer, want 4: lists it entered stay stale for Rescore", st.Stale)
	}
	rescored := ix.Rescore(0)
	ix.Batch(func(id int64, want []feeds.RelatedPost) {
		if id == 1 && !sameList(rescored[1], want) {
			t.Errorf("list 1 rescored %s, batch %s", show(rescored[1]), show(want))
		}
	})
	if st := ix.Stats(); st.Stale != 0 {
		t.Errorf("%d stale lists after Rescore(0)", st.Stale)
	}
	if err := ix.CheckState(); err != nil {
		t.Error(err)
	}
}

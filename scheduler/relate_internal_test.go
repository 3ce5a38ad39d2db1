package scheduler

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/related"
	"github.com/feedloom/feedloom/storage"
	"github.com/feedloom/feedloom/storage/storagetest"
)

// relateScheduler is a Scheduler with a related index over a fresh store,
// its index built, for calling relate directly.
func relateScheduler(t *testing.T, now func() time.Time) (*Scheduler, *storage.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f.db")
	db, err := storage.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		storagetest.CheckForeignKeys(t, path)
		db.Close()
	})
	sc, err := New(Options{Store: db, Fetcher: fetch.New(fetch.Options{}), Now: now,
		Related: related.New(related.Options{Limit: 5, Window: 30 * 24 * time.Hour})}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.BuildIndex(t.Context()); err != nil {
		t.Fatal(err)
	}
	return sc, db
}

// TestRelateOutOfOrder: two ingests commit in one order and reach relate
// in the other. The older one's description of the article it inserted
// predates the newer one's merge (a syndicated copy with one more tag), so
// relate must read the article back instead of putting the stale
// description over the merge.
func TestRelateOutOfOrder(t *testing.T) {
	ctx := context.Background()
	sc, db := relateScheduler(t, time.Now)
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	story := func(key, link, title string, tags ...string) feeds.Article {
		return feeds.Article{ItemKey: key, GUID: key, Link: link, Title: title, TitleKey: title,
			Published: t0, ContentHash: key, Tags: tags}
	}
	put := func(source string, a feeds.Article) feeds.IngestResult {
		res, err := db.Ingest(ctx, source, feeds.SourceState{Name: source, URL: "https://" + source + ".example/feed"},
			[]feeds.Article{a}, t0)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	other := put("a", story("y", "https://a.example/y", "dockers vote to end the harbour strike", "harbour-strike"))
	older := put("a", story("x", "https://a.example/x", "wheat exports resume from the southern ports", "wheat"))
	newer := put("b", story("x2", "https://a.example/x", "wheat exports resume from the southern ports", "harbour-strike"))
	if newer.Seq <= older.Seq || len(newer.Described) != 1 {
		t.Fatalf("setup: older %+v newer %+v", older, newer)
	}
	for _, res := range []feeds.IngestResult{other, newer, older} {
		if err := sc.relate(ctx, res); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.saveUnsaved(ctx); err != nil {
		t.Fatal(err)
	}
	x := older.Described[0].ID
	got, err := db.Related(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got, func(p feeds.RelatedPost) bool { return p.ArticleID == other.Described[0].ID }) {
		t.Errorf("Related(%d) = %+v: the merged tag was undone by the older description", x, got)
	}
}

// TestDirtyListsWait: a list changed while other fetches are stored waits
// (the article stays pending in the store) until flushLag has passed since
// the first waiting list; then the next relate writes every waiting list.
func TestDirtyListsWait(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	sc, db := relateScheduler(t, func() time.Time { return now })
	put := func(key, title string) feeds.IngestResult {
		res, err := db.Ingest(ctx, "a", feeds.SourceState{Name: "a", URL: "https://a.example/feed"},
			[]feeds.Article{{ItemKey: key, GUID: key, Link: "https://a.example/" + key, Title: title, TitleKey: title,
				Published: now, ContentHash: key, Tags: []string{"harbour-strike", "ports"}}}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.relate(ctx, res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	pending := func() []int64 {
		ids, err := db.PendingRelated(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	a := put("a", "dockers strike at the northern harbour").Described[0].ID
	if got := pending(); !slices.Equal(got, []int64{a}) {
		t.Fatalf("pending after the first relate = %v, want [%d] (its list waits)", got, a)
	}
	now = now.Add(flushLag)
	b := put("b", "harbour strike spreads to the southern ports").Described[0].ID
	if got := pending(); len(got) != 0 {
		t.Fatalf("pending after flushLag = %v, want none", got)
	}
	if rel, err := db.Related(ctx, a); err != nil || len(rel) != 1 || rel[0].ArticleID != b {
		t.Errorf("Related(a) = %+v, %v; want [b]", rel, err)
	}
}

// TestNeighbourListsWaitLonger: a list that only gained a neighbour (its
// stored version is still sound) is not written by the save that writes
// the newcomer's own list after flushLag; it waits for staleLag.
func TestNeighbourListsWaitLonger(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	sc, db := relateScheduler(t, func() time.Time { return now })
	put := func(key, title string, tags ...string) int64 {
		res, err := db.Ingest(ctx, "a", feeds.SourceState{Name: "a", URL: "https://a.example/feed"},
			[]feeds.Article{{ItemKey: key, GUID: key, Link: "https://a.example/" + key, Title: title, TitleKey: title,
				Published: now, ContentHash: key, Tags: tags}}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.relate(ctx, res); err != nil {
			t.Fatal(err)
		}
		return res.Described[0].ID
	}
	related := func(id int64) []int64 {
		rel, err := db.Related(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, p := range rel {
			ids = append(ids, p.ArticleID)
		}
		return ids
	}
	a := put("a", "dockers strike at the northern harbour", "harbour-strike", "ports")
	if err := sc.saveUnsaved(ctx); err != nil {
		t.Fatal(err)
	}
	now = now.Add(flushLag)
	b := put("b", "harbour strike spreads to the southern ports", "harbour-strike", "ports")
	now = now.Add(flushLag)
	put("c", "city council approves the new library budget", "council")
	if got := related(b); !slices.Equal(got, []int64{a}) {
		t.Fatalf("Related(b) = %v, want [a]: its own list is urgent", got)
	}
	if got := related(a); len(got) != 0 {
		t.Fatalf("Related(a) = %v, want [] until staleLag: it only gained a neighbour", got)
	}
	now = now.Add(staleLag)
	put("d", "library opening hours extended", "council")
	if got := related(a); !slices.Equal(got, []int64{b}) {
		t.Errorf("Related(a) = %v after staleLag, want [b]", got)
	}
}

// TestRelateMerged: when an ingest merges one stored article into another,
// relate takes the merged one out of the index, so no saved list names it.
func TestRelateMerged(t *testing.T) {
	ctx := context.Background()
	sc, db := relateScheduler(t, time.Now)
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	put := func(source, key, link, title string, tags ...string) feeds.IngestResult {
		res, err := db.Ingest(ctx, source, feeds.SourceState{Name: source, URL: "https://" + source + ".example/feed"},
			[]feeds.Article{{ItemKey: key, GUID: key, Link: link, LinkKey: link, Title: title, TitleKey: title,
				Published: t0, ContentHash: key, Tags: tags}}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := sc.relate(ctx, res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	other := put("c", "o", "https://c.example/o", "ferry crews walk out over pay in the harbour", "harbour-strike", "ferries")
	keep := put("a", "k", "https://a.example/k", "harbour strike enters its second week", "harbour-strike")
	loser := put("b", "l", "https://b.example/l", "dockers extend the strike at the harbour again", "harbour-strike", "ferries")
	merge := put("d", "m", "https://a.example/k", "dockers extend the strike at the harbour again")
	if !slices.Equal(merge.Merged, loser.Changed) {
		t.Fatalf("merge: %+v, want %v merged", merge, loser.Changed)
	}
	if err := sc.saveUnsaved(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sc.rel.index.Len(); n != 2 {
		t.Errorf("index holds %d articles, want 2", n)
	}
	for _, id := range []int64{other.Changed[0], keep.Changed[0]} {
		rel, err := db.Related(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(rel) != 1 || rel[0].ArticleID == loser.Changed[0] {
			t.Errorf("Related(%d) = %+v: want the other surviving article only", id, rel)
		}
	}
	if pending, err := db.PendingRelated(ctx); err != nil || len(pending) != 0 {
		t.Errorf("PendingRelated = %v, %v", pending, err)
	}
}

package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

func TestRelated(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	ids := ingest(t, db, "a", t0,
		art("1", "https://r.example/1", "Strike on oil depot in Iraq", t0, "h", "iraq", "oil", "security"),
		art("2", "https://r.example/2", "Iraq oil exports hit record", t0.Add(time.Hour), "h", "iraq", "oil"),
		art("3", "https://r.example/3", "Security forces deploy in Basra", t0.Add(2*time.Hour), "h", "iraq", "security"),
		art("4", "https://r.example/4", "Football cup final tonight here", t0.Add(3*time.Hour), "h", "sport"),
	).Changed
	if len(ids) != 4 {
		t.Fatalf("ingested %v", ids)
	}
	pending, err := db.PendingRelated(ctx)
	if err != nil || !slices.Equal(pending, ids) {
		t.Fatalf("PendingRelated = %v, %v; want %v", pending, err, ids)
	}
	saveRelated(t, db, map[int64][]feeds.RelatedPost{
		ids[0]: {{ArticleID: ids[2], Score: 2.5}, {ArticleID: ids[1], Score: 1.25}, {ArticleID: ids[0], Score: 9}, {ArticleID: 999999, Score: 1}},
		ids[1]: {{ArticleID: ids[0], Score: 1.25}},
		ids[3]: nil,
		424242: {{ArticleID: ids[0], Score: 1}}, // pruned meanwhile: skipped
	})
	pending, err = db.PendingRelated(ctx)
	if err != nil || !slices.Equal(pending, []int64{ids[2]}) {
		t.Errorf("PendingRelated after save = %v, %v; want [%d]", pending, err, ids[2])
	}

	t.Run("Related", func(t *testing.T) {
		got, err := db.Related(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		want := []feeds.RelatedPost{
			{ArticleID: ids[2], Title: "Security forces deploy in Basra", Link: "https://r.example/3", Published: t0.Add(2 * time.Hour), Score: 2.5, Shared: []string{"iraq", "security"}},
			{ArticleID: ids[1], Title: "Iraq oil exports hit record", Link: "https://r.example/2", Published: t0.Add(time.Hour), Score: 1.25, Shared: []string{"iraq", "oil"}},
		}
		if len(got) != len(want) {
			t.Fatalf("Related = %+v", got)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.ArticleID != w.ArticleID || g.Title != w.Title || g.Link != w.Link || !g.Published.Equal(w.Published) || g.Score != w.Score || !slices.Equal(g.Shared, w.Shared) {
				t.Errorf("Related[%d] = %+v, want %+v", i, g, w)
			}
		}
	})
	t.Run("empty and missing", func(t *testing.T) {
		if got, err := db.Related(ctx, ids[3]); err != nil || len(got) != 0 {
			t.Errorf("Related(empty list) = %v, %v", got, err)
		}
		if _, err := db.Related(ctx, 31337); !errors.Is(err, feeds.ErrNotFound) {
			t.Errorf("Related(missing) err = %v, want ErrNotFound", err)
		}
	})
	t.Run("replace", func(t *testing.T) {
		saveRelated(t, db, map[int64][]feeds.RelatedPost{ids[0]: {{ArticleID: ids[1], Score: 3}}})
		got, err := db.Related(ctx, ids[0])
		if err != nil || len(got) != 1 || got[0].ArticleID != ids[1] || got[0].Score != 3 {
			t.Errorf("after replace: %+v, %v", got, err)
		}
	})
	t.Run("RelatedFor", func(t *testing.T) {
		m, err := db.RelatedFor(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(m) != 2 || len(m[ids[0]]) != 1 || len(m[ids[1]]) != 1 || m[ids[1]][0].ArticleID != ids[0] {
			t.Errorf("RelatedFor = %+v", m)
		}
		if !slices.Equal(m[ids[1]][0].Shared, []string{"iraq", "oil"}) {
			t.Errorf("shared = %v", m[ids[1]][0].Shared)
		}
	})
}

// SaveRelated writes many lists a statement: a batch crossing the size
// classes, with lists of missing articles among them, stores exactly the
// lists of the articles that exist, and a second save of the same lists
// changes nothing (Generation stays).
func TestSaveRelatedMany(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	const n = 601 // 256 + 256 + 64 + 16 + 8 + 1
	for f := range n / 50 {
		if _, err := db.Ingest(ctx, fmt.Sprint("src-", f), feeds.SourceState{}, bulkFeed(f, 50, 64), t0); err != nil {
			t.Fatal(err)
		}
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := int64(st.Articles)
	lists := make(map[int64][]feeds.RelatedPost)
	for id := int64(1); id <= n; id++ { // ids past stored are missing
		lists[id] = []feeds.RelatedPost{{ArticleID: id%stored + 1, Score: 2}, {ArticleID: (id+1)%stored + 1, Score: 1}}
	}
	saveRelated(t, db, lists)
	if st, err = db.Stats(ctx); err != nil || int64(st.RelatedLists) != stored {
		t.Fatalf("%d lists stored (%v), want %d", st.RelatedLists, err, stored)
	}
	for _, id := range []int64{1, 256, 257, stored} {
		posts, err := db.Related(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(posts) != 2 || posts[0].ArticleID != id%stored+1 || posts[1].ArticleID != (id+1)%stored+1 {
			t.Errorf("Related(%d) = %+v", id, posts)
		}
	}
	gen := db.Generation()
	saveRelated(t, db, lists)
	if db.Generation() != gen {
		t.Errorf("saving the same lists again bumped Generation %d -> %d", gen, db.Generation())
	}
}

package storage_test

import (
	"context"
	"errors"
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

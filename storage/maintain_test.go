package storage_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

func count(t *testing.T, raw *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(100 * 24 * time.Hour)
	day := 24 * time.Hour
	db, path := openDB(t)
	// Source a: five articles, days 95..99 (newest last). Source b: two articles,
	// and it also carries a's oldest-but-one (day 96).
	var a []feeds.Article
	for i := range 5 {
		k := fmt.Sprint("a", i)
		a = append(a, art(k, "https://a.example/"+k, "Story from source a number "+k, now.Add(-time.Duration(5-i)*day), "h", "t-"+k, "shared"))
	}
	ids := ingest(t, db, "a", now, a...).Changed
	bIDs := ingest(t, db, "b", now,
		art("b-old", "https://b.example/old", "Very old story from source b", now.Add(-60*day), "h", "old-only"),
		art("b-new", "https://b.example/new", "New story from source b today", now.Add(-time.Hour), "h", "shared"),
		art("b-copy", a[1].Link, "Copy of a1 at source b here", now, "h2"),
	).Changed
	if len(ids) != 5 || len(bIDs) != 2 {
		t.Fatalf("setup: %v %v", ids, bIDs)
	}
	oldB, newB := bIDs[0], bIDs[1]
	// related lists pointing both ways at what will be pruned
	saveRelated(t, db, map[int64][]feeds.RelatedPost{
		ids[0]: {{ArticleID: ids[4], Score: 1}},
		ids[4]: {{ArticleID: ids[0], Score: 1}, {ArticleID: ids[2], Score: 0.5}},
		ids[3]: {{ArticleID: ids[2], Score: 0.9}, {ArticleID: ids[1], Score: 0.4}},
		newB:   {{ArticleID: oldB, Score: 1}},
	})

	// max age 30 days removes oldB; cap 2 per source removes a0 and a2 but not
	// a1 (b still keeps it within its newest 2: b-new, a1).
	deleted, err := db.Prune(ctx, 30*day, 2, now, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{ids[0], ids[2], oldB}
	slices.Sort(want)
	if !slices.Equal(deleted, want) {
		t.Fatalf("deleted %v, want %v", deleted, want)
	}

	raw := rawDB(t, path)
	for _, id := range deleted {
		for _, q := range []string{
			`SELECT count(*) FROM articles WHERE id = ?`,
			`SELECT count(*) FROM carriages WHERE article_id = ?`,
			`SELECT count(*) FROM article_tags WHERE article_id = ?`,
			`SELECT count(*) FROM related_lists WHERE article_id = ?`,
		} {
			if n := count(t, raw, q, id); n != 0 {
				t.Errorf("%s [%d] = %d after prune", q, id, n)
			}
		}
	}
	if n := count(t, raw, `SELECT count(*) FROM articles`); n != 4 {
		t.Errorf("%d articles left, want 4", n)
	}
	if n, _ := db.TagCount(ctx, "old-only"); n != 0 {
		t.Errorf("TagCount(old-only) = %d after prune", n)
	}
	if n, _ := db.TagCount(ctx, "shared"); n != 4 { // a1, a3, a4, b-new
		t.Errorf("TagCount(shared) = %d, want 4", n)
	}
	// entries pointing at pruned articles are skipped when read
	for _, id := range []int64{ids[4], newB} {
		if rel, err := db.Related(ctx, id); err != nil || len(rel) != 0 {
			t.Errorf("Related(%d) = %v, %v; want empty", id, rel, err)
		}
	}
	if rel, err := db.Related(ctx, ids[3]); err != nil || len(rel) != 1 || rel[0].ArticleID != ids[1] {
		t.Errorf("Related(%d) = %+v, %v; want only %d", ids[3], rel, err, ids[1])
	}
	if rel, err := db.Related(ctx, ids[4]); err != nil || len(rel) != 0 {
		t.Errorf("Related(%d) = %v, %v; want empty", ids[4], rel, err)
	}

	t.Run("nothing more to prune", func(t *testing.T) {
		deleted, err := db.Prune(ctx, 30*day, 2, now, 0)
		if err != nil || len(deleted) != 0 {
			t.Errorf("second prune deleted %v, %v", deleted, err)
		}
	})
	t.Run("zero means keep", func(t *testing.T) {
		deleted, err := db.Prune(ctx, 0, 0, now.Add(1000*day), 0)
		if err != nil || len(deleted) != 0 {
			t.Errorf("prune with no limits deleted %v, %v", deleted, err)
		}
	})
	t.Run("ids are not reused", func(t *testing.T) {
		max := slices.Max(append(ids, bIDs...))
		if _, err := db.Prune(ctx, time.Nanosecond, 0, now.Add(day), 0); err != nil {
			t.Fatal(err)
		}
		got := ingest(t, db, "a", now, art("fresh", "https://a.example/fresh", "A fresh story after pruning", now, "h")).Changed
		if got[0] <= max {
			t.Errorf("new id %d reuses an id <= %d", got[0], max)
		}
	})
}

func TestPruneGivesSpaceBack(t *testing.T) {
	db, path := openDB(t)
	ctx := context.Background()
	for f := range 6 {
		ingest(t, db, "big", t0, bulkFeed(f, 50, 3000)...)
	}
	raw := rawDB(t, path)
	before := count(t, raw, "PRAGMA page_count")
	deleted, err := db.Prune(ctx, time.Hour, 0, t0.Add(365*24*time.Hour), 200)
	if err != nil || len(deleted) != 300 {
		t.Fatalf("Prune: %d deleted, %v", len(deleted), err)
	}
	after := count(t, raw, "PRAGMA page_count")
	if free := count(t, raw, "PRAGMA freelist_count"); free != 0 || after > before/4 {
		t.Errorf("pages %d -> %d, %d free: space not given back", before, after, free)
	}
}

func TestStats(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	if err := db.SyncSources(ctx, []feeds.Source{{Name: "a", URL: "https://a.example/"}, {Name: "b", URL: "https://b.example/"}}); err != nil {
		t.Fatal(err)
	}
	ids := ingest(t, db, "a", t0,
		art("1", "https://a.example/1", "First story for the stats", t0, "h", "x", "y"),
		art("2", "https://a.example/2", "Second story for the stats", t0, "h", "y")).Changed
	ingest(t, db, "b", t0, art("9", "https://a.example/1", "First story for the stats", t0, "h"))
	if err := db.SaveFetchState(ctx, feeds.SourceState{Name: "b", Failures: 2, LastError: "timeout"}); err != nil {
		t.Fatal(err)
	}
	saveRelated(t, db, map[int64][]feeds.RelatedPost{ids[0]: {{ArticleID: ids[1], Score: 1}}})

	s, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := feeds.Stats{Sources: 2, SourcesFailing: 1, Articles: 2, Carriages: 3, Tags: 2, RelatedLists: 1, DBBytes: s.DBBytes}
	if s != want || s.DBBytes <= 0 {
		t.Errorf("Stats = %+v, want %+v", s, want)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"articles", "carriages", "db_bytes", "related_lists", "sources", "sources_failing", "tags"}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("JSON keys = %v, want %v", keys, wantKeys)
	}
}

// TestSourceArticleCountKept checks the stored per-source count (0012)
// against the carriages themselves through ingest, a copy carried by a
// second source, a re-fetch of the same items and retention's cascade.
func TestSourceArticleCountKept(t *testing.T) {
	ctx := context.Background()
	now := t0.Add(100 * 24 * time.Hour)
	day := 24 * time.Hour
	db, path := openDB(t)
	raw := rawDB(t, path)
	check := func(step string) {
		t.Helper()
		states, err := db.SourceStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range states {
			want := count(t, raw, `SELECT count(*) FROM carriages c JOIN sources s ON s.id = c.source_id WHERE s.name = ?`, st.Name)
			if st.ArticleCount != want {
				t.Errorf("%s: %s: ArticleCount = %d, carriages %d", step, st.Name, st.ArticleCount, want)
			}
		}
	}
	var a []feeds.Article
	for i := range 4 {
		k := fmt.Sprint("a", i)
		a = append(a, art(k, "https://a.example/"+k, "Story from source a number "+k, now.Add(-time.Duration(40*i)*day), "h"))
	}
	ingest(t, db, "a", now, a...)
	check("ingest")
	ingest(t, db, "b", now, art("b-copy", a[0].Link, "Copy of a0 at source b", now, "h2"),
		art("b-old", "https://b.example/old", "Old story from source b", now.Add(-90*day), "h"))
	check("copy")
	ingest(t, db, "a", now, a...)
	check("same items again")
	if _, err := db.Prune(ctx, 30*day, 0, now, 0); err != nil {
		t.Fatal(err)
	}
	check("prune")
	if st, err := db.SourceState(ctx, "a"); err != nil || st.ArticleCount != 1 {
		t.Errorf("a after prune: ArticleCount = %d, %v; want 1", st.ArticleCount, err)
	}
}

package storage_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
)

// gens is both generations of a DB at one moment.
type gens struct{ content, state uint64 }

func gensOf(db *storage.DB) gens { return gens{db.Generation(), db.StateGeneration()} }

// expectBump checks which generations moved from before to now.
func expectBump(t *testing.T, what string, db *storage.DB, before gens, content, state bool) {
	t.Helper()
	now := gensOf(db)
	if got := now.content != before.content; got != content {
		t.Errorf("%s: Generation moved = %v, want %v (%d -> %d)", what, got, content, before.content, now.content)
	}
	if got := now.state != before.state; got != state {
		t.Errorf("%s: StateGeneration moved = %v, want %v (%d -> %d)", what, got, state, before.state, now.state)
	}
}

// TestGenerations: Generation moves only for content writes,
// StateGeneration for every write.
func TestGenerations(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	now := t0.Add(10 * 24 * time.Hour)
	a1 := art("k1", "https://g.example/1", "First story about the harbour", now.Add(-time.Hour), "h1", "port")
	a2 := art("k2", "https://g.example/2", "Second story about the harbour", now.Add(-2*time.Hour), "h2", "port")
	old := art("k3", "https://g.example/3", "An old story about the harbour", now.Add(-60*24*time.Hour), "h3")
	var ids []int64
	for _, tc := range []struct {
		name           string
		write          func(t *testing.T)
		content, state bool
	}{
		{"SyncSources", func(t *testing.T) {
			if err := db.SyncSources(ctx, []feeds.Source{{Name: "s", URL: "https://g.example/feed"}}); err != nil {
				t.Fatal(err)
			}
		}, true, true},
		{"Ingest new", func(t *testing.T) { ids = ingest(t, db, "s", now, a1, a2, old).Changed }, true, true},
		{"Ingest all duplicates", func(t *testing.T) { ingest(t, db, "s", now, a1, a2, old) }, false, true},
		{"Ingest a new carrier", func(t *testing.T) { ingest(t, db, "t", now, a1) }, true, true},
		{"Ingest a new category", func(t *testing.T) {
			c := a1
			c.Categories = []string{"Harbour"}
			ingest(t, db, "s", now, c)
		}, true, true},
		{"SaveFetchState", func(t *testing.T) {
			if err := db.SaveFetchState(ctx, feeds.SourceState{Name: "s", LastStatus: 304, LastFetch: now}); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"SaveRelated", func(t *testing.T) {
			saveRelated(t, db, map[int64][]feeds.RelatedPost{ids[0]: {{ArticleID: ids[1], Score: 1}}})
		}, true, true},
		{"SaveRelated of a missing article", func(t *testing.T) {
			saveRelated(t, db, map[int64][]feeds.RelatedPost{999999: {{ArticleID: ids[1], Score: 1}}})
		}, false, true},
		{"SetTags unchanged", func(t *testing.T) {
			if err := db.SetTags(ctx, ids[0], []string{"port"}); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"SetTags", func(t *testing.T) {
			if err := db.SetTags(ctx, ids[0], []string{"port", "ships"}); err != nil {
				t.Fatal(err)
			}
		}, true, true},
		{"Prune nothing", func(t *testing.T) {
			if got, err := db.Prune(ctx, 365*24*time.Hour, 0, now, 0); err != nil || len(got) != 0 {
				t.Fatalf("Prune = %v, %v", got, err)
			}
		}, false, false},
		{"Prune", func(t *testing.T) {
			if got, err := db.Prune(ctx, 30*24*time.Hour, 0, now, 0); err != nil || len(got) != 1 {
				t.Fatalf("Prune = %v, %v", got, err)
			}
		}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := gensOf(db)
			tc.write(t)
			expectBump(t, tc.name, db, before, tc.content, tc.state)
		})
	}
}

// TestGenerationsAcrossProcesses: serve (a) and `feedloom fetch` (b) share
// one file. a learns of b's writes by polling or at its own next write; b's
// fetch-state writes move only a's StateGeneration, and a is never fooled
// by its own writes.
func TestGenerationsAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "two.db")
	open := func() *storage.DB {
		db, err := storage.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Error(err)
			}
		})
		return db
	}
	a, b := open(), open()
	poll := func(t *testing.T) {
		t.Helper()
		if err := storage.Poll(a, ctx); err != nil {
			t.Fatal(err)
		}
	}
	fetchState := func(db *storage.DB, status int) func(t *testing.T) {
		return func(t *testing.T) {
			if err := db.SaveFetchState(ctx, feeds.SourceState{Name: "s", LastStatus: status}); err != nil {
				t.Fatal(err)
			}
		}
	}
	n := 0
	newArticle := func(db *storage.DB) func(t *testing.T) {
		return func(t *testing.T) {
			n++
			k := string(rune('a' + n))
			ingest(t, db, "s", t0, art(k, "https://x.example/"+k, "A story numbered "+k+" for the test", t0, "h"))
		}
	}
	nothing := func(*testing.T) {}
	for _, tc := range []struct {
		name           string
		steps          []func(t *testing.T)
		content, state bool // of a, after all steps
	}{
		{"own write", []func(*testing.T){newArticle(a)}, true, true},
		{"poll after own write", []func(*testing.T){poll}, false, false},
		{"own fetch state", []func(*testing.T){fetchState(a, 200)}, false, true},
		{"poll after own fetch state", []func(*testing.T){poll, poll}, false, false},
		{"other's fetch state, polled", []func(*testing.T){fetchState(b, 304), poll}, false, true},
		{"other's new article, polled", []func(*testing.T){newArticle(b), poll}, true, true},
		{"other's fetch state, unpolled", []func(*testing.T){fetchState(b, 304)}, false, false},
		{"own fetch state after other's unseen one", []func(*testing.T){fetchState(a, 200)}, false, true},
		{"poll after own write saw the other's", []func(*testing.T){poll}, false, false},
		{"own fetch state after other's unseen article", []func(*testing.T){newArticle(b), fetchState(a, 304)}, true, true},
		{"then a poll", []func(*testing.T){poll}, false, false},
		{"other's writes after own", []func(*testing.T){fetchState(a, 200), fetchState(b, 200), poll}, false, true},
		{"nothing", []func(*testing.T){nothing}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := gensOf(a)
			for _, step := range tc.steps {
				step(t)
			}
			expectBump(t, tc.name, a, before, tc.content, tc.state)
		})
	}
}

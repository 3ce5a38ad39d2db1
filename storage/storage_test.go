package storage_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
)

// rawDB opens the file directly, bypassing package storage, to inspect it.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := raw.Close(); err != nil {
			t.Error(err)
		}
	})
	return raw
}

func pragmaInt(t *testing.T, raw *sql.DB, name string) int {
	t.Helper()
	var v int
	if err := raw.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func schema(t *testing.T, raw *sql.DB) string {
	t.Helper()
	rows, err := raw.Query(`SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var s string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		s += line + "\n"
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")

	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatalf("fresh Open: %v", err)
	}
	ingest(t, db, "one", t0, art("k1", "https://a.example/1", "Alpha beta gamma delta", t0, "h1", "world"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	ver := pragmaInt(t, raw, "user_version")
	if ver < 1 {
		t.Fatalf("user_version after fresh migrate = %d, want >= 1", ver)
	}
	if got := pragmaInt(t, raw, "auto_vacuum"); got != 2 {
		t.Errorf("auto_vacuum = %d, want 2 (incremental)", got)
	}
	before := schema(t, raw)

	db, err = storage.Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if n := len(allArticles(t, db)); n != 1 {
		t.Errorf("articles after re-open = %d, want 1", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := pragmaInt(t, raw, "user_version"); got != ver {
		t.Errorf("user_version after re-run = %d, want %d", got, ver)
	}
	if after := schema(t, raw); after != before {
		t.Errorf("schema changed on re-run:\n%s\nvs\n%s", before, after)
	}
	var problems int
	if err := raw.QueryRow("SELECT count(*) FROM pragma_foreign_key_check").Scan(&problems); err != nil || problems != 0 {
		t.Errorf("foreign_key_check: %d problems, %v", problems, err)
	}
}

func TestOpenRejects(t *testing.T) {
	for _, tc := range []struct{ name, path string }{
		{"empty", ""},
		{"memory", ":memory:"},
		{"memory uri", "file::memory:?cache=shared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if db, err := storage.Open(context.Background(), tc.path); err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
		})
	}
	t.Run("newer schema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.db")
		raw := rawDB(t, path)
		if _, err := raw.Exec("PRAGMA user_version = 999"); err != nil {
			t.Fatal(err)
		}
		if db, err := storage.Open(context.Background(), path); err == nil {
			db.Close()
			t.Fatal("Open of a newer schema succeeded")
		}
	})
}

// TestConcurrentReadersOneWriter runs readers on every read path while one
// writer commits feed after feed; run with -race.
func TestConcurrentReadersOneWriter(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	const feedsN, items = 12, 10
	done := make(chan struct{})
	errc := make(chan error, 8)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for f := range feedsN {
			var arts []feeds.Article
			for i := range items {
				k := fmt.Sprintf("f%d-i%d", f, i)
				arts = append(arts, art(k, "https://x.example/"+k, "Story number "+k+" about things", t0.Add(time.Duration(f*items+i)*time.Minute), "h", "world", fmt.Sprintf("t%d", i)))
			}
			if _, err := db.Ingest(ctx, fmt.Sprintf("src%d", f%4), feeds.SourceState{}, arts, t0); err != nil {
				errc <- err
				return
			}
		}
	})
	for r := range 3 {
		wg.Go(func() {
			last := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				arts, err := db.Articles(ctx, feeds.Filter{Limit: 1000, TagsAny: []string{"world"}})
				if err != nil {
					errc <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				if len(arts) < last {
					errc <- fmt.Errorf("reader %d: article count went back from %d to %d", r, last, len(arts))
					return
				}
				last = len(arts)
				if _, err := db.Stats(ctx); err != nil {
					errc <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				if len(arts) > 0 {
					if _, err := db.Article(ctx, arts[0].ID); err != nil {
						errc <- fmt.Errorf("reader %d: %w", r, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n := len(allArticles(t, db)); n != feedsN*items {
		t.Errorf("articles = %d, want %d", n, feedsN*items)
	}
}

func TestBackup(t *testing.T) {
	t.Run("while writing", func(t *testing.T) {
		db, _ := openDB(t)
		ctx := context.Background()
		started := make(chan struct{})
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var werr error
		wg.Go(func() {
			for f := 0; ; f++ {
				var arts []feeds.Article
				for i := range 20 {
					k := fmt.Sprintf("f%d-i%d", f, i)
					arts = append(arts, art(k, "https://x.example/"+k, "Backup story "+k+" goes on", t0, "h", "tag"))
				}
				if _, err := db.Ingest(ctx, "writer", feeds.SourceState{}, arts, t0); err != nil {
					werr = err
					return
				}
				if f == 0 {
					close(started)
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		})
		<-started
		out := filepath.Join(t.TempDir(), "backup.db")
		err := db.Backup(ctx, out)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatalf("Backup: %v", err)
		}
		if werr != nil {
			t.Fatalf("writer: %v", werr)
		}
		raw := rawDB(t, out)
		var check string
		if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Fatalf("integrity_check = %q, %v", check, err)
		}
		var n int
		if err := raw.QueryRow("SELECT count(*) FROM articles").Scan(&n); err != nil || n < 20 {
			t.Fatalf("backup holds %d articles (%v), want >= 20", n, err)
		}
		b, err := storage.Open(ctx, out)
		if err != nil {
			t.Fatalf("Open backup: %v", err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("refuses existing file", func(t *testing.T) {
		db, _ := openDB(t)
		out := filepath.Join(t.TempDir(), "exists.db")
		if err := os.WriteFile(out, []byte("precious"), 0o600); err != nil {
			t.Fatal(err)
		}
		err := db.Backup(context.Background(), out)
		if !errors.Is(err, fs.ErrExist) {
			t.Fatalf("Backup over existing file: err = %v, want fs.ErrExist", err)
		}
		if data, _ := os.ReadFile(out); string(data) != "precious" {
			t.Fatalf("existing file was changed: %q", data)
		}
	})
}

func TestGenerationAndWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "w.db")
		a, err := storage.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := storage.Open(ctx, path) // stands in for another process
		if err != nil {
			t.Fatal(err)
		}
		g := a.Generation()
		ingest(t, a, "own", t0, art("k", "https://o.example/1", "Own write bumps generation", t0, "h"))
		if a.Generation() == g {
			t.Error("own write did not bump Generation")
		}

		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { a.Watch(wctx, time.Second); close(done) }()
		synctest.Wait()
		g = a.Generation()
		ingest(t, b, "other", t0, art("k2", "https://o.example/2", "Other process writes this", t0, "h"))
		time.Sleep(1500 * time.Millisecond) // fake time inside the bubble
		synctest.Wait()
		if a.Generation() == g {
			t.Error("Watch did not notice another connection's write")
		}
		g = a.Generation()
		time.Sleep(3 * time.Second)
		synctest.Wait()
		if a.Generation() != g {
			t.Error("Watch bumped Generation without a write")
		}
		cancel()
		<-done
		if err := errors.Join(a.Close(), b.Close()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSources(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	srcs := []feeds.Source{
		{Name: "alpha", URL: "https://alpha.example/rss", Tags: []string{"world"}, Schedule: "@every 10m"},
		{Name: "beta", URL: "https://beta.example/rss", Schedule: "@every 10m"},
	}
	if err := db.SyncSources(ctx, srcs); err != nil {
		t.Fatal(err)
	}
	st, err := db.SourceState(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if st.URL != srcs[0].URL || st.ConfigHash == "" {
		t.Fatalf("new source state = %+v", st)
	}
	st.ETag, st.LastModified = `"v1"`, "Sat, 01 Mar 2025 12:00:00 GMT"
	st.RedirectURL = "https://alpha.example/new-rss"
	st.LastFetch, st.LastSuccess = t0, t0.Add(-time.Hour)
	st.NextAttempt = t0.Add(30 * time.Minute)
	st.LastStatus, st.LastError, st.Failures, st.Gone, st.ItemCount = 503, "status 503", 3, true, 42
	if err := db.SaveFetchState(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := db.SourceState(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastFetch.Equal(st.LastFetch) || !got.NextAttempt.Equal(st.NextAttempt) || !got.LastSuccess.Equal(st.LastSuccess) {
		t.Errorf("times did not round-trip: %+v", got)
	}
	got.LastFetch, got.NextAttempt, got.LastSuccess = st.LastFetch, st.NextAttempt, st.LastSuccess
	if fmt.Sprint(got) != fmt.Sprint(st) {
		t.Errorf("state round trip:\n got %+v\nwant %+v", got, st)
	}

	t.Run("same config keeps state", func(t *testing.T) {
		if err := db.SyncSources(ctx, srcs); err != nil {
			t.Fatal(err)
		}
		got, err := db.SourceState(ctx, "alpha")
		if err != nil {
			t.Fatal(err)
		}
		if !got.Gone || got.Failures != 3 || got.RedirectURL == "" || got.ETag == "" {
			t.Errorf("unchanged config cleared state: %+v", got)
		}
	})
	t.Run("changed config clears gone, redirect, backoff", func(t *testing.T) {
		changed := []feeds.Source{srcs[0], srcs[1]}
		changed[0].URL = "https://alpha.example/feed.xml"
		if err := db.SyncSources(ctx, changed); err != nil {
			t.Fatal(err)
		}
		got, err := db.SourceState(ctx, "alpha")
		if err != nil {
			t.Fatal(err)
		}
		if got.Gone || got.Failures != 0 || got.RedirectURL != "" || !got.NextAttempt.IsZero() || got.ETag != "" || got.URL != changed[0].URL {
			t.Errorf("changed config kept state: %+v", got)
		}
	})
	t.Run("removed source leaves SourceStates", func(t *testing.T) {
		if err := db.SyncSources(ctx, srcs[:1]); err != nil {
			t.Fatal(err)
		}
		states, err := db.SourceStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != 1 || states[0].Name != "alpha" {
			t.Errorf("SourceStates = %+v, want only alpha", states)
		}
	})
	t.Run("unknown source", func(t *testing.T) {
		if _, err := db.SourceState(ctx, "nope"); !errors.Is(err, feeds.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("article count", func(t *testing.T) {
		ingest(t, db, "alpha", t0, art("1", "https://a.example/1", "One story here today", t0, "h"),
			art("2", "https://a.example/2", "Two story here today", t0, "h"))
		got, err := db.SourceState(ctx, "alpha")
		if err != nil {
			t.Fatal(err)
		}
		if got.ArticleCount != 2 {
			t.Errorf("ArticleCount = %d, want 2", got.ArticleCount)
		}
	})
}

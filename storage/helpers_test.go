package storage_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
	"github.com/feedloom/feedloom/storage/storagetest"
)

// t0 is a fixed clock for tests.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// openDB opens a fresh database file in t.TempDir and closes it at cleanup.
func openDB(t testing.TB) (*storage.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "feedloom.db")
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		storagetest.CheckForeignKeys(t, path)
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

// art builds an article as the normaliser would hand it to Ingest.
func art(key, link, title string, pub time.Time, hash string, tags ...string) feeds.Article {
	return feeds.Article{
		ItemKey: key, GUID: key, Link: link, LinkKey: link, Title: title, TitleKey: titleKey(title),
		Summary: "<p>" + title + "</p>", Content: "<p>body of " + title + "</p>", Author: "desk",
		Published: pub, ContentHash: hash, Tags: tags,
	}
}

// titleKey is a stand-in for normalize.TitleKey: lower case, letters, digits and spaces.
func titleKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == ' ' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// ingest calls Ingest with an empty fetch state and fails the test on error.
func ingest(t testing.TB, db *storage.DB, source string, now time.Time, arts ...feeds.Article) feeds.IngestResult {
	t.Helper()
	res, err := db.Ingest(context.Background(), source, feeds.SourceState{Name: source, URL: "https://" + source + ".example/feed"}, arts, now)
	if err != nil {
		t.Fatalf("Ingest(%s): %v", source, err)
	}
	return res
}

// allArticles returns every article, newest first.
func allArticles(t testing.TB, db *storage.DB) []feeds.Article {
	t.Helper()
	arts, err := db.Articles(context.Background(), feeds.Filter{Limit: 1 << 30})
	if err != nil {
		t.Fatalf("Articles: %v", err)
	}
	return arts
}

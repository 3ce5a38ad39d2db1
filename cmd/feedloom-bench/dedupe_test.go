package main

import (
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/parse"
	"github.com/feedloom/feedloom/storage"
)

// TestDedupeSet scores dedupe on each labelled set: every item kept, and
// pairwise precision and recall above their floors. holdout.json was
// written blind to the matcher; false merges and missed pairs are logged.
func TestDedupeSet(t *testing.T) {
	names, err := fs.Glob(dedupeSets, "testdata/dedupe/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no labelled sets in testdata/dedupe: %v", err)
	}
	for _, name := range names {
		t.Run(path.Base(name), func(t *testing.T) {
			s, err := scoreDedupe(context.Background(), t.TempDir(), name)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d items, %d stories, %d articles: precision %.3f, recall %.3f, lost %d", s.Items, s.Stories, s.Articles, s.Precision, s.Recall, s.Lost)
			for _, w := range s.Wrong {
				t.Log("mixed:", w)
			}
			for _, p := range s.Merged {
				t.Log("false merge:", p)
			}
			for _, p := range s.Missed {
				t.Log("missed:", p)
			}
			if s.Lost > 0 {
				t.Errorf("%d items lost", s.Lost)
			}
			const minPrecision, minRecall = 0.98, 0.95
			if s.Precision < minPrecision || s.Recall < minRecall {
				t.Errorf("precision %.3f (floor %.2f), recall %.3f (floor %.2f)", s.Precision, minPrecision, s.Recall, minRecall)
			}
		})
	}
}

// TestScriptingNews stores the corpus's Scripting News feed, whose 50 posts
// have their own guids and links that differ only by #fragment: every post
// must be its own article, under its own link with its anchor.
func TestScriptingNews(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "corpus", "rss", "jsonfeedtorss-scripting.rss")
	if d := os.Getenv("FEED_CORPUS"); d != "" {
		path = filepath.Join(d, "rss", "jsonfeedtorss-scripting.rss")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	ctx := context.Background()
	feed, err := parse.Parse(data, "application/rss+xml", "http://scripting.com/rss.xml")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2018, 5, 30, 0, 0, 0, 0, time.UTC)
	arts := normalize.New().Articles(feed, now)
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	res, err := db.Ingest(ctx, "scripting", feeds.SourceState{URL: "http://scripting.com/rss.xml"}, arts, now)
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 50 || len(feed.Items) != 50 {
		t.Errorf("%d items stored as %d articles, want 50 of 50", len(feed.Items), res.New)
	}
	anchored := 0
	for _, it := range feed.Items {
		if strings.Contains(it.Link, "#") {
			anchored++
		}
	}
	links := make(map[string]bool)
	for _, id := range res.Changed {
		a, err := db.Article(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(a.Link, "#") {
			anchored--
		}
		links[a.Link] = true
	}
	if len(links) != 50 || anchored != 0 {
		t.Errorf("%d distinct links, want 50; %d anchors lost", len(links), anchored)
	}
}

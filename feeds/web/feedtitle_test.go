package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// TestFeedTitleAsSourceName: a source configured without a title is shown
// by its feed's own title, not its slug, as its name and as the author of
// its articles that have none, in every feed and page; a configured title
// still wins.
func TestFeedTitleAsSourceName(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st := f.settings
	st.Sources = append(st.Sources, feeds.Source{Name: "gamma", URL: "https://gamma.example/feed", Schedule: "@every 10m"})
	if err := f.db.SyncSources(ctx, st.Sources); err != nil {
		t.Fatal(err)
	}
	if err := f.h.Apply(st); err != nil {
		t.Fatal(err)
	}
	a := art("gamma-1", "Harbour reopens after storm", t0.Add(time.Hour), "world")
	a.Author = ""
	state := feeds.SourceState{Name: "gamma", URL: "https://gamma.example/feed", LastFetch: t0, LastSuccess: t0,
		LastStatus: 200, ItemCount: 1, FeedTitle: "Gamma Gazette"}
	if _, err := f.db.Ingest(ctx, "gamma", state, []feeds.Article{a}, t0); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.SourceState(ctx, "gamma")
	if err != nil || got.FeedTitle != "Gamma Gazette" {
		t.Fatalf("stored feed title %q, %v", got.FeedTitle, err)
	}
	for _, p := range []string{"/feeds/all.atom", "/feeds/all.rss", "/feeds/all.json", "/tags/world.atom", "/", "/tags/world", "/sources", "/sources.json"} {
		t.Run(p, func(t *testing.T) {
			body := f.get(t, p, 200).text(t)
			if !strings.Contains(body, "Gamma Gazette") {
				t.Errorf("%s does not name the source by its feed's title: %.2000s", p, body)
			}
			if !strings.HasSuffix(p, ".json") && !strings.Contains(body, "Alpha News") { // JSON Feed names no source, only authors
				t.Errorf("%s lost the configured title of alpha", p)
			}
		})
	}
	// The article page names its source too.
	arts, err := f.db.Articles(ctx, feeds.Filter{Sources: []string{"gamma"}, Limit: 1})
	if err != nil || len(arts) != 1 {
		t.Fatalf("articles of gamma: %v %v", arts, err)
	}
	if body := f.get(t, articlePath(arts[0].ID), 200).text(t); !strings.Contains(body, "Gamma Gazette") {
		t.Errorf("article page does not name the source by its feed's title")
	}
}

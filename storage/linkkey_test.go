package storage_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// keyed is art with a link key apart from the published link, as
// normalize.LinkKey gives it (no scheme, no www.).
func keyed(key, link, title string, pub time.Time, hash string) feeds.Article {
	a := art(key, link, title, pub, hash)
	a.LinkKey = strings.TrimPrefix(strings.TrimPrefix(link, "https://"), "www.")
	return a
}

// TestIngestLinkKeys: dedupe compares link keys, not published links, also
// for the links a merge teaches an article, and an item without a link key
// (a page's link, no identity) never joins by its link.
func TestIngestLinkKeys(t *testing.T) {
	db, _ := openDB(t)
	title := "Parliament passes the annual budget bill after a long night"
	// A wire copy under its own link, a re-titled copy under the original's
	// link (a second article), then the original: one story, merged.
	ingest(t, db, "wire", t0, keyed("w", "https://wire.example/1", title, t0, "h1"))
	ingest(t, db, "blog", t0, keyed("b", "https://news.example/1", "Budget passes", t0, "h2"))
	if got := ingest(t, db, "paper", t0, keyed("p", "https://www.news.example/1", title, t0, "h3")); len(got.Merged) != 1 {
		t.Fatalf("original: %+v, want one merge", got)
	}
	// A later copy under the original's link, re-titled, finds the survivor.
	if got := ingest(t, db, "radio", t0.Add(time.Hour), keyed("r", "https://news.example/1", "MPs back spending plan", t0, "h4")); got.New != 0 {
		t.Errorf("copy under a merged link: %+v, want a duplicate", got)
	}
	items, err := db.CarriedFor(context.Background(), []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items[1] {
		got = append(got, it.Source+" "+it.Rule+" "+it.GUID+" "+it.Title)
	}
	want := []string{"wire new w " + title, "blog merge b Budget passes", "paper link p " + title, "radio link r MPs back spending plan"}
	if !slices.Equal(got, want) {
		t.Errorf("items of the survivor:\n%q\nwant\n%q", got, want)
	}
	// Items whose link is no identity stay apart.
	a1 := keyed("c1", "https://city.example/news", "Trash schedule changes for the holidays", t0, "h5")
	a2 := keyed("c2", "https://city.example/news", "Mayor names a new fire chief for the city", t0, "h6")
	a1.LinkKey, a2.LinkKey = "", ""
	if got := ingest(t, db, "city", t0, a1, a2); got.New != 2 {
		t.Errorf("two press releases on one section page: %+v, want 2 new", got)
	}
}

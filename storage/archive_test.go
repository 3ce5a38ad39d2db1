package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
)

// pageIDs is every page of a feed's archive as article ids (each page
// newest first), and its shape.
func pageIDs(t *testing.T, db *storage.DB, path string, f feeds.Filter, size int) (feeds.ArchiveIndex, [][]int64) {
	t.Helper()
	x, err := db.Archive(context.Background(), path, f, size)
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	var pages [][]int64
	for n := 1; n <= x.Newest(); n++ {
		px, arts, err := db.ArchivePage(context.Background(), path, f, size, n)
		if err != nil {
			t.Fatalf("ArchivePage %d: %v", n, err)
		}
		if px != x {
			t.Fatalf("page %d: shape %+v, Archive said %+v", n, px, x)
		}
		ids := make([]int64, len(arts))
		for i, a := range arts {
			ids[i] = a.ID
		}
		pages = append(pages, ids)
	}
	for n, p := range pages {
		if n+1 < x.Oldest && len(p) > 0 {
			t.Errorf("page %d holds %v, before the oldest page %d", n+1, p, x.Oldest)
		}
		if n+1 == x.Oldest && n+1 <= x.Sealed && len(p) == 0 {
			t.Errorf("the oldest page %d is empty", x.Oldest)
		}
	}
	return x, pages
}

// numbered ingests n articles, each its own story, published out of order
// (every other one a day older than the one before), with tags by index.
func numbered(t *testing.T, db *storage.DB, from, n int, tags func(i int) []string) {
	t.Helper()
	for i := from; i < from+n; i++ {
		pub := t0.Add(time.Duration(i) * time.Hour)
		if i%2 == 1 {
			pub = t0.Add(-time.Duration(i) * 24 * time.Hour)
		}
		key := fmt.Sprintf("item-%d", i)
		ingest(t, db, "wire", t0, art(key, "https://wire.example/"+key, fmt.Sprintf("Story number %d", i), pub, key, tags(i)...))
	}
}

func noTags(int) []string { return nil }

// TestArchiveStable: sealed pages keep their members when articles arrive
// (even ones dated before everything stored) and across a reopen, and
// the pages hold every article once.
func TestArchiveStable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	db, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	numbered(t, db, 0, 7, noTags)
	x, before := pageIDs(t, db, "feeds/all", feeds.Filter{}, 3)
	want := feeds.ArchiveIndex{Sealed: 2, Oldest: 1, Open: 1}
	if x != want {
		t.Fatalf("shape %+v, want %+v", x, want)
	}
	if fmt.Sprint(before) != "[[3 2 1] [6 5 4] [7]]" {
		t.Fatalf("pages %v", before)
	}
	numbered(t, db, 7, 3, noTags) // item-7 and item-9 are dated weeks back
	_, after := pageIDs(t, db, "feeds/all", feeds.Filter{}, 3)
	if fmt.Sprint(after) != "[[3 2 1] [6 5 4] [9 8 7] [10]]" {
		t.Fatalf("pages after new articles %v", after)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db2.Close(); err != nil {
			t.Error(err)
		}
	}()
	_, reopened := pageIDs(t, db2, "feeds/all", feeds.Filter{}, 3)
	if fmt.Sprint(reopened) != fmt.Sprint(after) {
		t.Fatalf("pages after reopen %v, before %v", reopened, after)
	}
}

// TestArchiveRetention: retention empties or shrinks pages, never moves an
// article to another page; pages before the oldest article left are gone.
func TestArchiveRetention(t *testing.T) {
	db, _ := openDB(t)
	numbered(t, db, 0, 10, noTags)
	pageIDs(t, db, "feeds/all", feeds.Filter{}, 3)
	// Published more than 3 days before t0: items 5, 7 and 9 (ids 6, 8, 10).
	if _, err := db.Prune(context.Background(), 3*24*time.Hour+time.Minute, 0, t0, 0); err != nil {
		t.Fatal(err)
	}
	x, pages := pageIDs(t, db, "feeds/all", feeds.Filter{}, 3)
	if fmt.Sprint(pages) != "[[3 2 1] [5 4] [9 7] []]" || x.Oldest != 1 {
		t.Fatalf("shape %+v, pages %v", x, pages)
	}
	// Published before t0+5h: items 0 to 4 (ids 1 to 5), the first two pages.
	if _, err := db.Prune(context.Background(), time.Hour, 0, t0.Add(6*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	x, pages = pageIDs(t, db, "feeds/all", feeds.Filter{}, 3)
	if fmt.Sprint(pages) != "[[] [] [9 7] []]" || x.Oldest != 3 || x.Sealed != 3 {
		t.Fatalf("shape %+v, pages %v", x, pages)
	}
}

// TestArchiveFilters: for tag and output filters, the pages hold exactly
// the articles Articles selects, each once, in id order across pages.
func TestArchiveFilters(t *testing.T) {
	db, _ := openDB(t)
	numbered(t, db, 0, 40, func(i int) []string {
		var tags []string
		if i%2 == 0 {
			tags = append(tags, "even")
		}
		if i%3 == 0 {
			tags = append(tags, "three")
		}
		if i%5 == 0 {
			tags = append(tags, "five")
		}
		return tags
	})
	filters := []feeds.Filter{
		{},
		{TagsAll: []string{"even"}},
		{TagsAll: []string{"even", "three"}},
		{TagsAny: []string{"three", "five"}},
		{TagsAny: []string{"three", "five"}, TagsAll: []string{"even"}, TagsNone: []string{"nothing-has-it"}},
		{TagsNone: []string{"even"}, Sources: []string{"wire"}},
		{TagsAll: []string{"unknown"}},
		{Sources: []string{"unknown"}},
	}
	// check compares the pages with the filter; full: no article was
	// deleted, so every sealed page is full.
	check := func(t *testing.T, f feeds.Filter, full bool) {
		f.Limit = 1 << 20
		arts, err := db.Articles(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for _, a := range arts {
			want = append(want, a.ID)
		}
		slices.Sort(want)
		_, pages := pageIDs(t, db, "feeds/test", f, 4)
		var got []int64
		for i, p := range pages {
			if full && i < len(pages)-1 && len(p) != 4 {
				t.Errorf("sealed page %d holds %d", i+1, len(p))
			}
			slices.Reverse(p)
			got = append(got, p...)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages hold %v, filter selects %v", got, want)
		}
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("%+v", f), func(t *testing.T) { check(t, f, true) })
	}
	// Retention takes the items published before t0+12h (the first 12, and
	// every odd one): the pages shrink, the first ones empty.
	if _, err := db.Prune(context.Background(), time.Hour, 0, t0.Add(13*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	for _, f := range filters {
		t.Run(fmt.Sprintf("pruned %+v", f), func(t *testing.T) { check(t, f, false) })
	}
}

// TestArchiveReadOnly: a store that cannot write still serves the archive:
// unsealed, its open page shows the articles it will be sealed with.
func TestArchiveReadOnly(t *testing.T) {
	db, path := openDB(t)
	numbered(t, db, 0, 7, noTags)
	ro, err := storage.OpenReadOnly(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ro.Close(); err != nil {
			t.Error(err)
		}
	}()
	x, pages := pageIDs(t, ro, "feeds/all", feeds.Filter{}, 3)
	if want := (feeds.ArchiveIndex{Sealed: 0, Oldest: 1, Open: 3}); x != want || fmt.Sprint(pages) != "[[3 2 1]]" {
		t.Fatalf("read-only: shape %+v, pages %v", x, pages)
	}
	if _, pages = pageIDs(t, db, "feeds/all", feeds.Filter{}, 3); fmt.Sprint(pages) != "[[3 2 1] [6 5 4] [7]]" {
		t.Fatalf("writable again: pages %v", pages)
	}
}

// TestArchiveLateTag: an old article tagged after its page was sealed
// joins that page (bounds are id ranges) rather than falling out of the
// chain.
func TestArchiveLateTag(t *testing.T) {
	db, _ := openDB(t)
	numbered(t, db, 0, 8, func(i int) []string {
		if i%2 == 0 {
			return []string{"x"}
		}
		return nil
	})
	f := feeds.Filter{TagsAll: []string{"x"}}
	if _, pages := pageIDs(t, db, "tags/x", f, 2); fmt.Sprint(pages) != "[[3 1] [7 5] []]" {
		t.Fatalf("pages %v", pages)
	}
	if err := db.SetTags(context.Background(), 2, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if _, pages := pageIDs(t, db, "tags/x", f, 2); fmt.Sprint(pages) != "[[3 2 1] [7 5] []]" {
		t.Fatalf("pages after tagging article 2: %v", pages)
	}
}

package storage_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
)

// corpus stores n articles from sources s0..s2 with seeded tags; article i
// has tag "common", "rare" when i%25 == 0, and one of "syria", "iraq", "sport".
func corpus(t testing.TB, db *storage.DB, n int) map[int64]feeds.Article {
	t.Helper()
	topics := []string{"syria", "iraq", "sport"}
	for i := range n {
		tags := []string{"common", topics[i%3]}
		if i%25 == 0 {
			tags = append(tags, "rare")
		}
		k := fmt.Sprintf("item-%d", i)
		a := art(k, "https://n.example/"+k, "Story "+k+" with words", t0.Add(time.Duration(i%40)*time.Hour), "h", tags...)
		ingest(t, db, fmt.Sprintf("s%d", i%3), t0, a)
		if i%10 == 0 { // also carried by s9
			ingest(t, db, "s9", t0, a)
		}
	}
	all := allArticles(t, db)
	m := make(map[int64]feeds.Article, len(all))
	for _, a := range all {
		m[a.ID] = a
	}
	return m
}

// brute applies a filter the slow way, for comparison.
func brute(all map[int64]feeds.Article, f feeds.Filter) []int64 {
	var out []feeds.Article
	for _, a := range all {
		if len(f.TagsAny) > 0 && !slices.ContainsFunc(f.TagsAny, func(t string) bool { return slices.Contains(a.Tags, t) }) {
			continue
		}
		if slices.ContainsFunc(f.TagsAll, func(t string) bool { return !slices.Contains(a.Tags, t) }) {
			continue
		}
		if slices.ContainsFunc(f.TagsNone, func(t string) bool { return slices.Contains(a.Tags, t) }) {
			continue
		}
		if len(f.Sources) > 0 && !slices.ContainsFunc(f.Sources, func(s string) bool { return slices.Contains(a.Sources, s) }) {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y feeds.Article) int {
		if c := y.Published.Compare(x.Published); c != 0 {
			return c
		}
		return int(y.ID - x.ID)
	})
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	var ids []int64
	for i := 0; i < len(out) && i < limit; i++ {
		ids = append(ids, out[i].ID)
	}
	return ids
}

func TestArticlesFilter(t *testing.T) {
	db, _ := openDB(t)
	all := corpus(t, db, 300)
	tests := []struct {
		name string
		f    feeds.Filter
		want int // expected result size, -1 to skip
	}{
		{"all default limit", feeds.Filter{}, 50},
		{"any rare (postings plan)", feeds.Filter{TagsAny: []string{"rare"}, Limit: 100}, 12},
		{"any common (scan plan)", feeds.Filter{TagsAny: []string{"common"}, Limit: 20}, 20},
		{"any two topics", feeds.Filter{TagsAny: []string{"syria", "iraq"}, Limit: 1000}, 200},
		{"all common+rare", feeds.Filter{TagsAll: []string{"common", "rare"}, Limit: 1000}, 12},
		{"all with unknown tag", feeds.Filter{TagsAll: []string{"common", "nope"}}, 0},
		{"any unknown only", feeds.Filter{TagsAny: []string{"nope"}}, 0},
		{"none sport", feeds.Filter{TagsNone: []string{"sport"}, Limit: 1000}, 200},
		{"none unknown ignored", feeds.Filter{TagsNone: []string{"nope"}, Limit: 1000}, 300},
		{"any + none", feeds.Filter{TagsAny: []string{"rare"}, TagsNone: []string{"syria"}, Limit: 1000}, 8},
		{"sources", feeds.Filter{Sources: []string{"s9"}, Limit: 1000}, 30},
		{"sources + tags", feeds.Filter{Sources: []string{"s9", "s1"}, TagsAll: []string{"rare"}, Limit: 1000}, -1},
		{"unknown source", feeds.Filter{Sources: []string{"zz"}}, 0},
		{"everything", feeds.Filter{TagsAny: []string{"iraq", "rare"}, TagsAll: []string{"common"}, TagsNone: []string{"sport"}, Sources: []string{"s0", "s1"}, Limit: 7}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Articles(context.Background(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, a := range got {
				ids = append(ids, a.ID)
				if len(a.Tags) == 0 || len(a.Sources) == 0 {
					t.Errorf("article %d without tags or sources: %+v", a.ID, a)
				}
			}
			if want := brute(all, tc.f); !slices.Equal(ids, want) {
				t.Errorf("ids = %v\nwant %v", ids, want)
			}
			if tc.want >= 0 && len(ids) != tc.want {
				t.Errorf("got %d articles, want %d", len(ids), tc.want)
			}
		})
	}
}

func TestArticleReads(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	all := corpus(t, db, 60)
	t.Run("Article not found", func(t *testing.T) {
		if _, err := db.Article(ctx, 99999); !errors.Is(err, feeds.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("Article sources first carrier first", func(t *testing.T) {
		for id, a := range all {
			got, err := db.Article(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSorted(got.Tags) || got.Sources[0] == "s9" || (len(got.Sources) == 2) != slices.Contains(got.Sources, "s9") {
				t.Errorf("article %d: tags %v sources %v", id, got.Tags, got.Sources)
			}
			if got.Content != a.Content || got.Title != a.Title {
				t.Errorf("article %d differs", id)
			}
		}
	})
	t.Run("ArticlesByIDs", func(t *testing.T) {
		var ids []int64
		for id := range all {
			ids = append(ids, id)
		}
		ids = append(ids, -5)
		got, err := db.ArticlesByIDs(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(all) {
			t.Fatalf("got %d, want %d", len(got), len(all))
		}
		for id, a := range got {
			if !slices.Equal(a.Tags, all[id].Tags) || !slices.Equal(a.Sources, all[id].Sources) {
				t.Errorf("article %d: %v %v", id, a.Tags, a.Sources)
			}
		}
	})
	t.Run("Tags and TagCount", func(t *testing.T) {
		tags, err := db.Tags(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		want := []feeds.TagCount{{Tag: "common", Count: 60}, {Tag: "iraq", Count: 20}, {Tag: "sport", Count: 20}}
		if !slices.Equal(tags, want) {
			t.Errorf("Tags(3) = %v, want %v", tags, want)
		}
		for _, tc := range []struct {
			tag string
			n   int
		}{{"rare", 3}, {"syria", 20}, {"unknown", 0}} {
			if n, err := db.TagCount(ctx, tc.tag); err != nil || n != tc.n {
				t.Errorf("TagCount(%s) = %d, %v; want %d", tc.tag, n, err, tc.n)
			}
		}
	})
	t.Run("SetTags", func(t *testing.T) {
		var id int64
		for i := range all {
			id = max(id, i)
		}
		if err := db.SetTags(ctx, id, []string{"retagged", "common"}); err != nil {
			t.Fatal(err)
		}
		a, err := db.Article(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Tags, []string{"common", "retagged"}) {
			t.Errorf("tags = %v", a.Tags)
		}
		if n, _ := db.TagCount(ctx, "retagged"); n != 1 {
			t.Errorf("TagCount(retagged) = %d", n)
		}
		if err := db.SetTags(ctx, 12345678, []string{"x"}); !errors.Is(err, feeds.ErrNotFound) {
			t.Errorf("SetTags on missing article: %v", err)
		}
		all[id] = a
	})
	t.Run("EachArticle", func(t *testing.T) {
		var last int64
		n := 0
		err := db.EachArticle(ctx, func(a feeds.Article) error {
			if a.ID <= last {
				t.Errorf("ids not ascending: %d after %d", a.ID, last)
			}
			last = a.ID
			n++
			if w := all[a.ID]; !slices.Equal(a.Tags, w.Tags) || !slices.Equal(a.Sources, w.Sources) || a.Content != w.Content {
				t.Errorf("article %d: %v %v", a.ID, a.Tags, a.Sources)
			}
			return nil
		})
		if err != nil || n != len(all) {
			t.Errorf("EachArticle: %d articles, %v", n, err)
		}
		stop := errors.New("stop")
		if err := db.EachArticle(ctx, func(feeds.Article) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("EachArticle did not return fn's error: %v", err)
		}
	})
	t.Run("EachArticleTags", func(t *testing.T) {
		seen := map[int64]bool{}
		err := db.EachArticleTags(ctx, func(e feeds.IndexEntry) error {
			id, pub, tk, tags := e.ID, e.Published, e.TitleKey, e.Tags
			if seen[id] {
				t.Errorf("article %d twice", id)
			}
			seen[id] = true
			w := all[id]
			if !pub.Equal(w.Published) || tk != w.TitleKey || !slices.Equal(tags, w.Tags) {
				t.Errorf("article %d: %v %q %v, want %v %q %v", id, pub, tk, tags, w.Published, w.TitleKey, w.Tags)
			}
			return nil
		})
		if err != nil || len(seen) != len(all) {
			t.Errorf("EachArticleTags: %d articles, %v", len(seen), err)
		}
	})
}

// TestArticlesFilterRandom compares random filters with the brute force on a
// fixed seed.
func TestArticlesFilterRandom(t *testing.T) {
	db, _ := openDB(t)
	all := corpus(t, db, 120)
	rng := rand.New(rand.NewPCG(1, 2))
	tags := []string{"common", "rare", "syria", "iraq", "sport", "nope"}
	pick := func() []string {
		var out []string
		for _, tg := range tags {
			if rng.IntN(5) == 0 {
				out = append(out, tg)
			}
		}
		return out
	}
	for i := range 60 {
		f := feeds.Filter{TagsAny: pick(), TagsAll: pick(), TagsNone: pick(), Limit: 1 + rng.IntN(80)}
		if rng.IntN(3) == 0 {
			f.Sources = []string{fmt.Sprintf("s%d", rng.IntN(4))}
		}
		got, err := db.Articles(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, a := range got {
			ids = append(ids, a.ID)
		}
		if want := brute(all, f); !slices.Equal(ids, want) {
			t.Errorf("case %d %+v:\n got %v\nwant %v", i, f, ids, want)
		}
	}
}

package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
)

// TestCategoriesRetag is `feedloom retag`'s round trip: categories stored
// at ingest (cleaned, merged across carriers) come back from every read,
// and SetTags marks the list pending and bumps Generation.
func TestCategoriesRetag(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	long := strings.Repeat("é", 150) // 300 bytes: cut to 200 at a rune boundary
	many := make([]string, 0, 120)
	for i := range 120 {
		many = append(many, fmt.Sprint("c", i))
	}
	a := art("k1", "https://c.example/1", "Storm closes the northern harbour", t0, "h1", "weather")
	a.Categories = []string{"Weather", "Ports\nShipping", " Weather ", "", long, "Weather"}
	res := ingest(t, db, "one", t0, a)
	id := res.Changed[0]
	wantFirst := []string{"Weather", "Ports Shipping", strings.Repeat("é", 100)}

	check := func(t *testing.T, want []string) {
		t.Helper()
		got, err := db.Article(ctx, id)
		if err != nil || !slices.Equal(got.Categories, want) {
			t.Errorf("Article: Categories = %q, %v; want %q", got.Categories, err, want)
		}
		m, err := db.ArticlesByIDs(ctx, []int64{id})
		if err != nil || !slices.Equal(m[id].Categories, want) {
			t.Errorf("ArticlesByIDs: Categories = %q, %v; want %q", m[id].Categories, err, want)
		}
	}
	t.Run("stored cleaned", func(t *testing.T) { check(t, wantFirst) })

	t.Run("union from another carrier, capped", func(t *testing.T) {
		b := art("b1", a.Link, a.Title, t0, "h-other")
		b.Categories = append([]string{"Ports Shipping", "Europe"}, many...)
		if r := ingest(t, db, "two", t0, b); r.Duplicate != 1 {
			t.Fatalf("second carrier: %+v, want a duplicate", r)
		}
		want := append(append(slices.Clone(wantFirst), "Europe"), many[:100-len(wantFirst)-1]...)
		check(t, want)
		wantFirst = want
	})

	t.Run("retag", func(t *testing.T) {
		saveRelated(t, db, map[int64][]feeds.RelatedPost{id: nil})
		before := db.Generation()
		var seen []feeds.Article
		if err := db.EachArticle(ctx, func(a feeds.Article) error { seen = append(seen, a); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 1 || !slices.Equal(seen[0].Categories, wantFirst) {
			t.Fatalf("EachArticle: %d articles, categories %q", len(seen), seen[0].Categories)
		}
		// What retag does: tags re-derived from the categories.
		if err := db.SetTags(ctx, id, []string{"europe", "ports-shipping", "weather"}); err != nil {
			t.Fatal(err)
		}
		if db.Generation() == before {
			t.Error("SetTags did not bump Generation")
		}
		if p, err := db.PendingRelated(ctx); err != nil || !slices.Equal(p, []int64{id}) {
			t.Errorf("PendingRelated = %v, %v; want [%d]", p, err, id)
		}
		seen = nil
		if err := db.EachArticle(ctx, func(a feeds.Article) error { seen = append(seen, a); return nil }); err != nil {
			t.Fatal(err)
		}
		if want := []string{"europe", "ports-shipping", "weather"}; !slices.Equal(seen[0].Tags, want) ||
			!slices.Equal(seen[0].Categories, wantFirst) {
			t.Errorf("after SetTags: tags %q, categories %q", seen[0].Tags, seen[0].Categories)
		}
	})
}

// TestArticleTagsByIDs: the related index's light read, in id order,
// missing ids absent, untagged articles with no tags.
func TestArticleTagsByIDs(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	ids := ingest(t, db, "s", t0,
		art("k1", "https://t.example/1", "Tagged story number one here", t0.Add(-time.Hour), "h", "b", "a"),
		art("k2", "https://t.example/2", "Untagged story number two here", t0, "h"),
	).Changed
	type row struct {
		id    int64
		pub   time.Time
		title string
		tags  []string
	}
	var got []row
	err := db.ArticleTagsByIDs(ctx, []int64{ids[1], 999, ids[0], ids[1]}, func(e feeds.IndexEntry) error {
		got = append(got, row{e.ID, e.Published, e.TitleKey, e.Tags})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{ids[0], t0.Add(-time.Hour), "tagged story number one here", []string{"a", "b"}},
		{ids[1], t0, "untagged story number two here", nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.id != w.id || !g.pub.Equal(w.pub) || g.title != w.title || !slices.Equal(g.tags, w.tags) {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	stop := fmt.Errorf("stop")
	if err := db.ArticleTagsByIDs(ctx, ids, func(feeds.IndexEntry) error { return stop }); err == nil {
		t.Error("an error from fn was not returned")
	}
}

// checkCounts checks the counts Ingest and SetTags keep in Go (and
// retention through delete triggers): tags.uses against article_tags,
// meta.articles against articles.
func checkCounts(t *testing.T, path string) {
	t.Helper()
	raw := rawDB(t, path)
	var bad int
	if err := raw.QueryRow(`SELECT count(*) FROM tags t
		WHERE t.uses <> (SELECT count(*) FROM article_tags at WHERE at.tag_id = t.id)`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d tags with a wrong use count (%v)", bad, err)
	}
	var stored, real int
	if err := raw.QueryRow(`SELECT (SELECT articles FROM meta), (SELECT count(*) FROM articles)`).Scan(&stored, &real); err != nil || stored != real {
		t.Errorf("meta.articles = %d, articles = %d (%v)", stored, real, err)
	}
}

// TestTagUses: the use counts Ingest and SetTags keep in Go (and retention
// through the delete trigger) match article_tags.
func TestTagUses(t *testing.T) {
	ctx := context.Background()
	db, path := openDB(t)
	now := t0.Add(10 * 24 * time.Hour)
	a := art("k1", "https://u.example/1", "Story one about the ferry strike", now, "h", "ferry", "strike")
	ids := ingest(t, db, "s", now, a,
		art("k2", "https://u.example/2", "Story two about the ferry timetable", now.Add(-60*24*time.Hour), "h", "ferry"),
	).Changed
	b := art("b1", a.Link, a.Title, now, "h", "strike", "labour") // same story, one new tag
	ingest(t, db, "t", now, b)
	ingest(t, db, "t", now, b) // nothing new
	if err := db.SetTags(ctx, ids[0], []string{"ferry", "labour", "unions"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Prune(ctx, 30*24*time.Hour, 0, now, 0); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, path)
	for tag, n := range map[string]int{"ferry": 1, "labour": 1, "unions": 1, "strike": 0} {
		if got, err := db.TagCount(ctx, tag); err != nil || got != n {
			t.Errorf("TagCount(%s) = %d, %v; want %d", tag, got, err, n)
		}
	}
}

// TestMigrateFromV1: a database made by the first schema (before
// categories, content_generation and the ingest-speed changes) opens, keeps
// its data and counts, and takes categories.
func TestMigrateFromV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	v1, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	raw := rawDB(t, path)
	execAll(t, raw, string(v1), `PRAGMA user_version = 1`,
		`INSERT INTO sources (id, name) VALUES (1, 'old')`,
		`INSERT INTO articles (id, published, first_seen, guid, link, title_key, title)
			VALUES (7, 0, 0, 'g', 'https://v1.example/7', 'a story from the first schema', 'A story from the first schema')`,
		`INSERT INTO carriages (source_id, item_key, article_id, published, first_seen, creator) VALUES (1, 'g', 7, 0, 0, 1)`,
		`INSERT INTO tags (id, name) VALUES (1, 'legacy')`,
		`INSERT INTO article_tags (article_id, tag_id) VALUES (7, 1)`,
	)
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a v1 database: %v", err)
	}
	defer db.Close()
	a, err := db.Article(ctx, 7)
	if err != nil || a.Title != "A story from the first schema" || a.Categories != nil || !slices.Equal(a.Tags, []string{"legacy"}) {
		t.Fatalf("Article(7) = %+v, %v", a, err)
	}
	in := art("k", "https://v1.example/7", a.Title, time.UnixMilli(0), "h", "legacy", "new")
	in.Categories = []string{"News"}
	if r := ingest(t, db, "old", t0, in); r.Duplicate != 1 {
		t.Fatalf("Ingest = %+v, want the stored article found", r)
	}
	if a, _ = db.Article(ctx, 7); !slices.Equal(a.Categories, []string{"News"}) {
		t.Errorf("categories after ingest = %q", a.Categories)
	}
	ingest(t, db, "old", t0, art("k2", "https://v1.example/8", "A second story after the upgrade", t0, "h", "new"))
	checkCounts(t, path)
	for tag, n := range map[string]int{"legacy": 1, "new": 2} {
		if got, err := db.TagCount(ctx, tag); err != nil || got != n {
			t.Errorf("TagCount(%s) = %d, %v; want %d", tag, got, err, n)
		}
	}
}

// TestMigrateRelatedLists: lists stored one row per entry (schema 4) come
// through migration 0005 in rank order with their scores; a computed empty
// list stays computed, an uncomputed one stays pending.
func TestMigrateRelatedLists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v4.db")
	raw := rawDB(t, path)
	for i := 1; i <= 4; i++ {
		names, err := filepath.Glob(filepath.Join("migrations", fmt.Sprintf("%04d_*.sql", i)))
		if err != nil || len(names) != 1 {
			t.Fatalf("migration %d: %v %v", i, names, err)
		}
		q, err := os.ReadFile(names[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(q)); err != nil {
			t.Fatalf("migration %d: %v", i, err)
		}
	}
	execAll(t, raw, `PRAGMA user_version = 4`,
		`INSERT INTO articles (id, published, first_seen, related_at, title_key, title, link) VALUES
			(1, 0, 0, 5, 'one', 'One', 'https://v4.example/1'),
			(2, 0, 0, 5, 'two', 'Two', 'https://v4.example/2'),
			(3, 0, 0, 5, 'three', 'Three', 'https://v4.example/3'),
			(4, 0, 0, NULL, 'four', 'Four', 'https://v4.example/4')`,
		`INSERT INTO related (article_id, rank, related_id, score) VALUES
			(1, 1, 2, 0.25), (1, 0, 3, 1.5), (2, 0, 1, 0.125)`,
	)
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a v4 database: %v", err)
	}
	defer db.Close()
	rel, err := db.Related(ctx, 1)
	if err != nil || len(rel) != 2 || rel[0].ArticleID != 3 || rel[0].Score != 1.5 ||
		rel[1].ArticleID != 2 || rel[1].Score != 0.25 || rel[1].Title != "Two" {
		t.Fatalf("Related(1) = %+v, %v", rel, err)
	}
	pending, err := db.PendingRelated(ctx)
	if err != nil || !slices.Equal(pending, []int64{4}) {
		t.Errorf("PendingRelated = %v, %v; want [4] (3 was computed empty)", pending, err)
	}
	if st, err := db.Stats(ctx); err != nil || st.RelatedLists != 3 {
		t.Errorf("Stats.RelatedLists = %d, %v; want 3", st.RelatedLists, err)
	}
}

// execAll runs statements on a raw connection, failing the test on the first error.
func execAll(t *testing.T, raw *sql.DB, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
}

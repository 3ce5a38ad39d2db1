package storage_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
)

// step is one fetched feed in a dedupe scenario.
type step struct {
	source string
	arts   []feeds.Article
	want   feeds.IngestResult // Changed is checked by length only (New+Updated when nil); Merged by value
}

func TestIngestDedupe(t *testing.T) {
	const story = "Rebels seize key town in northern Syria"
	tests := []struct {
		name  string
		steps []step
		// rows: the Sources of every stored article, in any order
		rows [][]string
	}{
		{
			name: "same story in three feeds, one outside 48h",
			steps: []step{
				{"wire", []feeds.Article{art("wire-1", "https://news.example/syria/town", story, t0, "h1")}, feeds.IngestResult{New: 1}},
				// tracking parameters already stripped by the caller: same Link, other guid and title
				{"paper", []feeds.Article{art("paper-9", "https://news.example/syria/town", "Town falls to rebels", t0.Add(time.Hour), "h2")}, feeds.IngestResult{Duplicate: 1}},
				// re-titled copy (same TitleKey), other link, inside 48h
				{"blog", []feeds.Article{art("blog-3", "https://blog.example/p/77", "Rebels Seize Key Town in Northern Syria!", t0.Add(47*time.Hour), "h3")}, feeds.IngestResult{Duplicate: 1}},
				// same title, other link, outside 48h: a new story
				{"late", []feeds.Article{art("late-1", "https://late.example/a", story, t0.Add(49*time.Hour), "h4")}, feeds.IngestResult{New: 1}},
			},
			rows: [][]string{{"wire", "paper", "blog"}, {"late"}},
		},
		{
			// The row is stored from a re-titled copy; the original title
			// arrives by link; a third copy with the original title and
			// another link must still find the story.
			name: "title learned through a link merge",
			steps: []step{
				{"paper", []feeds.Article{art("paper-9", "https://news.example/syria/town", "Town falls to rebels after long siege", t0, "h2")}, feeds.IngestResult{New: 1}},
				{"wire", []feeds.Article{art("wire-1", "https://news.example/syria/town", story, t0.Add(time.Hour), "h1")}, feeds.IngestResult{Duplicate: 1}},
				{"blog", []feeds.Article{art("blog-3", "https://blog.example/p/77", story, t0.Add(3*time.Hour), "h3")}, feeds.IngestResult{Duplicate: 1}},
			},
			rows: [][]string{{"paper", "wire", "blog"}},
		},
		{
			// A re-titled copy (the story's link) and a same-title copy
			// (another link) are stored as two rows before the original,
			// which carries both the link and the title, shows they are
			// one story: the newer row merges into the older, and a later
			// copy under the title still finds it.
			name: "two rows joined by the original",
			steps: []step{
				{"paper", []feeds.Article{art("paper-9", "https://news.example/syria/town", "Town falls to rebels after long siege", t0, "h2", "syria")}, feeds.IngestResult{New: 1}},
				{"blog", []feeds.Article{art("blog-3", "https://blog.example/p/77", story, t0.Add(2*time.Hour), "h3", "rebels")}, feeds.IngestResult{New: 1}},
				{"wire", []feeds.Article{art("wire-1", "https://news.example/syria/town", story, t0.Add(time.Hour), "h1")},
					feeds.IngestResult{Duplicate: 1, Changed: []int64{1}, Merged: []int64{2}}},
				{"late", []feeds.Article{art("late-1", "https://late.example/x", story, t0.Add(5*time.Hour), "h4")}, feeds.IngestResult{Duplicate: 1}},
				{"blog", []feeds.Article{art("blog-3", "https://blog.example/p/77", story, t0.Add(2*time.Hour), "h3", "rebels")}, feeds.IngestResult{Duplicate: 1}},
			},
			rows: [][]string{{"paper", "blog", "wire", "late"}},
		},
		{
			// The row is stored from a same-title copy under its own link;
			// the original joins it by title, bringing the story's link; a
			// re-titled copy under that link must find it through the link
			// it learned, and so must a merged row's link.
			name: "link learned through a title match",
			steps: []step{
				{"blog", []feeds.Article{art("blog-3", "https://blog.example/p/77", story, t0.Add(2*time.Hour), "h3")}, feeds.IngestResult{New: 1}},
				{"wire", []feeds.Article{art("wire-1", "https://news.example/syria/town", story, t0, "h1")}, feeds.IngestResult{Duplicate: 1}},
				{"paper", []feeds.Article{art("paper-9", "https://news.example/syria/town", "Town falls to rebels after long siege", t0.Add(time.Hour), "h2")}, feeds.IngestResult{Duplicate: 1}},
			},
			rows: [][]string{{"blog", "wire", "paper"}},
		},
		{
			// The same, the link learned by a merge: a re-titled copy and a
			// same-title copy stored apart, the original joins them (the
			// newer row, holding the story's link, merges into the older);
			// another re-titled copy under the story's link finds the row.
			name: "link learned through a merge",
			steps: []step{
				{"blog", []feeds.Article{art("blog-3", "https://blog.example/p/77", story, t0.Add(2*time.Hour), "h3")}, feeds.IngestResult{New: 1}},
				{"paper", []feeds.Article{art("paper-9", "https://news.example/syria/town", "Town falls to rebels after long siege", t0.Add(time.Hour), "h2")}, feeds.IngestResult{New: 1}},
				{"wire", []feeds.Article{art("wire-1", "https://news.example/syria/town", story, t0, "h1")},
					feeds.IngestResult{Duplicate: 1, Changed: []int64{1}, Merged: []int64{2}}},
				{"daily", []feeds.Article{art("daily-4", "https://news.example/syria/town", "Siege ends as rebels take the northern town", t0.Add(4*time.Hour), "h5")}, feeds.IngestResult{Duplicate: 1}},
			},
			rows: [][]string{{"blog", "paper", "wire", "daily"}},
		},
		{
			name: "short titles never merge by title",
			steps: []step{
				{"a", []feeds.Article{art("a1", "https://a.example/live", "Live updates", t0, "h")}, feeds.IngestResult{New: 1}},
				{"b", []feeds.Article{art("b1", "https://b.example/live", "Live updates", t0.Add(time.Hour), "h")}, feeds.IngestResult{New: 1}},
			},
			rows: [][]string{{"a"}, {"b"}},
		},
		{
			name: "title a source reuses in one batch never merges",
			steps: []step{
				{"a", []feeds.Article{
					art("a1", "https://a.example/brief/1", "Morning briefing what you need", t0, "h1"),
					art("a2", "https://a.example/brief/2", "Morning briefing what you need", t0.Add(time.Hour), "h2"),
				}, feeds.IngestResult{New: 2}},
				{"b", []feeds.Article{art("b1", "https://b.example/brief", "Morning briefing what you need", t0.Add(2*time.Hour), "h3")}, feeds.IngestResult{New: 1}},
			},
			rows: [][]string{{"a"}, {"a"}, {"b"}},
		},
		{
			name: "title a source already carried for another item",
			steps: []step{
				{"a", []feeds.Article{art("a1", "https://a.example/brief/1", "Evening report from the desk", t0, "h1")}, feeds.IngestResult{New: 1}},
				{"a", []feeds.Article{art("a2", "https://a.example/brief/2", "Evening report from the desk", t0.Add(time.Hour), "h2")}, feeds.IngestResult{New: 1}},
			},
			rows: [][]string{{"a"}, {"a"}},
		},
		{
			name: "edited item updates one row",
			steps: []step{
				{"a", []feeds.Article{art("a1", "https://a.example/1", story, t0, "v1")}, feeds.IngestResult{New: 1}},
				{"a", []feeds.Article{art("a1", "https://a.example/1", story+" updated", t0, "v2")}, feeds.IngestResult{Updated: 1}},
				{"a", []feeds.Article{art("a1", "https://a.example/1", story+" updated", t0, "v2")}, feeds.IngestResult{Duplicate: 1}},
			},
			rows: [][]string{{"a"}},
		},
		{
			name: "two copies of one story do not overwrite each other",
			steps: []step{
				{"a", []feeds.Article{art("a1", "https://x.example/1", story, t0, "ha")}, feeds.IngestResult{New: 1}},
				{"b", []feeds.Article{art("b1", "https://x.example/1", story, t0, "hb")}, feeds.IngestResult{Duplicate: 1}},
				{"a", []feeds.Article{art("a1", "https://x.example/1", story, t0, "ha")}, feeds.IngestResult{Duplicate: 1}},
				{"b", []feeds.Article{art("b1", "https://x.example/1", story, t0, "hb")}, feeds.IngestResult{Duplicate: 1}},
			},
			rows: [][]string{{"a", "b"}},
		},
		{
			name: "whole feed again is all duplicates",
			steps: []step{
				{"a", []feeds.Article{art("1", "https://a.example/1", "First story of the day", t0, "h"), art("2", "https://a.example/2", "Second story of the day", t0, "h")}, feeds.IngestResult{New: 2}},
				{"a", []feeds.Article{art("1", "https://a.example/1", "First story of the day", t0, "h"), art("2", "https://a.example/2", "Second story of the day", t0, "h")}, feeds.IngestResult{Duplicate: 2}},
			},
			rows: [][]string{{"a"}, {"a"}},
		},
		{
			name: "same link twice in one batch",
			steps: []step{
				{"a", []feeds.Article{art("1", "https://a.example/1", "First story of the day", t0, "h"), art("2", "https://a.example/1", "Other headline same page", t0, "h")}, feeds.IngestResult{New: 1, Duplicate: 1}},
			},
			rows: [][]string{{"a"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openDB(t)
			for i, s := range tc.steps {
				got := ingest(t, db, s.source, t0.Add(time.Duration(i)*time.Minute), s.arts...)
				if got.New != s.want.New || got.Updated != s.want.Updated || got.Duplicate != s.want.Duplicate {
					t.Errorf("step %d (%s): got %+v, want %+v", i, s.source, got, s.want)
				}
				wantChanged := s.want.New + s.want.Updated
				if s.want.Changed != nil {
					wantChanged = len(s.want.Changed)
				}
				if len(got.Changed) != wantChanged {
					t.Errorf("step %d: Changed = %v, want %d ids", i, got.Changed, wantChanged)
				}
				if !slices.Equal(got.Merged, s.want.Merged) {
					t.Errorf("step %d: Merged = %v, want %v", i, got.Merged, s.want.Merged)
				}
			}
			arts := allArticles(t, db)
			if len(arts) != len(tc.rows) {
				t.Fatalf("stored %d articles, want %d: %+v", len(arts), len(tc.rows), arts)
			}
			var got, want []string
			for _, a := range arts {
				got = append(got, strings.Join(a.Sources, ","))
			}
			for _, r := range tc.rows {
				want = append(want, strings.Join(r, ","))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("article sources = %q, want %q", got, want)
			}
		})
	}
}

func TestIngestDetails(t *testing.T) {
	ctx := context.Background()
	t.Run("tags merge and mark related pending", func(t *testing.T) {
		db, _ := openDB(t)
		res := ingest(t, db, "a", t0, art("1", "https://x.example/1", "Oil pipeline attack in Iraq", t0, "h", "iraq", "oil"))
		id := res.Changed[0]
		saveRelated(t, db, map[int64][]feeds.RelatedPost{id: nil})
		res = ingest(t, db, "b", t0, art("9", "https://x.example/1", "Oil pipeline attack in Iraq", t0, "h2", "oil", "security"))
		if res.Duplicate != 1 || !slices.Equal(res.Changed, []int64{id}) {
			t.Errorf("tag growth: %+v, want Duplicate 1 and Changed [%d]", res, id)
		}
		a, err := db.Article(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Tags, []string{"iraq", "oil", "security"}) || !slices.Equal(a.Sources, []string{"a", "b"}) {
			t.Errorf("article = tags %v sources %v", a.Tags, a.Sources)
		}
		pending, err := db.PendingRelated(ctx)
		if err != nil || !slices.Equal(pending, []int64{id}) {
			t.Errorf("PendingRelated = %v, %v; want [%d]", pending, err, id)
		}
	})
	t.Run("changed articles described as stored, in commit order", func(t *testing.T) {
		db, _ := openDB(t)
		first := art("1", "https://x.example/1", "Pipeline attack in northern Iraq", t0, "h1", "oil", "iraq")
		// the same item again in the batch, edited and with one more tag
		again := art("1", "https://x.example/1", "Pipeline attack in northern Iraq kills two", t0, "h2", "security")
		res := ingest(t, db, "a", t0, first, again, art("2", "https://x.example/2", "Wheat harvest falls short again", t0, "h3"))
		if len(res.Described) != 2 || res.Seq <= 0 {
			t.Fatalf("Described = %+v, Seq %d", res.Described, res.Seq)
		}
		for _, e := range res.Described {
			got, err := db.Article(ctx, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if e.TitleKey != got.TitleKey || !e.Published.Equal(got.Published) || !slices.Equal(e.Tags, got.Tags) {
				t.Errorf("described %+v, stored title key %q published %v tags %v", e, got.TitleKey, got.Published, got.Tags)
			}
		}
		later := ingest(t, db, "b", t0, art("9", "https://x.example/1", "Pipeline attack in northern Iraq", t0, "h4", "pipelines"))
		if later.Seq <= res.Seq || len(later.Described) != 1 || len(later.Changed) != 1 {
			t.Fatalf("a merge: %+v after Seq %d; want a greater Seq and the grown article described", later, res.Seq)
		}
		if e := later.Described[0]; !slices.Equal(e.Tags, []string{"iraq", "oil", "pipelines", "security"}) || e.TitleKey != titleKey(again.Title) {
			t.Errorf("grown article described as %+v", e)
		}
		if db.WriteSeq() < later.Seq {
			t.Errorf("WriteSeq %d < last ingest's Seq %d", db.WriteSeq(), later.Seq)
		}
	})
	t.Run("merged rows keep tags, categories, counts and one related list", func(t *testing.T) {
		db, path := openDB(t)
		retitled := art("p9", "https://news.example/town", "Town falls to rebels after long siege", t0, "h1", "syria", "conflict")
		retitled.Categories = []string{"World"}
		keep := ingest(t, db, "paper", t0, retitled).Changed[0]
		copied := art("b3", "https://blog.example/77", "Rebels seize key town in northern Syria", t0.Add(time.Hour), "h2", "rebels", "conflict")
		copied.Categories = []string{"Middle East"}
		loser := ingest(t, db, "blog", t0, copied).Changed[0]
		saveRelated(t, db, map[int64][]feeds.RelatedPost{keep: {{ArticleID: loser, Score: 1}}, loser: {{ArticleID: keep, Score: 1}}})
		res := ingest(t, db, "wire", t0, art("w1", "https://news.example/town", copied.Title, t0, "h3", "syria"))
		if !slices.Equal(res.Merged, []int64{loser}) || !slices.Equal(res.Changed, []int64{keep}) {
			t.Fatalf("merge: %+v, want Merged [%d] Changed [%d]", res, loser, keep)
		}
		a, err := db.Article(ctx, keep)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Tags, []string{"conflict", "rebels", "syria"}) || !slices.Equal(a.Categories, []string{"World", "Middle East"}) ||
			!slices.Equal(a.Sources, []string{"paper", "blog", "wire"}) {
			t.Errorf("kept article: tags %v categories %v sources %v", a.Tags, a.Categories, a.Sources)
		}
		if _, err := db.Article(ctx, loser); !errors.Is(err, feeds.ErrNotFound) {
			t.Errorf("Article(%d) after the merge: %v, want not found", loser, err)
		}
		if to, err := db.MergedInto(ctx, loser); err != nil || to != keep {
			t.Errorf("MergedInto(%d) = %d, %v; want %d", loser, to, err, keep)
		}
		if _, err := db.MergedInto(ctx, keep); !errors.Is(err, feeds.ErrNotFound) {
			t.Errorf("MergedInto(%d) = %v, want not found", keep, err)
		}
		if pending, err := db.PendingRelated(ctx); err != nil || !slices.Equal(pending, []int64{keep}) {
			t.Errorf("PendingRelated = %v, %v; want [%d]", pending, err, keep)
		}
		if n, _ := db.TagCount(ctx, "conflict"); n != 1 {
			t.Errorf("TagCount(conflict) = %d, want 1", n)
		}
		checkCounts(t, path)
		// the blog sends its item again: still the kept article
		if r := ingest(t, db, "blog", t0, copied); r.Duplicate != 1 || len(r.Changed) != 0 {
			t.Errorf("blog again: %+v", r)
		}
	})
	t.Run("edited item keeps id and published, updates text", func(t *testing.T) {
		db, _ := openDB(t)
		res := ingest(t, db, "a", t0, art("1", "https://x.example/1", "Old headline for the story", t0, "v1"))
		id := res.Changed[0]
		edit := art("1", "https://x.example/1", "New headline for the story", t0.Add(time.Hour), "v2")
		edit.Updated = t0.Add(2 * time.Hour)
		res = ingest(t, db, "a", t0.Add(3*time.Hour), edit)
		if !slices.Equal(res.Changed, []int64{id}) || res.Updated != 1 {
			t.Fatalf("edit: %+v", res)
		}
		a, err := db.Article(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != "New headline for the story" || a.ContentHash != "v2" || !a.Updated.Equal(edit.Updated) || !a.Published.Equal(t0) || !a.FirstSeen.Equal(t0) {
			t.Errorf("after edit: %+v", a)
		}
	})
	t.Run("fetch state saved with the batch", func(t *testing.T) {
		db, _ := openDB(t)
		st := feeds.SourceState{Name: "a", URL: "https://a.example/rss", ETag: `"e"`, LastStatus: 200, ItemCount: 1, LastSuccess: t0}
		if _, err := db.Ingest(ctx, "a", st, []feeds.Article{art("1", "", "A story with no link at all", time.Time{}, "h")}, t0); err != nil {
			t.Fatal(err)
		}
		got, err := db.SourceState(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if got.ETag != `"e"` || got.ItemCount != 1 || got.ArticleCount != 1 || !got.LastSuccess.Equal(t0) {
			t.Errorf("state = %+v", got)
		}
		if a := allArticles(t, db); len(a) != 1 || !a[0].Published.Equal(t0) {
			t.Errorf("missing published should default to now: %+v", a)
		}
	})
	t.Run("failed ingest stores nothing", func(t *testing.T) {
		db, _ := openDB(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := db.Ingest(cctx, "a", feeds.SourceState{}, []feeds.Article{art("1", "https://a.example/1", "Never stored story here", t0, "h", "x")}, t0); err == nil {
			t.Fatal("Ingest with a cancelled context succeeded")
		}
		if n := len(allArticles(t, db)); n != 0 {
			t.Errorf("%d articles after a failed ingest", n)
		}
		// the tag cache must not remember tags of the rolled-back transaction
		ingest(t, db, "a", t0, art("1", "https://a.example/1", "Stored story this time", t0, "h", "x"))
	})
}

func saveRelated(t testing.TB, db *storage.DB, lists map[int64][]feeds.RelatedPost) {
	t.Helper()
	if err := db.SaveRelated(context.Background(), lists); err != nil {
		t.Fatalf("SaveRelated: %v", err)
	}
}

// A process looks up only the keys it knows the store may hold (a filter
// of every key it wrote or loaded). Keys another process (here another
// DB on the same file) stored meanwhile must still be found: by link,
// by title, and by item key.
func TestIngestDedupeSeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	db1, path := openDB(t)
	// db1 loads its filter with this first ingest.
	ingest(t, db1, "wire", t0, art("wire-1", "https://news.example/1", "Parliament passes the annual budget bill", t0, "h1"))

	db2, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	ingest(t, db2, "paper", t0, art("paper-1", "https://news.example/2", "Storm closes every port along the coast", t0, "h2"),
		art("paper-2", "https://paper.example/3", "Central bank holds interest rates steady again", t0, "h3"))
	ingest(t, db2, "wire", t0, art("wire-2", "https://news.example/4", "Rail strike called off after late talks", t0, "h4"))

	for _, c := range []struct {
		source string
		a      feeds.Article
	}{
		{"blog", art("blog-1", "https://news.example/2", "Ports shut as the storm arrives", t0, "h5")},                   // link
		{"radio", art("radio-1", "https://radio.example/9", "Central Bank Holds Interest Rates Steady Again", t0, "h6")}, // title
		{"wire", art("wire-2", "https://news.example/4", "Rail strike called off after late talks", t0, "h4")},           // item key
	} {
		if got := ingest(t, db1, c.source, t0, c.a); got.New != 0 || got.Duplicate != 1 {
			t.Errorf("%s %s: New %d Duplicate %d, want the article db2 stored", c.source, c.a.ItemKey, got.New, got.Duplicate)
		}
	}
	st, err := db1.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Articles != 4 {
		t.Errorf("%d articles, want 4", st.Articles)
	}
}

package scheduler_test

import (
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/scheduler"
)

// TestUndatedItems: items without a date keep the feed's order and sit
// below the dated items of the same fetch, never in the future, and keep
// their place when the feed is fetched again later (issue 19).
func TestUndatedItems(t *testing.T) {
	cases := []struct {
		name  string
		items []item
		want  []string // titles, newest first
	}{
		{"mixed", []item{
			{GUID: "u1", Title: "Undated one"},
			{GUID: "d1", Title: "Dated yesterday", Published: base.Add(-24 * time.Hour)},
			{GUID: "u2", Title: "Undated two"},
			{GUID: "d2", Title: "Dated two days ago", Published: base.Add(-48 * time.Hour)},
			{GUID: "u3", Title: "Undated three"},
		}, []string{"Dated yesterday", "Dated two days ago", "Undated one", "Undated two", "Undated three"}},
		{"dated in the future", []item{
			{GUID: "d1", Title: "Dated yesterday", Published: base.Add(-24 * time.Hour)},
			{GUID: "f1", Title: "Dated three hours ahead", Published: base.Add(3 * time.Hour)},
			{GUID: "u1", Title: "Undated one"},
		}, []string{"Dated three hours ahead", "Dated yesterday", "Undated one"}},
		{"all undated", []item{
			{GUID: "u1", Title: "First in the feed"},
			{GUID: "u2", Title: "Second in the feed"},
			{GUID: "u3", Title: "Third in the feed"},
		}, []string{"First in the feed", "Second in the feed", "Third in the feed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrigin(t)
			for i := range tc.items {
				tc.items[i].Link = "https://a.example/" + tc.items[i].GUID
			}
			o.handle("/feed", serveDoc(rss("A", tc.items...), ""))
			e := newEnv(t, []feeds.Source{src("a", o.URL+"/feed")})
			check := func(when string) map[string]time.Time {
				t.Helper()
				arts := e.articles()
				got := make([]string, 0, len(arts))
				at := map[string]time.Time{}
				for _, a := range arts {
					got = append(got, a.Title)
					at[a.Title] = a.Published
					if a.Published.After(e.clock.Now()) {
						t.Errorf("%s: %q published %v, after now %v", when, a.Title, a.Published, e.clock.Now())
					}
				}
				if len(got) != len(tc.want) {
					t.Fatalf("%s: stored %q, want %q", when, got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Fatalf("%s: order %q, want %q", when, got, tc.want)
					}
				}
				return at
			}
			if r := e.once(true)["a"]; r.Err != nil || r.New != len(tc.items) {
				t.Fatalf("first fetch: %+v", r)
			}
			first := check("first fetch")
			// Later, a dated story newer than everything joins the feed.
			e.clock.Advance(6 * time.Hour)
			more := append([]item{{GUID: "n1", Link: "https://a.example/n1", Title: "Fresh news", Published: e.clock.Now().Add(-time.Minute)}}, tc.items...)
			o.handle("/feed", serveDoc(rss("A", more...), ""))
			if r := e.once(true)["a"]; r.Err != nil || r.New != 1 {
				t.Fatalf("second fetch: %+v", r)
			}
			tc.want = append([]string{"Fresh news"}, tc.want...)
			second := check("second fetch")
			for title, p := range first {
				if !second[title].Equal(p) {
					t.Errorf("%q moved from %v to %v on a refetch", title, p, second[title])
				}
			}
		})
	}
}

// TestSourceLanguage: a source keeps the language its feed declares, across
// a 304, and loses it when the feed stops declaring one.
func TestSourceLanguage(t *testing.T) {
	o := newOrigin(t)
	withLang := `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>U</title><language>ur</language>` +
		`<item><guid>1</guid><title>کراچی میں بارش</title><link>https://u.example/1</link></item></channel></rss>`
	o.handle("/feed", serveDoc(withLang, `"v1"`))
	e := newEnv(t, []feeds.Source{src("u", o.URL+"/feed")})
	for _, step := range []struct {
		name, doc, etag, want string
	}{
		{"declared", withLang, `"v1"`, "ur"},
		{"304", withLang, `"v1"`, "ur"},
		{"no longer declared", rss("U", item{GUID: "1", Link: "https://u.example/1", Title: "x"}), `"v2"`, ""},
	} {
		o.handle("/feed", serveDoc(step.doc, step.etag))
		if r := e.once(true)["u"]; r.Err != nil {
			t.Fatalf("%s: %v", step.name, r.Err)
		}
		if got := e.state("u").Language; got != step.want {
			t.Errorf("%s: Language = %q, want %q", step.name, got, step.want)
		}
	}
}

// TestUndatedNearRetention: undated items that would sit below a dated
// item close to retention.max_age stay inside it instead (just above the
// limit, still in the feed's order), so retention does not drop them.
func TestUndatedNearRetention(t *testing.T) {
	o := newOrigin(t)
	maxAge := 48 * time.Hour
	o.handle("/feed", serveDoc(rss("A",
		item{GUID: "d", Link: "https://a.example/d", Title: "Nearly too old", Published: base.Add(-maxAge + time.Second)},
		item{GUID: "u1", Link: "https://a.example/u1", Title: "Undated one"},
		item{GUID: "u2", Link: "https://a.example/u2", Title: "Undated two"},
	), ""))
	e := newEnv(t, []feeds.Source{src("a", o.URL+"/feed")}, func(_ *scheduler.Options, s *scheduler.Settings, _ *fetch.Options) {
		s.Retention = scheduler.Retention{MaxAge: maxAge}
	})
	if r := e.once(true)["a"]; r.Err != nil || r.New != 3 {
		t.Fatalf("fetch: %+v", r)
	}
	if n, err := e.s.Retain(t.Context()); err != nil || n != 0 {
		t.Errorf("retention deleted %d (%v), want 0", n, err)
	}
	got := e.articles()
	if len(got) != 3 || got[0].Title != "Undated one" || got[1].Title != "Undated two" {
		var titles []string
		for _, a := range got {
			titles = append(titles, a.Title)
		}
		t.Errorf("stored %q, want all three, the undated ones in the feed's order", titles)
	}
}

// TestSourceFeedTitle: a source keeps the title its feed gives itself, as
// plain text on one line, across a 304.
func TestSourceFeedTitle(t *testing.T) {
	o := newOrigin(t)
	doc := `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title> The &lt;b&gt;Gamma&lt;/b&gt;
	Gazette </title><item><guid>1</guid><title>x</title><link>https://g.example/1</link></item></channel></rss>`
	e := newEnv(t, []feeds.Source{src("g", o.URL+"/feed")})
	for _, step := range []string{"200", "304"} {
		o.handle("/feed", serveDoc(doc, `"v1"`))
		if r := e.once(true)["g"]; r.Err != nil {
			t.Fatalf("%s: %v", step, r.Err)
		}
		if got := e.state("g").FeedTitle; got != "The Gamma Gazette" {
			t.Errorf("%s: FeedTitle = %q", step, got)
		}
	}
}

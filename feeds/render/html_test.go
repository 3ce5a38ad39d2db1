package render_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

// page is one HTML page rendered from a dataset.
type page struct {
	name   string
	render func(p *render.Pages, w *bytes.Buffer) error
}

func fixtureArticles(es []render.Entry) []feeds.Article {
	out := make([]feeds.Article, len(es))
	for i, e := range es {
		out[i] = e.Article
	}
	return out
}

func fixtureStates(t *testing.T) []feeds.SourceState {
	return []feeds.SourceState{
		{Name: "example-world", URL: "https://example.org/world/rss.xml", LastFetch: at(t, "2024-05-03T08:00:00Z"), LastSuccess: at(t, "2024-05-03T08:00:00Z"), LastStatus: 200, NextAttempt: at(t, "2024-05-03T08:15:00Z"), ArticleCount: 3},
		{Name: "local-blog", URL: "file:///srv/feeds/blog.xml"},
		{Name: "wire-news", URL: "https://wire.example.com/feed.atom", LastFetch: at(t, "2024-05-03T08:01:00Z"), LastStatus: 503, LastError: "status 503: Service Unavailable", Failures: 3, NextAttempt: at(t, "2024-05-03T09:00:00Z"), ArticleCount: 2},
	}
}

// hostileStates are source states whose every text field is hostile.
func hostileStates() []feeds.SourceState {
	return []feeds.SourceState{
		{Name: "evil", URL: "javascript:alert(1)", LastError: nasty, LastStatus: 500, RedirectURL: "javascript:alert(2)"},
		{Name: nasty, URL: nasty},
	}
}

// pages renders every page of a site from its entries and source states.
func pages(t *testing.T, s render.Site, es []render.Entry, states []feeds.SourceState) []page {
	arts := fixtureArticles(es)
	outputs := []feeds.Output{
		{Name: "middle-east", Title: "Middle East security", Description: "Syria and Iraq, from every source"},
		{Name: "energy", Title: "Energy"},
	}
	tags := []feeds.TagCount{{Tag: "iraq", Count: 2}, {Tag: "syria", Count: 2}, {Tag: "économie", Count: 1}}
	a := es[len(es)-1]
	for _, e := range es {
		if len(e.Related) > len(a.Related) {
			a = e
		}
	}
	return []page{
		{"index", func(p *render.Pages, w *bytes.Buffer) error {
			return p.Index(w, render.IndexPage{Site: s, Outputs: outputs, Latest: arts, Tags: tags})
		}},
		{"tag", func(p *render.Pages, w *bytes.Buffer) error {
			return p.Tag(w, render.TagPage{Site: s, Tag: arts[0].Tags[0], Count: 7, Articles: arts})
		}},
		{"article", func(p *render.Pages, w *bytes.Buffer) error {
			return p.Article(w, render.ArticlePage{Site: s, Article: a.Article, Related: a.Related})
		}},
		{"sources", func(p *render.Pages, w *bytes.Buffer) error {
			return p.Sources(w, render.SourcesPage{Site: s, Sources: states})
		}},
		{"notfound", func(p *render.Pages, w *bytes.Buffer) error {
			return p.NotFound(w, s, `no tag "`+arts[0].Title+`"`)
		}},
	}
}

func TestGoldenPages(t *testing.T) {
	p, err := render.NewPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pages(t, fixtureSite(), fixtureEntries(t), fixtureStates(t)) {
		t.Run(pg.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := pg.render(p, &a); err != nil {
				t.Fatal(err)
			}
			if err := pg.render(p, &b); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two renders of the same data differ")
			}
			golden(t, pg.name+".html", a.Bytes())
		})
	}
}

// parse renders a page and parses it as a browser would.
func parse(t *testing.T, p *render.Pages, pg page) *html.Node {
	t.Helper()
	var buf bytes.Buffer
	if err := pg.render(p, &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// all returns the elements of a tree that satisfy ok, in document order.
func all(n *html.Node, ok func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && ok(c) {
			out = append(out, c)
		}
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func TestPageStructure(t *testing.T) {
	p, err := render.NewPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pages(t, fixtureSite(), fixtureEntries(t), fixtureStates(t)) {
		t.Run(pg.name, func(t *testing.T) {
			var raw bytes.Buffer
			if err := pg.render(p, &raw); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(raw.Bytes(), []byte(`type="application/atom+xml"`)) {
				t.Error("autodiscovery media type is not literal (regexp-based discovery would miss it)")
			}
			doc := parse(t, p, pg)
			alt := map[string]string{}
			for _, l := range all(doc, func(n *html.Node) bool { return n.Data == "link" && attr(n, "rel") == "alternate" }) {
				if _, seen := alt[attr(l, "type")]; !seen {
					alt[attr(l, "type")] = attr(l, "href")
				}
			}
			wantFeed := "https://news.example.org/desk/feeds/all"
			if pg.name == "tag" {
				wantFeed = "https://news.example.org/desk/tags/%C3%A9conomie"
			}
			for typ, ext := range map[string]string{"application/atom+xml": ".atom", "application/rss+xml": ".rss", "application/feed+json": ".json"} {
				if alt[typ] != wantFeed+ext {
					t.Errorf("autodiscovery %s = %q, want %q", typ, alt[typ], wantFeed+ext)
				}
			}
			if len(all(doc, func(n *html.Node) bool { return n.Data == "meta" && attr(n, "name") == "viewport" })) != 1 {
				t.Error("no viewport meta")
			}
			if s := all(doc, func(n *html.Node) bool { return n.Data == "script" }); len(s) > 0 {
				t.Error("page has a script element")
			}
			canon := all(doc, func(n *html.Node) bool { return n.Data == "link" && attr(n, "rel") == "canonical" })
			if pg.name == "article" {
				if len(canon) != 1 || attr(canon[0], "href") != "https://example.org/world/ceasefire" {
					t.Errorf("canonical = %v, want the original article", canon)
				}
			} else if len(canon) != 0 {
				t.Errorf("%s page has a canonical link", pg.name)
			}
			for _, a := range all(doc, func(n *html.Node) bool { return n.Data == "a" }) {
				if h := attr(a, "href"); strings.HasPrefix(h, "/") && !strings.HasPrefix(h, "/desk/") {
					t.Errorf("internal link %q ignores the base path /desk/", h)
				}
			}
		})
	}
}

func TestArticlePage(t *testing.T) {
	p, err := render.NewPages()
	if err != nil {
		t.Fatal(err)
	}
	var article page
	for _, pg := range pages(t, fixtureSite(), fixtureEntries(t), fixtureStates(t)) {
		if pg.name == "article" {
			article = pg
		}
	}
	doc := parse(t, p, article)
	h1 := all(doc, func(n *html.Node) bool { return n.Data == "h1" })
	if len(h1) != 1 || text(h1[0]) != "Ceasefire talks resume in Doha" {
		t.Errorf("h1 = %v", h1)
	}
	sec := all(doc, func(n *html.Node) bool { return n.Data == "section" && attr(n, "class") == "related" })
	if len(sec) != 1 || !strings.Contains(text(sec[0]), "Related posts") {
		t.Fatal("no Related posts section")
	}
	var got []string
	for _, h := range all(sec[0], func(n *html.Node) bool { return n.Data == "h3" }) {
		for _, a := range all(h, func(n *html.Node) bool { return n.Data == "a" }) {
			got = append(got, attr(a, "href")+" "+text(a))
		}
	}
	want := []string{"/desk/articles/102 Aid convoy reaches Aleppo", "/desk/articles/104 Pipeline attack cuts Iraqi oil exports"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("related = %q, want %q", got, want)
	}
	orig := all(doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "class") == "orig" })
	if len(orig) != 1 || attr(orig[0], "href") != "https://example.org/world/ceasefire" || !strings.Contains(text(orig[0]), "Read the original") {
		t.Errorf("read the original = %v", orig)
	}
	times := all(doc, func(n *html.Node) bool { return n.Data == "time" })
	if len(times) == 0 || attr(times[0], "datetime") != "2024-05-02T08:30:00Z" || text(times[0]) != "2 May 2024, 08:30 UTC" {
		t.Errorf("first <time> = %v", times)
	}
	tagLinks := all(doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "rel") == "tag" })
	if len(tagLinks) == 0 || attr(tagLinks[0], "href") != "/desk/tags/iraq" {
		t.Errorf("tag links = %v", tagLinks)
	}
}

// TestHostilePages renders every page from hostile data: no script
// element, no event handler attribute, no javascript: URL may result.
func TestHostilePages(t *testing.T) {
	p, err := render.NewPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, pg := range pages(t, hostileSite(), hostileEntries(t), hostileStates()) {
		t.Run(pg.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := pg.render(p, &buf); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(bytes.ToLower(buf.Bytes()), []byte("<script")) {
				t.Error("page contains an unescaped <script")
			}
			doc, err := html.Parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			for c := range doc.Descendants() {
				if c.Type != html.ElementNode {
					continue
				}
				if c.Data == "script" || c.Data == "img" {
					t.Errorf("page has a <%s> element", c.Data)
				}
				for _, a := range c.Attr {
					if strings.HasPrefix(strings.ToLower(a.Key), "on") {
						t.Errorf("<%s> has an event handler %s=%q", c.Data, a.Key, a.Val)
					}
					if v := strings.ToLower(strings.TrimSpace(a.Val)); strings.HasPrefix(v, "javascript:") {
						t.Errorf("<%s %s=%q>", c.Data, a.Key, a.Val)
					}
				}
			}
		})
	}
}

func TestErrorPage(t *testing.T) {
	p, err := render.NewPages()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		status int
		want   string
	}{
		{http.StatusNotFound, "Not Found"},
		{http.StatusServiceUnavailable, "Service Unavailable"},
		{799, "Error"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			var buf bytes.Buffer
			if err := p.Error(&buf, render.ErrorPage{Site: fixtureSite(), Status: tt.status, Message: "no article 9"}); err != nil {
				t.Fatal(err)
			}
			doc, err := html.Parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			h1 := all(doc, func(n *html.Node) bool { return n.Data == "h1" })
			if len(h1) != 1 || text(h1[0]) != tt.want || !strings.Contains(text(doc), "no article 9") {
				t.Errorf("h1 = %q", text(h1[0]))
			}
		})
	}
}

// TestDates checks pages show dates in UTC whatever zone they came in.
func TestDates(t *testing.T) {
	p, err := render.NewPages()
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("UTC+2", 2*3600)
	a := feeds.Article{ID: 1, Title: "T", Link: "https://example.org/t", Published: time.Date(2024, 5, 3, 9, 15, 0, 0, zone)}
	var buf bytes.Buffer
	if err := p.Article(&buf, render.ArticlePage{Site: fixtureSite(), Article: a}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<time datetime="2024-05-03T07:15:00Z">3 May 2024, 07:15 UTC</time>`) {
		t.Errorf("no UTC date in:\n%s", buf.String())
	}
}

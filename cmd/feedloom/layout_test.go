package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// layoutFeeds are the corpus feeds TestBrowserLayout reads: right-to-left
// Urdu, very long content, no dates or titles, entities, xml:base, a
// podcast, JSON and Atom news. Paths are relative to ../shared/corpus.
var layoutFeeds = []string{
	"rss/miniflux-urdu_UTF8.xml",
	"hostile/generated-very-long-content.xml",
	"hostile/generated-no-dates-no-titles.xml",
	"hostile/generated-html-entities.xml",
	"hostile/generated-relative-links-xml-base.xml",
	"rss/rssparser-guardian.rss",
	"rss/feedjira-CRE.xml",
	"atom/miniflux-large_atom.xml",
	"json/feedrs-jsonfeed_elastic_1.1.json",
}

// layoutDoc is a feed written to break a layout: headings inside the text,
// an unbroken 300-letter word, a wide table and image, a long code line,
// and a long link, in two items that share tags (so "Related posts" shows).
func layoutDoc() string {
	long := strings.Repeat("x", 300)
	body := `<h1>Body heading one</h1><p>` + long + `</p><h2>Body heading two</h2>` +
		`<table><tr>` + strings.Repeat(`<td>wide-cell-content</td>`, 30) + `</tr></table>` +
		`<p><img src="/img/wide.png" width="3000" height="10" alt="wide"></p><pre>` + long + `</pre>` +
		`<p><a href="https://example.org/` + long + `">https://example.org/` + long + `</a></p>`
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Layout</title><link>https://layout.example/</link><description>d</description>`)
	for i := range 2 {
		fmt.Fprintf(&b, `<item><guid>layout-%d</guid><title>Layout breaker %d with a title that goes on %s</title><link>https://layout.example/%d</link>`+
			`<description><![CDATA[%s]]></description><pubDate>%s</pubDate><category>layout</category><category>stress</category></item>`,
			i, i, long, i, body, time.Now().Add(-time.Duration(i+1)*time.Hour).UTC().Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// corpusRoot is ../shared/corpus beside the repository root (the folder
// with go.mod); the test skips without it.
func corpusRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Skip("repository root (go.mod) not found")
		}
		dir = filepath.Dir(dir)
	}
	c := filepath.Join(dir, "..", "shared", "corpus")
	if _, err := os.Stat(c); err != nil {
		t.Skipf("../shared/corpus not available: %v", err)
	}
	return c
}

// layoutProbe measures the loaded page in the current viewport: whether
// the document is wider than the viewport (horizontal scrolling), the
// widest elements that stick out, the cells of /sources that are squeezed
// or off screen (outside the viewport or scrolled out of their box), and
// the direction and look of headings.
const layoutProbe = `(() => {
  const vw = document.documentElement.clientWidth;
  const out = {width: vw, scroll: document.documentElement.scrollWidth, lang: document.documentElement.lang,
    wide: [], cells: [], h1dir: '', bodyH: null, pageH: null};
  for (const el of document.body.getElementsByTagName('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 1 || r.left < -1)) {
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') { clipped = true; break; }
      }
      if (!clipped) out.wide.push(el.localName + (el.className ? '.' + el.className : '') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  for (const td of document.querySelectorAll('main > .scroll > table td')) {
    const r = td.getBoundingClientRect();
    const box = td.closest('.scroll');
    const right = Math.min(vw, box ? box.getBoundingClientRect().right : vw);
    if (r.right > right + 1 || r.left < -1 || (td.classList.contains('url') && r.width < 120)) {
      out.cells.push((td.dataset.label || td.className) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  const h1 = document.querySelector('main h1');
  if (h1) out.h1dir = getComputedStyle(h1).direction;
  const look = el => el ? (s => ({size: s.fontSize, transform: s.textTransform, border: s.borderBottomStyle}))(getComputedStyle(el)) : null;
  out.bodyH = look(document.querySelector('article .body h1, article .body h2'));
  out.pageH = look(document.querySelector('main > section h2, main > h2'));
  return out;
})()`

type layoutResult struct {
	Width  int      `json:"width"`
	Scroll int      `json:"scroll"`
	Lang   string   `json:"lang"`
	Wide   []string `json:"wide"`
	Cells  []string `json:"cells"`
	H1Dir  string   `json:"h1dir"`
	BodyH  *look    `json:"bodyH"`
	PageH  *look    `json:"pageH"`
}

type look struct {
	Size      string `json:"size"`
	Transform string `json:"transform"`
	Border    string `json:"border"`
}

// TestBrowserLayout serves real corpus feeds (right-to-left and hostile
// ones among them), a feed built to break layouts and a failing source
// with a long URL, and loads every page kind in headless Chromium at 1280
// and 390 px: no page may scroll sideways, /sources must show every cell
// of a row on screen with room for the URL, headings inside an article's
// text must not look like the page's own, and right-to-left titles must
// run right to left. FEEDLOOM_SCREENSHOTS=DIR saves a PNG of the first
// screen of each page.
func TestBrowserLayout(t *testing.T) {
	needBrowser(t)
	corpus := corpusRoot(t)
	docs := map[string][]byte{"/layout.xml": []byte(layoutDoc())}
	for _, f := range layoutFeeds {
		b, err := os.ReadFile(filepath.Join(corpus, f))
		if err != nil {
			t.Fatalf("corpus: %v", err)
		}
		docs["/c/"+f] = b
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(origin.Close)

	dir := t.TempDir()
	var sources strings.Builder
	names := []string{"layout", "gone-missing"}
	fmt.Fprintf(&sources, "  - name: layout\n    url: %q\n    tags: [world]\n", origin.URL+"/layout.xml")
	fmt.Fprintf(&sources, "  - name: gone-missing\n    url: %q\n", origin.URL+"/a/very/long/path/to/a/feed/that/is/not/there/any/more/"+strings.Repeat("segment-", 12)+"feed.xml")
	for i, f := range layoutFeeds {
		name := fmt.Sprintf("corpus-%d", i)
		names = append(names, name)
		fmt.Fprintf(&sources, "  - name: %s\n    url: %q\n    tags: [world]\n", name, origin.URL+"/c/"+f)
	}
	cfg := writeConfig(t, dir, fmt.Sprintf(`title: "Layout Desk"
base_url: "http://desk.example/"
listen: "127.0.0.1:0"
database: %q
fetch:
  schedule: "@every 1h"
  on_start: true
retention:
  max_age: 0
sources:
%s
outputs:
  - name: everything
    tags_any: [world, layout]
    limit: 1000
`, filepath.Join(dir, "feedloom.db"), sources.String()))
	var waits []string
	for _, n := range names {
		waits = append(waits, "msg=fetch source="+n+" ")
	}
	d := startDaemon(t, cfg, waits...)

	pages := []string{"/", "/sources", "/tags/world", "/tags/layout"}
	code, body := get(t, d.base+"/feeds/everything.json")
	var jf struct {
		Items []struct {
			Title    string `json:"title"`
			Feedloom struct {
				Article int64 `json:"article"`
			} `json:"_feedloom"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &jf); code != 200 || err != nil {
		t.Fatalf("/feeds/everything.json: %d %v", code, err)
	}
	rtl := regexp.MustCompile(`[\x{0590}-\x{08FF}]`)
	var urdu, breaker string
	for i, it := range jf.Items {
		p := fmt.Sprintf("/articles/%d", it.Feedloom.Article)
		switch {
		case urdu == "" && rtl.MatchString(it.Title):
			urdu = p
		case breaker == "" && strings.HasPrefix(it.Title, "Layout breaker"):
			breaker = p
		case i%7 != 0: // a sample of the rest keeps the test short
			continue
		}
		pages = append(pages, p)
	}
	if urdu == "" || breaker == "" {
		t.Fatalf("no Urdu (%q) or layout-breaker (%q) article among %d", urdu, breaker, len(jf.Items))
	}

	shots := os.Getenv("FEEDLOOM_SCREENSHOTS")
	tab := newBrowser(t)
	for _, width := range []int64{1280, 390} {
		for _, p := range pages {
			ctx, cancel := context.WithTimeout(tab.ctx, 20*time.Second)
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(d.base+p)); err != nil {
				cancel()
				t.Fatalf("%d px %s: %v", width, p, err)
			}
			res, err := chromedp.Run(ctx, chromedp.Evaluate[layoutResult](layoutProbe))
			if err != nil {
				cancel()
				t.Fatalf("%d px %s: probe: %v", width, p, err)
			}
			if shots != "" {
				if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
					name := fmt.Sprintf("%d%s.png", width, strings.NewReplacer("/", "_").Replace(p))
					_ = os.WriteFile(filepath.Join(shots, name), png, 0o644)
				}
			}
			cancel()
			if res.Scroll > res.Width {
				t.Errorf("%d px %s scrolls sideways: %d px wide; sticking out: %q", width, p, res.Scroll, res.Wide)
			} else if len(res.Wide) > 0 {
				t.Errorf("%d px %s: elements off screen: %q", width, p, res.Wide)
			}
			if len(res.Cells) > 0 {
				t.Errorf("%d px %s: squeezed or hidden cells: %q", width, p, res.Cells)
			}
			switch p {
			case urdu:
				if res.H1Dir != "rtl" {
					t.Errorf("%d px %s: the Urdu title runs %q", width, p, res.H1Dir)
				}
			case breaker:
				if res.BodyH == nil || res.PageH == nil {
					t.Errorf("%d px %s: no body heading (%v) or page heading (%v) found", width, p, res.BodyH, res.PageH)
				} else if *res.BodyH == *res.PageH {
					t.Errorf("%d px %s: a heading in the article text looks like the page's own: %+v", width, p, *res.BodyH)
				}
			}
		}
	}
	t.Logf("%d pages at 1280 and 390 px", len(pages))
}

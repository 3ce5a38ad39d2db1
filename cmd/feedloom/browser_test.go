package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser; .ci/run
// installs it when it is missing.
const chromiumPath = "/usr/bin/chromium"

// testDaemon is `feedloom serve` running in-process through run().
type testDaemon struct {
	base string // http://127.0.0.1:PORT
	logs *logWatch
}

// startDaemon runs serve on cfg and waits until it listens and every
// substring of waitFor has appeared in its log. Cleanup stops it and
// checks that it exited cleanly.
func startDaemon(t *testing.T, cfg string, waitFor ...string) *testDaemon {
	t.Helper()
	e, _, logs := testEnv()
	addrc := make(chan string, 1)
	e.ready = func(addr string) { addrc <- addr }
	var waits []func() string
	for _, s := range waitFor {
		waits = append(waits, logs.await(t, s))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "-config", cfg}) }()
	t.Cleanup(func() {
		cancel()
		if st := <-done; st != exitOK {
			t.Errorf("serve exit status %d:\n%s", st, logs)
		}
	})
	d := &testDaemon{logs: logs}
	select {
	case addr := <-addrc:
		d.base = "http://" + addr
	case st := <-done:
		done <- st
		t.Fatalf("serve exited with %d:\n%s", st, logs)
	}
	for _, w := range waits {
		w()
	}
	return d
}

// hostileOrigin serves the hostile feeds and records every other request:
// a request for /beacon means a payload ran (each payload fetches it), one
// for /evil.* means markup that loads a script, style or document survived.
type hostileOrigin struct {
	srv  *httptest.Server
	docs map[string]doc
	png  []byte
	mu   sync.Mutex
	hits map[string]int // path?query → count, beyond the feeds and img.png
}

type doc struct{ ctype, body string }

func newHostileOrigin(t *testing.T) *hostileOrigin {
	o := &hostileOrigin{hits: map[string]int{}}
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	o.png = b.Bytes()
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d, ok := o.docs[r.URL.Path]; ok {
			w.Header().Set("Content-Type", d.ctype)
			_, _ = w.Write([]byte(d.body))
			return
		}
		if c, ok := canaries[r.URL.Path]; ok {
			if c.csp {
				w.Header().Set("Content-Security-Policy", "default-src 'none'")
			}
			w.Header().Set("Content-Type", c.ctype)
			fmt.Fprint(w, expand(c.body, canaryN, o.srv.URL))
			return
		}
		if r.URL.Path == "/img.png" {
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write(o.png)
			return
		}
		o.mu.Lock()
		o.hits[r.URL.RequestURI()]++
		o.mu.Unlock()
		switch {
		case strings.HasSuffix(r.URL.Path, ".js"):
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, jsPayload(0, o.srv.URL))
		case strings.HasSuffix(r.URL.Path, ".css"):
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, "body{background:red}")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// The canaries are pages with a live payload: the harness must see it run
// (or, under a CSP, see the violation), or it could not see anything.
const (
	canaryHTML = `<!DOCTYPE html><title>canary</title><img src=x onerror="{P}"><a href="javascript:{P}">x</a>`
	canaryXML  = `<feed xmlns="http://www.w3.org/2005/Atom"><x:script xmlns:x="http://www.w3.org/1999/xhtml">{P}</x:script></feed>`
	canaryN    = 999
)

var canaries = map[string]struct {
	csp         bool
	ctype, body string
	want        []string // substrings of what inspect must find
}{
	"/canary.html":     {false, "text/html", canaryHTML, []string{"window.__xss is a number", "dialog opened: alert: 999 (from ", `href="javascript:`}},
	"/canary-csp.html": {true, "text/html", canaryHTML, []string{"CSP violation: script-src-attr", `href="javascript:`}},
	"/canary.xml":      {false, "application/xml", canaryXML, []string{"window.__xss is a number", "element <script> in http://www.w3.org/1999/xhtml"}},
}

// evilHits returns the recorded requests that prove a payload ran or a
// resource-loading element survived; /x and the like (relative img src
// resolved against the item link, harmless) are not among them.
func (o *hostileOrigin) evilHits() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	bad := map[string]int{}
	for p, n := range o.hits {
		if p != fmt.Sprintf("/beacon?n=%d", canaryN) && (strings.HasPrefix(p, "/beacon") || strings.HasPrefix(p, "/evil")) {
			bad[p] = n
		}
	}
	return bad
}

// TestBrowserXSS fills a store from hostile RSS, Atom and JSON feeds, then
// loads every page and feed in headless Chromium and asserts that nothing
// ran: no payload set window.__xss, opened a dialog or fetched its beacon,
// the DOM has no element, attribute or URL that could run script, and no
// Content-Security-Policy violation was reported. It loads the HTML pages a
// second time from a mirror that strips the CSP header, so it proves the
// markup itself is inert, not only that the CSP blocks it.
func TestBrowserXSS(t *testing.T) {
	needBrowser(t)
	o := newHostileOrigin(t)
	o.docs = hostileFeeds(o.srv.URL)

	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`title: "</title><script>alert(1)</script> Desk {{.}}"
base_url: "http://desk.example/"
listen: "127.0.0.1:0"
database: %q
fetch:
  schedule: "@every 1h"
  on_start: true
sources:
  - name: rss
    url: %q
    tags: [hostile]
  - name: atom
    url: %q
    tags: [hostile]
  - name: json
    url: %q
    tags: [hostile]
outputs:
  - name: everything
    title: "<img src=x onerror=alert(2)>"
    description: "<script>alert(3)</script>"
    tags_any: [hostile]
    limit: 1000
`, filepath.Join(dir, "feedloom.db"), o.srv.URL+"/rss.xml", o.srv.URL+"/atom.xml", o.srv.URL+"/feed.json"))
	d := startDaemon(t, cfg, "msg=fetch source=rss status=", "msg=fetch source=atom status=", "msg=fetch source=json status=")
	for _, src := range []string{"rss", "atom", "json"} {
		if !strings.Contains(d.logs.String(), "msg=fetch source="+src+" status=200") {
			t.Fatalf("source %s was not ingested:\n%s", src, d.logs)
		}
	}

	pages, docs, articles := sitePaths(t, d.base)
	for _, p := range pages {
		// Every listed page answers (tags never keep a slash, which the
		// /tags/{tag} route could not address).
		if code, _ := get(t, d.base+p); code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", p, code)
		}
	}
	// The mirror serves the daemon's bytes without the CSP header, and feeds
	// as application/xml, which the browser parses (an XHTML script element
	// would run there) instead of showing them as text.
	mirror := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			u, _ := url.Parse(d.base)
			r.SetURL(u)
		},
		ModifyResponse: func(r *http.Response) error {
			r.Header.Del("Content-Security-Policy")
			switch p := r.Request.URL.Path; {
			case strings.HasSuffix(p, ".atom") || strings.HasSuffix(p, ".rss") || p == "/opml":
				r.Header.Set("Content-Type", "application/xml")
			}
			return nil
		},
	})
	t.Cleanup(mirror.Close)

	b := newBrowser(t)
	b2 := newTab(t, b.ctx)
	t.Logf("daemon %s, mirror %s, origin %s", d.base, mirror.URL, o.srv.URL)
	start := time.Now()
	for i, tab := range []*chromeTab{b, b2} {
		for path, c := range canaries {
			found := strings.Join(tab.inspect(o.srv.URL+path), "\n")
			for _, want := range c.want {
				if !strings.Contains(found, want) {
					t.Fatalf("harness: in tab %d the canary %s should show %q; it found:\n%s", i, path, want, found)
				}
			}
		}
	}
	// Two tabs, one per origin, in parallel. JSON documents are left out of
	// the mirror: the browser shows them as text either way.
	var mirrored []string
	for _, p := range append(pages, docs...) {
		if !strings.HasSuffix(p, ".json") {
			mirrored = append(mirrored, p)
		}
	}
	var wg sync.WaitGroup
	for _, run := range []struct {
		tab   *chromeTab
		base  string
		paths []string
	}{{b, d.base, append(pages, docs...)}, {b2, mirror.URL, mirrored}} {
		wg.Go(func() {
			for _, p := range run.paths {
				run.tab.check(t, run.base+p)
			}
			run.tab.leave(t)
		})
	}
	wg.Wait()
	if bad := o.evilHits(); len(bad) > 0 {
		t.Errorf("payloads ran or loaded resources (origin requests): %v", bad)
	}
	if o.hits[fmt.Sprintf("/beacon?n=%d", canaryN)] == 0 {
		t.Errorf("harness: the canary's beacon never reached the origin")
	}
	t.Logf("%d body, %d title, %d author, %d category and %d link payloads in %d articles; %d pages and %d feeds loaded, %d of them again without CSP, in %v",
		len(bodyPayloads), len(titlePayloads), len(authorPayloads), len(categoryPayloads), len(linkPayloads),
		articles, len(pages), len(docs), len(mirrored), time.Since(start).Round(time.Millisecond))
}

// needBrowser skips t in -short mode and where Chromium is not installed.
func needBrowser(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("no browser at %s (Debian package chromium; .ci/run installs it): %v", chromiumPath, err)
	}
}

// sitePaths lists every HTML page (/, /sources, each article, each tag)
// and every published document of the store, from the catch-all output, and
// the number of articles.
func sitePaths(t *testing.T, base string) (pages, docs []string, articles int) {
	t.Helper()
	code, body := get(t, base+"/feeds/everything.json")
	var jf struct {
		Items []struct {
			ID   string   `json:"id"`
			Tags []string `json:"tags"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &jf); code != 200 || err != nil {
		t.Fatalf("/feeds/everything.json: %d %v\n%s", code, err, body)
	}
	// Every item in each of the three formats is an article, except the one
	// whose link is "&#106;avascript:...": it resolves to the same relative
	// URL in every format, so the three copies are one article.
	if items := (len(bodyPayloads) + payloadsPerItem - 1) / payloadsPerItem; len(jf.Items) != 3*items-2 {
		t.Fatalf("%d articles stored from the hostile feeds, want %d:\n%s", len(jf.Items), 3*items-2, body)
	}
	pages = []string{"/", "/sources"}
	tags := map[string]bool{}
	for _, it := range jf.Items {
		pages = append(pages, strings.TrimPrefix(it.ID, "http://desk.example"))
		for _, tg := range it.Tags {
			tags[tg] = true
		}
	}
	docs = []string{"/sources.json", "/opml"}
	for _, out := range []string{"all", "everything"} {
		for _, ext := range []string{"atom", "rss", "json"} {
			docs = append(docs, "/feeds/"+out+"."+ext)
		}
	}
	for _, tg := range slices.Sorted(maps.Keys(tags)) {
		p := "/tags/" + url.PathEscape(tg)
		pages = append(pages, p)
		for _, ext := range []string{"atom", "rss", "json"} {
			docs = append(docs, p+"."+ext)
		}
	}
	return pages, docs, len(jf.Items)
}

// chromeTab is one headless Chromium tab with listeners that record
// dialogs, console messages and CSP violations of the page loaded last.
type chromeTab struct {
	ctx     context.Context
	mu      sync.Mutex
	dialogs []string
	console []string
}

func newBrowser(t *testing.T) *chromeTab {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	// The first tab's first command starts the browser; its context must
	// not have a timeout.
	b := newTab(t, allocCtx)
	if _, err := chromedp.CallBrowser(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorDeny}); err != nil {
		t.Fatalf("set download behaviour: %v", err)
	}
	return b
}

// newTab opens a tab: in a new browser under an allocator context, or in
// the browser of a tab's context.
func newTab(t *testing.T, parent context.Context) *chromeTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(parent)
	t.Cleanup(cancel)
	b := &chromeTab{ctx: ctx}
	dialogs := make(chan struct{}, 64)
	if err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			b.dialogs = append(b.dialogs, string(ev.Type)+": "+ev.Message+" (from "+ev.URL+")")
			select {
			case dialogs <- struct{}{}:
			default:
			}
		case *log.EventEntryAdded:
			b.console = append(b.console, string(ev.Entry.Source)+" "+string(ev.Entry.Level)+": "+ev.Entry.Text+" (from "+ev.Entry.URL+")")
		case *runtime.EventConsoleAPICalled:
			b.console = append(b.console, "console."+string(ev.Type))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := "exception: " + d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.console = append(b.console, fmt.Sprintf("%s at %s:%d", msg, d.URL, d.LineNumber))
		}
	}); err != nil {
		t.Fatalf("start %s: %v", chromiumPath, err)
	}
	// A dialog blocks the page until it is closed: close each one (it is
	// recorded already), from outside the listener.
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-dialogs:
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}
		}
	}()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder}); err != nil {
		t.Fatalf("add CSP recorder: %v", err)
	}
	return b
}

// cspRecorder runs before any script of each document (DevTools scripts are
// not subject to the page's CSP) and records every CSP violation.
const cspRecorder = `window.__feedloomCSP = [];
document.addEventListener('securitypolicyviolation', e => window.__feedloomCSP.push(e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));`

// probeResult is what domProbe finds in a loaded document.
type probeResult struct {
	XSS      string   `json:"xss"`      // typeof window.__xss
	Location string   `json:"location"` // where the tab ended up
	Type     string   `json:"type"`     // document.contentType
	Bad      []string `json:"bad"`      // elements, attributes and URLs that could run script
	CSP      []string `json:"csp"`
}

// inspect loads u and returns every sign of script it finds: a payload's
// global, a dialog, an unsafe DOM, a navigation away, a CSP violation or a
// console message of a script.
func (b *chromeTab) inspect(u string) []string {
	b.mu.Lock()
	b.dialogs, b.console = nil, nil
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return []string{"load: " + err.Error()}
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[probeResult](domProbe))
	if err != nil {
		return []string{"probe: " + err.Error()}
	}
	b.mu.Lock()
	dialogs, console := slices.Clone(b.dialogs), slices.Clone(b.console)
	b.mu.Unlock()
	var found []string
	if res.XSS != "undefined" {
		found = append(found, "window.__xss is a "+res.XSS+": a payload ran")
	}
	for _, d := range dialogs {
		found = append(found, "dialog opened: "+d)
	}
	if res.Location != u {
		found = append(found, "the tab navigated to "+res.Location)
	}
	for _, bad := range res.Bad {
		found = append(found, res.Type+": "+bad)
	}
	for _, v := range res.CSP {
		found = append(found, "CSP violation: "+v)
	}
	for _, m := range console {
		if strings.Contains(m, "Content Security Policy") || strings.HasPrefix(m, "console.") || strings.HasPrefix(m, "exception") {
			found = append(found, "console: "+m)
		}
	}
	return found
}

// leave loads a blank page and fails t on events that arrived after the
// last inspect (a late event of the page before, such as a rejected fetch).
// Every event names the document it came from.
func (b *chromeTab) leave(t *testing.T) {
	t.Helper()
	for _, f := range b.inspect("about:blank") {
		t.Errorf("after the last page: %s", f)
	}
}

// check fails t on anything inspect finds.
func (b *chromeTab) check(t *testing.T, u string) {
	t.Helper()
	for _, f := range b.inspect(u) {
		t.Errorf("%s: %s", u, f)
	}
}

// domProbe inspects the loaded document. In HTML pages every element must be
// one that feedloom's templates or its sanitiser produce (with meta, link and
// style only as the layout uses them); in any document (the browser's view
// of a feed too) no attribute may be an event handler or srcdoc (in HTML
// not style or autofocus either), and
// every URL attribute must resolve to http(s), mailto or a raster data: image.
const domProbe = `(() => {
  const bad = [];
  const html = document.contentType === 'text/html';
  const allowed = new Set(('html head body meta title link style header div a nav main footer span strong time ' +
    'article section h1 h2 h3 h4 h5 h6 p ol ul li dl dt dd figure figcaption blockquote pre code kbd samp var ' +
    'em b i u s del ins mark small sub sup abbr cite q table caption thead tbody tfoot tr th td br hr img').split(' '));
  const never = new Set(('script iframe frame frameset object embed applet base form input button textarea select ' +
    'svg math template noscript video audio source track portal marquee').split(' '));
  const ns = new Set(['http://www.w3.org/1999/xhtml', 'http://www.w3.org/2000/svg', 'http://www.w3.org/1998/Math/MathML']);
  const urlAttrs = new Set(['href', 'src', 'action', 'formaction', 'data', 'poster', 'background', 'cite', 'ping',
    'xlink:href', 'srcset', 'codebase', 'dynsrc', 'lowsrc', 'manifest', 'icon']);
  let styles = 0;
  for (const el of document.getElementsByTagName('*')) {
    const name = el.localName.toLowerCase();
    if (html) {
      if (!allowed.has(name)) bad.push('element <' + name + '>');
      if (name === 'style' && (++styles > 1 || el.parentElement !== document.head)) bad.push('extra <style>');
      if (name === 'meta' && (el.hasAttribute('http-equiv') || el.hasAttribute('content') && el.getAttribute('name') !== 'viewport' && el.getAttribute('name') !== 'generator')) bad.push('meta ' + el.outerHTML);
      if (name === 'link' && !['alternate', 'canonical'].includes(el.getAttribute('rel'))) bad.push('link ' + el.outerHTML);
    } else if (ns.has(el.namespaceURI) && never.has(name)) {
      bad.push('element <' + name + '> in ' + el.namespaceURI);
    }
    for (const a of el.attributes) {
      const an = a.name.toLowerCase();
      if (an.startsWith('on') || an === 'srcdoc' || html && (an === 'style' || an === 'autofocus')) bad.push('attribute ' + an + '=' + JSON.stringify(a.value) + ' on <' + name + '>');
      if (!urlAttrs.has(an) && !an.endsWith(':href')) continue;
      let u;
      try { u = new URL(a.value, document.baseURI); } catch (e) { continue; }
      const ok = ['http:', 'https:', 'mailto:'].includes(u.protocol) ||
        (u.protocol === 'data:' && name === 'img' && an === 'src' && /^data:image\/(png|jpeg|gif|webp);base64,/.test(u.href));
      if (!ok) bad.push(an + '=' + JSON.stringify(a.value) + ' on <' + name + '> resolves to ' + u.protocol);
    }
  }
  if (html && document.baseURI !== location.href) bad.push('base URI changed to ' + document.baseURI);
  return {xss: typeof window.__xss, location: location.href, type: document.contentType, bad, csp: window.__feedloomCSP || ['recorder missing']};
})()`

package scheduler_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/parse"
	"github.com/feedloom/feedloom/feeds/tag"
	"github.com/feedloom/feedloom/scheduler"
)

// heapLimit is what the Go heap (HeapInuse, sampled every 5 ms) may reach
// during any case. The default max_body is 10 MB; parse cuts a document to
// MaxItems items within MaxCost elements before gofeed builds it, which
// bounds gofeed's tree near 120 MB whatever the body. The one case that
// raises max_body (a 20 MB content element, 30 MB cap) takes about
// 195 MB (the body, gofeed's copies of the text while it reads it, the
// normaliser's 2 MB window); the others stay under 50 MB. 300 MB leaves
// room for the GC's pacing (GOGC=100 lets the heap double between
// collections) and still fails gofeed's 20-46x amplification of a 10 MB
// body (200-460 MB without parse's cuts).
const heapLimit = 300 << 20

// hostileTimeout is the fetch timeout of the quick cases: a server that
// never answers or trickles costs this much.
const hostileTimeout = 500 * time.Millisecond

// harness is one database, one scheduler and one origin shared by every
// case; each case's source is fetched in the same RunOnce as "good", whose
// articles must survive everything.
type harness struct {
	*env
	o *origin
}

// hostileCase is one source the origin serves badly; run drives it (one or
// more passes) and asserts its outcome.
type hostileCase struct {
	name  string
	h     http.HandlerFunc
	heavy bool           // too slow under -race (SQLite and gofeed run ~40x slower): run without it
	fetch *fetch.Options // a non-default fetcher for this case
	run   func(t *testing.T, h *harness, name string)
}

// TestHostile runs every hostile origin case against the real pipeline and
// a real store, measuring the heap during each.
func TestHostile(t *testing.T) {
	o := newOrigin(t)
	cases := hostileCases(o.URL)
	srcs := []feeds.Source{src("good", o.URL+"/good")}
	for _, c := range cases {
		o.handle("/"+c.name, c.h)
		srcs = append(srcs, src(c.name, o.URL+"/"+c.name))
	}
	// The origin's routes are exact paths: the chain's hops and the loop's second step.
	for i := 1; i <= 20; i++ {
		o.handle(fmt.Sprintf("/chain/%d", i), chain)
	}
	o.handle("/loop2", redirect(http.StatusFound, "/loop"))
	o.handle("/good", serveDoc(goodDoc(), `"good-1"`))

	def := fetch.Options{Timeout: hostileTimeout, MaxBody: fetch.DefaultMaxBody, UserAgent: "feedloom-hostile"}
	e := newEnv(t, srcs, func(_ *scheduler.Options, _ *scheduler.Settings, f *fetch.Options) { *f = def })
	h := &harness{env: e, o: o}
	peaks := map[string]uint64{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.heavy && raceEnabled {
				t.Skip("heavy case: runs without -race (.ci/run runs go test -run Hostile ./scheduler/)")
			}
			if c.fetch != nil {
				h.setFetch(t, *c.fetch)
				defer h.setFetch(t, def)
			}
			peak := sampleHeap(func() { c.run(t, h, c.name) })
			peaks[c.name] = peak
			if peak > heapLimit {
				t.Errorf("heap reached %d MB during the case, limit %d MB", peak>>20, heapLimit>>20)
			}
			h.checkGood(t)
		})
	}
	var b strings.Builder
	var top uint64
	for _, c := range cases {
		if p, ok := peaks[c.name]; ok {
			fmt.Fprintf(&b, " %s=%dMB", c.name, p>>20)
			top = max(top, p)
		}
	}
	t.Logf("peak HeapInuse per case (limit %d MB, overall %d MB):%s", heapLimit>>20, top>>20, b.String())
}

// goodDoc is the well-behaved source's feed.
func goodDoc() string {
	var its []item
	for i := range 5 {
		its = append(its, item{GUID: fmt.Sprintf("good-%d", i), Link: fmt.Sprintf("https://good.example/%d", i),
			Title: fmt.Sprintf("Good source story number %d is fine", i), Desc: "<p>fine</p>", Published: base.Add(-time.Duration(i+1) * time.Hour)})
	}
	return rss("good", its...)
}

// sampleHeap runs fn while a goroutine samples HeapInuse every 5 ms, and
// returns the highest value seen. The sampler stops even when fn ends the
// test (t.Fatal).
func sampleHeap(fn func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() {
		close(stop)
		<-done
	}()
	fn()
	return peak.Load()
}

// setFetch swaps the fetcher, as a config reload does.
func (h *harness) setFetch(t *testing.T, o fetch.Options) {
	t.Helper()
	set := h.set
	set.Fetcher = fetch.New(o)
	if err := h.s.Apply(t.Context(), set); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// run is one forced pass of name alongside the good source; the good
// source must succeed and nothing may panic.
func (h *harness) run(t *testing.T, name string) scheduler.Result {
	t.Helper()
	res, err := h.s.RunOnce(t.Context(), []string{name, "good"}, true, nil)
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	for _, r := range res {
		if r.Err != nil && strings.Contains(r.Err.Error(), "internal error") {
			t.Fatalf("%s panicked: %v", r.Source, r.Err)
		}
	}
	if g := res[1]; g.Err != nil {
		t.Fatalf("good source failed alongside %s: %v", name, g.Err)
	}
	return res[0]
}

// checkGood asserts the good source's articles are all still there.
func (h *harness) checkGood(t *testing.T) {
	t.Helper()
	if n := len(h.of(t, "good")); n != 5 {
		t.Errorf("good source has %d articles, want 5", n)
	}
}

// of returns the stored articles name carried.
func (h *harness) of(t *testing.T, name string) []feeds.Article {
	t.Helper()
	as, err := h.db.Articles(t.Context(), feeds.Filter{Sources: []string{name}, Limit: 100000})
	if err != nil {
		t.Fatalf("Articles: %v", err)
	}
	return as
}

// fetchFails runs name once and asserts a fetch error of kind whose message
// contains msg, on the result and in the stored state.
func fetchFails(kind, msg string) func(*testing.T, *harness, string) {
	return func(t *testing.T, h *harness, name string) {
		r := h.run(t, name)
		if got := fetch.KindOf(r.Err); r.Err == nil || got != kind || !strings.Contains(r.Err.Error(), msg) {
			t.Fatalf("got %q: %v; want kind %q with %q", got, r.Err, kind, msg)
		}
		h.failed(t, name, msg)
	}
}

// parseFails runs name once and asserts a parse error wrapping one of want
// whose message contains msg.
func parseFails(msg string, want ...error) func(*testing.T, *harness, string) {
	return func(t *testing.T, h *harness, name string) {
		r := h.run(t, name)
		if r.Err == nil || !slices.ContainsFunc(want, func(w error) bool { return errors.Is(r.Err, w) }) ||
			!strings.Contains(r.Err.Error(), msg) || r.Status != http.StatusOK {
			t.Fatalf("got %v (status %d); want a parse error %v with %q", r.Err, r.Status, want, msg)
		}
		h.failed(t, name, msg)
	}
}

// failed asserts the stored state shows the failure.
func (h *harness) failed(t *testing.T, name, msg string) {
	t.Helper()
	st := h.state(name)
	if st.Failures < 1 || !strings.Contains(st.LastError, msg) || !st.NextAttempt.After(h.clock.Now()) {
		t.Errorf("state %+v: want a failure with %q and a backoff", st, msg)
	}
	if n := len(h.of(t, name)); n != 0 {
		t.Errorf("%d articles stored from a failing source", n)
	}
}

// ingests runs name once and asserts it stored n new articles, which it
// returns; every stored text is valid UTF-8.
func ingests(t *testing.T, h *harness, name string, n int) []feeds.Article {
	t.Helper()
	r := h.run(t, name)
	if r.Err != nil || r.New != n {
		t.Fatalf("got %+v; want %d new articles", r, n)
	}
	as := h.of(t, name)
	if len(as) != n {
		t.Fatalf("%d articles stored, want %d", len(as), n)
	}
	for _, a := range as {
		for _, s := range []string{a.Title, a.Summary, a.Content, a.Author, a.Link, a.GUID} {
			if !utf8.ValidString(s) {
				t.Errorf("article %d: invalid UTF-8 %q", a.ID, s[:min(len(s), 80)])
			}
		}
	}
	return as
}

// stored is the one article ingesting name stores, after asserting it.
func stored(t *testing.T, h *harness, name string) feeds.Article {
	t.Helper()
	return ingests(t, h, name, 1)[0]
}

// noneContains asserts no stored article of any source contains s.
func (h *harness) noneContains(t *testing.T, s string) {
	t.Helper()
	err := h.db.EachArticle(t.Context(), func(a feeds.Article) error {
		for _, f := range []string{a.Title, a.Summary, a.Content, a.Author, a.Link, a.GUID} {
			if strings.Contains(f, s) {
				return fmt.Errorf("article %d contains %q", a.ID, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// probes is how many requests the origin saw for /probe/ paths.
func (h *harness) probes() int {
	h.o.mu.Lock()
	defer h.o.mu.Unlock()
	n := 0
	for p, c := range h.o.hits {
		if strings.HasPrefix(p, "/probe/") {
			n += c
		}
	}
	return n
}

func hostileCases(origin string) []hostileCase {
	// long is the fetcher of the cases that stream megabytes: under -race
	// the origin's own writing can take longer than hostileTimeout.
	long := fetch.Options{Timeout: 20 * time.Second, MaxBody: fetch.DefaultMaxBody}
	return []hostileCase{
		{name: "endless", h: endless, fetch: &long, run: fetchFails(fetch.KindTooLarge, "larger than 10 MB")},
		{name: "gzip-bomb", h: gzipBomb, fetch: &long, run: fetchFails(fetch.KindTooLarge, "larger than 10 MB")},
		{name: "slowloris", h: slowloris, run: fetchFails(fetch.KindTimeout, "no complete answer within 500ms")},
		{name: "never-answers", h: neverAnswers, run: fetchFails(fetch.KindTimeout, "no complete answer within 500ms")},
		{name: "loop", h: redirect(http.StatusFound, "/loop2"), run: fetchFails(fetch.KindRedirect, "redirect loop")},
		{name: "chain", h: redirect(http.StatusFound, "/chain/1"), run: func(t *testing.T, h *harness, name string) {
			fetchFails(fetch.KindRedirect, "stopped after 5 redirects")(t, h, name)
			if hops := h.o.hit("/chain") + countHits(h.o, "/chain/", 20); hops > 6 {
				t.Errorf("origin saw %d requests of the chain, want at most 6", hops)
			}
		}},
		{name: "scheme", h: redirect(http.StatusFound, "file:///etc/passwd"), run: func(t *testing.T, h *harness, name string) {
			fetchFails(fetch.KindScheme, "only http and https are followed")(t, h, name)
			h.noneContains(t, "root:")
		}},
		{name: "status-500", h: status(500), run: fetchFails(fetch.KindStatus, "HTTP 500")},
		{name: "status-404", h: status(404), run: fetchFails(fetch.KindStatus, "HTTP 404")},
		{name: "status-410", h: status(410), run: gone},
		{name: "status-429", h: status(429, "Retry-After", "3600"), run: retryAfter(429, time.Hour)},
		{name: "status-503", h: func(w http.ResponseWriter, r *http.Request) {
			status(503, "Retry-After", time.Now().Add(2*time.Hour).UTC().Format(http.TimeFormat))(w, r)
		}, run: retryAfter(503, 2*time.Hour)},
		{name: "html", h: body("text/html; charset=utf-8", []byte("<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>Not a feed</p></body></html>")),
			run: parseFails("an HTML page", parse.ErrNotAFeed)},
		{name: "empty", h: body(rssType, nil), run: parseFails("empty document", parse.ErrNotAFeed)},
		{name: "truncated", h: body(rssType, []byte(rawRSS("truncated", datedItem("truncated", "cut off here", ""))[:300])),
			run: parseFails("malformed feed", parse.ErrMalformed)},
		{name: "random", h: body(rssType, randomBytes()), run: parseFails("feed", parse.ErrNotAFeed, parse.ErrMalformed)},
		{name: "billion-laughs", h: body(rssType, []byte(billionLaughs())), run: func(t *testing.T, h *harness, name string) {
			a := stored(t, h, name)
			if len(a.Title)+len(a.Summary) > 1000 {
				t.Errorf("entities expanded: title %d bytes, summary %d", len(a.Title), len(a.Summary))
			}
			h.noneContains(t, "lollol")
		}},
		{name: "xxe", h: body(rssType, []byte(xxe(origin))), run: func(t *testing.T, h *harness, name string) {
			a := stored(t, h, name)
			t.Logf("stored title %q summary %q", a.Title, a.Summary)
			h.noneContains(t, "root:")
			if n := h.probes(); n != 0 {
				t.Errorf("the origin saw %d requests for external entities", n)
			}
		}},
		{name: "latin1", h: body("application/rss+xml", legacy(charmap.ISO8859_1, `<?xml version="1.0" encoding="ISO-8859-1"?>`,
			"latin1", "Café crème in Zürich", "<p>Façade naïve señor</p>")), run: encoded("Café crème in Zürich", "Façade naïve señor")},
		{name: "cp1251", h: body("application/rss+xml; charset=windows-1251", legacy(charmap.Windows1251, "",
			"cp1251", "Новости дня: Привет мир", "<p>Съешь же ещё этих мягких булок</p>")), run: encoded("Новости дня: Привет мир", "Съешь же ещё этих мягких булок")},
		{name: "bad-utf8", h: body(rssType, []byte(rawRSS("bad-utf8", datedItem("bad-utf8", "Broken \xff\xfe bytes in title", "")))),
			run: func(t *testing.T, h *harness, name string) {
				if a := stored(t, h, name); !strings.HasPrefix(a.Title, "Broken ") || !strings.HasSuffix(a.Title, " bytes in title") {
					t.Errorf("title %q lost its good words", a.Title)
				}
			}},
		{name: "many-items", heavy: true, fetch: &long,
			h: items("many-items", 50000, func(w io.Writer, i int) {
				fmt.Fprintf(w, "<item><guid>m%d</guid><link>https://many-items.example/%d</link><title>Many items number %d of fifty thousand</title><pubDate>%s</pubDate></item>\n",
					i, i, i, base.Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z))
			}), run: func(t *testing.T, h *harness, name string) {
				as := ingests(t, h, name, parse.MaxItems)
				if as[0].Title != "Many items number 0 of fifty thousand" {
					t.Errorf("newest stored %q, want the feed's first item", as[0].Title)
				}
			}},
		{name: "huge-title", heavy: true, fetch: &long,
			h: items("huge-title", 1, func(w io.Writer, _ int) {
				io.WriteString(w, "<item><guid>h1</guid><link>https://huge-title.example/1</link><title>")
				for range 5 << 20 / 8 {
					io.WriteString(w, "longer  ")
				}
				io.WriteString(w, "</title></item>")
			}), run: func(t *testing.T, h *harness, name string) {
				if a := stored(t, h, name); utf8.RuneCountInString(a.Title) > normalize.MaxTitleRunes || !strings.HasPrefix(a.Title, "longer longer") {
					t.Errorf("title of %d runes (%.20q), want at most %d", utf8.RuneCountInString(a.Title), a.Title, normalize.MaxTitleRunes)
				}
			}},
		{name: "huge-content", heavy: true, h: items("huge-content", 1, func(w io.Writer, _ int) {
			io.WriteString(w, "<item><guid>c1</guid><link>https://huge-content.example/1</link><title>An article with twenty megabytes of content</title><content:encoded>")
			p := "&lt;p&gt;" + strings.Repeat("word ", 200) + "&lt;/p&gt;\n"
			for range 20 << 20 / len(p) {
				io.WriteString(w, p)
			}
			io.WriteString(w, "</content:encoded></item>")
		}), run: hugeContent},
		{name: "categories", h: items("categories", 1, func(w io.Writer, _ int) {
			io.WriteString(w, "<item><guid>k1</guid><link>https://categories.example/1</link><title>One item with ten thousand categories</title>")
			for i := range 10000 {
				fmt.Fprintf(w, "<category>topic %d</category>", i)
			}
			io.WriteString(w, "</item>")
		}), run: func(t *testing.T, h *harness, name string) {
			if a := stored(t, h, name); len(a.Tags) > tag.MaxTags || len(a.Tags) == 0 {
				t.Errorf("%d tags stored, want 1..%d", len(a.Tags), tag.MaxTags)
			}
		}},
		{name: "category-flood", fetch: &long, h: items("category-flood", 1, func(w io.Writer, _ int) {
			io.WriteString(w, "<item><guid>f1</guid><link>https://category-flood.example/1</link><title>One item with a flood of categories</title>")
			for i := range 150000 {
				fmt.Fprintf(w, "<category>c%d</category>", i)
			}
			io.WriteString(w, "</item>")
		}), run: func(t *testing.T, h *harness, name string) {
			began := time.Now()
			if a := stored(t, h, name); len(a.Tags) > tag.MaxTags || len(a.Tags) == 0 {
				t.Errorf("%d tags stored, want 1..%d", len(a.Tags), tag.MaxTags)
			}
			// Quadratic category handling took 34 s here; linear takes < 1 s.
			if d := time.Since(began); d > 15*time.Second && !raceEnabled {
				t.Errorf("took %v: category handling must be linear", d)
			}
		}},
		{name: "element-flood", fetch: &long, h: items("element-flood", 1, func(w io.Writer, _ int) {
			io.WriteString(w, `<item><guid>e1</guid><title>Ten megabytes of extension elements</title>`)
			for range (10<<20 - 1000) / 12 {
				io.WriteString(w, `<x:e a="1"/>`)
			}
			io.WriteString(w, "</item>")
		}), run: parseFails("elements and attributes", parse.ErrMalformed)},
		{name: "dates", h: body(rssType, []byte(rawRSS("dates",
			datedItem("dates", "No date at all here", ""),
			datedItem("dates", "Published in the year 2999", "Tue, 01 Jan 2999 00:00:00 +0000"),
			datedItem("dates", "Published before the epoch", "Wed, 31 Dec 1969 23:00:00 +0000"),
			datedItem("dates", "Published at some unparseable time", "yesterday-ish, around teatime"),
			datedItem("dates", "Published at a sane time", base.Add(-3*time.Hour).Format(time.RFC1123Z)),
		))), run: dates},
		{name: "shared-guid", h: items("shared-guid", 4, func(w io.Writer, i int) {
			fmt.Fprintf(w, "<item><guid>same</guid><link>https://shared-guid.example/%d</link><title>Distinct story %d behind a shared guid</title></item>", i, i)
		}), run: func(t *testing.T, h *harness, name string) { again(t, h, name, 4) }},
		{name: "no-ids", h: body(rssType, []byte(rawRSS("no-ids",
			"<item><title>First untethered story without ids</title><pubDate>"+base.Add(-time.Hour).Format(time.RFC1123Z)+"</pubDate></item>",
			"<item><title>Second untethered story without ids</title><pubDate>"+base.Add(-2*time.Hour).Format(time.RFC1123Z)+"</pubDate></item>",
			"<item><description>Only a description identifies this third one</description></item>",
		))), run: func(t *testing.T, h *harness, name string) { again(t, h, name, 3) }},
		{name: "flapping", h: flapping(), run: flap},
		{name: "etag-churn", h: etagChurn(), run: func(t *testing.T, h *harness, name string) { again(t, h, name, 3) }},
		{name: "references", h: body(rssType, []byte(references(origin))), run: func(t *testing.T, h *harness, name string) {
			for pass := 1; pass <= 2; pass++ {
				if r := h.run(t, name); r.Err != nil {
					t.Fatal(r.Err)
				}
				if n := h.o.hit("/" + name); n != pass {
					t.Errorf("pass %d: %d requests for the feed, want %d", pass, n, pass)
				}
			}
			if n := h.probes(); n != 0 {
				t.Errorf("feed content made feedloom send %d requests", n)
			}
		}},
	}
}

// countHits sums the origin's hits on prefix+1 .. prefix+n.
func countHits(o *origin, prefix string, n int) int {
	sum := 0
	for i := 1; i <= n; i++ {
		sum += o.hit(fmt.Sprintf("%s%d", prefix, i))
	}
	return sum
}

package normalize_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
)

// differentialHTML is markup where the old and the current pipeline could
// part ways: implied ends, depth, caps, URLs of every kind, attributes that
// are dropped, escaped or repeated, plain text with newlines and quotes.
var differentialHTML = []string{
	"", " ", "\r\n", "plain text", "a \"quoted\" 'text' > with\r\nCRLF\rand CR\n",
	"x & y", "&amp;&lt;&#39;&#13;&#0;&#x80;&ampx &notit; &", "a\x00b\x01c\u0085d\u202Ee\uFEFF",
	"\xff\xfe<p>\xed\xa0\x80</p>", "<p>a<li>b<td>c", "<table><tr><td>x</table>", "<ul><li>a<li>b</ul>",
	"<p>a<p>b<hr>c<h2>d</h2><pre>e<blockquote>f", "<dl><dt>a<dd>b<dt>c</dl>",
	"<table><thead><tr><th>a<tbody><tr><td>b<td>c<tr><td>d<tfoot><tr><td>e</table>",
	"<table><caption>c<p>x</caption><tr><td><p>y<li>z</td></tr></table>",
	`<a href="/x" rel="opener" title="t" href="/y">a</a><a rel=x>b</a><a href="javascript:x">c</a>`,
	`<a href="  https://Example.COM/a b?q=1&amp;r=&quot;2&quot;#f  ">x</a>`,
	`<a href="mailto:a@example.com">m</a><img src="mailto:a@example.com"><img src="x.png" alt="a&quot;b">`,
	`<img src="data:image/png;base64,iVBORw0KGgo=" width="1" height="99999"><img src="data:image/svg+xml;base64,PHN2Zz4=">`,
	`<img src="//cdn.example.net/a.png" title="'t'"/><img alt="no src"><br><br/><hr></br></hr></img>`,
	`<p dir="rtl" lang="ar-EG" title="x">t</p><time datetime="2025-01-01T00:00Z">t</time><ol start="-3"><li value="2">x</ol>`,
	`<th scope="row" colspan="2">h</th><td rowspan="999">d</td><abbr title="a<b>c">x</abbr>`,
	"<b><i>x</b></i></em></p>", "</p></li></table>text", "<P><B>UPPER</B></P><A HREF=/U>u</A>",
	`<script>alert(1)</script><style>p{}</style><svg><a href="/x">s</a></svg><math>m</math>`,
	`<textarea><p>t</p></textarea><title><b>x</b></title><xmp><i>y</i></xmp><noscript><p>n</p></noscript>`,
	`<!-- c --><!DOCTYPE html><?pi x?><![CDATA[<b>x</b>]]>`, "<p>\r\nline\rline\r\n</p>",
	`<p title="a` + "\r\n" + `b" lang="en">x</p>`, "<a href=\"https://e.com/\r\nx\">y</a>",
	`<img src="https://example.com/a.png" onerror="x" style="y" srcset="z 1x">`,
	strings.Repeat("<b>", 100) + "x" + strings.Repeat("</b>", 100),
	strings.Repeat("<ul><li>", 70) + "deep", strings.Repeat("<em>", 60) + strings.Repeat("<p>x", 20),
	strings.Repeat("<", 1000), strings.Repeat("&", 1000) + "<p>",
}

// differentialBases are bases the fields above are resolved against.
var differentialBases = []string{"https://example.com/news/post.html?x=1#f", "", "http://EXAMPLE.org", "/relative", "ftp://x/", "https://bücher.de/a/"}

// bases is differentialBases, or its first two (an absolute base and none)
// under -short and the race detector.
func bases() []string {
	if testing.Short() || raceEnabled {
		return differentialBases[:2]
	}
	return differentialBases
}

// corpusOrNil is every corpus item, or nil when ../shared is absent.
func corpusOrNil(t *testing.T) []feeds.Item {
	if _, err := findShared(); err != nil {
		return nil
	}
	return allCorpusItems(t)
}

// TestHTMLMatchesOracle compares HTML with the pipeline as it was before
// the fast paths (oracle_test.go): ordinary output must stay byte for byte.
func TestHTMLMatchesOracle(t *testing.T) {
	n := normalize.New()
	check := func(raw, base string) {
		t.Helper()
		if got, want := n.HTML(raw, base), oracleHTML(n, raw, base); got != want {
			t.Errorf("HTML(%.200q, %q)\n got %.300q\nwant %.300q", raw, base, got, want)
		}
	}
	for _, raw := range differentialHTML {
		for _, base := range bases() {
			check(raw, base)
		}
	}
	items := append(benchNews(1, 300), benchNews(2, 300)...)
	items = append(items, benchItem())
	items = append(items, corpusOrNil(t)...)
	for _, it := range items {
		check(it.Summary, it.Link)
		check(it.Content, it.Link)
		check(it.Content, "")
	}
	t.Run("caps", func(t *testing.T) {
		// Cut on the cap: plain text whose escaped form is too long, and
		// markup that is.
		for _, raw := range []string{
			strings.Repeat("\"quote\" ", normalize.MaxHTMLBytes/6),
			strings.Repeat("é\r\n", normalize.MaxHTMLBytes/2),
			strings.Repeat("<p><a href=\"/x\">a</a> &amp; b</p>", normalize.MaxHTMLBytes/24),
		} {
			check(raw, "https://example.com/")
		}
	})
}

// TestArticleMatchesOracle compares whole articles' sanitised fields and
// hashes with the old pipeline's.
func TestArticleMatchesOracle(t *testing.T) {
	n := normalize.New()
	items := append(benchNews(3, 200), corpusOrNil(t)...)
	for _, it := range items {
		a := n.Article(it, now)
		link := normalize.Link(it.Link)
		if want := oracleHTML(n, it.Summary, link); a.Summary != want {
			t.Errorf("Summary of %q\n got %.300q\nwant %.300q", it.Link, a.Summary, want)
		}
		if want := oracleHTML(n, it.Content, link); a.Content != want {
			t.Errorf("Content of %q\n got %.300q\nwant %.300q", it.Link, a.Content, want)
		}
		if got, want := a.ContentHash, normalize.OracleContentHash(a); got != want {
			t.Errorf("ContentHash of %q = %s, want %s", it.Link, got, want)
		}
	}
}

func TestCleanTextMatchesOracle(t *testing.T) {
	for _, s := range []string{"", "ascii only", "tab\tnl\ncr\r", "\x00", "\x1f", "\x7f", "a\u0080b\u009f",
		"\uFEFF", "\uFFFD", "\uFFFE\uFFFF", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "é\xc3", "\u202Ax\u202E\u2066\u2069",
		"日本語のテキスト", "emoji 😀", strings.Repeat("long ascii ", 100) + "\x01"} {
		for _, plain := range []bool{false, true} {
			if got, want := normalize.CleanText(s, plain), normalize.OracleCleanText(s, plain); got != want {
				t.Errorf("cleanText(%q, %v) = %q, want %q", s, plain, got, want)
			}
		}
	}
}

// FuzzHTMLOracle fuzzes HTML against the old pipeline.
func FuzzHTMLOracle(f *testing.F) {
	for _, s := range differentialHTML {
		f.Add(s, "https://example.com/a/")
	}
	for _, it := range benchNews(4, 8) {
		f.Add(it.Content, it.Link)
	}
	for _, s := range corpusStrings(func(it feeds.Item) string { return it.Summary + it.Content }) {
		f.Add(s, "https://example.com/")
	}
	n := normalize.New()
	f.Fuzz(func(t *testing.T, raw, base string) {
		if got, want := n.HTML(raw, base), oracleHTML(n, raw, base); got != want {
			t.Fatalf("HTML(%q, %q)\n got %q\nwant %q", raw, base, got, want)
		}
	})
}

// FuzzCleanTextOracle fuzzes cleanText against the old one.
func FuzzCleanTextOracle(f *testing.F) {
	for _, s := range []string{"a\x00b", "\xed\xa0\x80", "\u202Ex", "é\xc3", "\u0085\uFEFF"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, plain bool) {
		if got, want := normalize.CleanText(s, plain), normalize.OracleCleanText(s, plain); got != want {
			t.Fatalf("cleanText(%q, %v) = %q, want %q", s, plain, got, want)
		}
	})
}

// oracleHTML is the old pipeline's output with the one deliberate change
// since: characters XML forbids that entities decoded to are removed.
func oracleHTML(n *normalize.Normalizer, raw, base string) string {
	return strings.TrimSpace(normalize.CleanText(normalize.OracleHTML(n, raw, base), false))
}

// directHostile is markup that must not slip through the direct path
// (direct.go) in any way the sanitiser would not let it: script URLs in
// every disguise, elements whose content the sanitiser drops, comments and
// raw text, attributes without values or repeated, upper case, NUL and
// invalid UTF-8, entities in attributes, anchors the sanitiser removes
// with their end tags, unclosed and misnested tags.
var directHostile = []string{
	`<a href="javascript:alert(1)">x</a>`, `<a href="JaVaScRiPt:alert(1)">x</a>`,
	`<a href="jav&#x09;ascript:alert(1)">x</a>`, `<a href="jav&#9;ascript:alert(1)">x</a>`,
	`<a href="&#106;avascript:alert(1)">x</a>`, `<a href="javascript&colon;alert(1)">x</a>`,
	`<a href=" javascript:alert(1)">x</a>`, "<a href=\"java\nscript:alert(1)\">x</a>",
	"<a href=\"\x01javascript:alert(1)\">x</a>", `<a href="&#x0D;https://e.com">x</a>`,
	`<a href="&nbsp;https://e.com/&nbsp;">x</a>`, `<a href="vbscript:x">x</a>`, `<a href="data:text/html,<script>">x</a>`,
	`<a href="  https://example.com/  ">x</a>`, `<a href="https://example.com/a b">x</a>`,
	`<a href="https://exa mple.com/">x</a>`, `<a href="//example.com/x">x</a>`, `<a href="/x?a=1&b=<2>#f">x</a>`,
	`<a href="%zz">x</a>`, `<a href="http://[::1">x</a>`, `<a href="http:x">x</a>`, `<a href="https://e.com/%">x</a>`,
	`<a href="mailto:a@b.c">x</a>`, `<a href="MAILTO:a@b.c">x</a>`, `<a href="data:image/png;base64,AAAA">x</a>`,
	`<a href="http://example.com/é">x</a>`, `<a href="https://bücher.de/">x</a>`, `<a href="/x?a=1&amp;b=2&copy=3">x</a>`,
	`<img src="data:image/png;base64,AA AA">`, `<img src="data:image/png;base64,AA&#10;AA">`,
	"<img src=\"data:image/png;base64,AA\r\nAA\">", `<img src="data:image/png;base64,AAAA?x">`,
	`<img src="data:image/png;base64,AAAA#x">`, `<img src="data:text/html;base64,PHNjcmlwdD4=">`,
	`<img src="data:image/svg+xml;base64,PHN2Zz4=">`, `<img src="https://example.com/&#0;.png">`,
	`<img src=x onerror=alert(1)>`, `<img src="javascript:alert(1)">`, `<img src>`, `<img>`, `<img alt="a">`,
	`<img src="" alt="a">`, `<img src="javascript:x" src="/ok.png">`, `<img alt=a src="/ok.png" src="javascript:x">`,
	`<a>no href</a>`, `<a href>empty</a>`, `<a href="">empty</a>`, `<a name="x">anchor</a> after`,
	`<a href="/x">outer <a>inner</a> tail</a> after`, `<a href="/x">o <a name=y>i<img>z</a> t</a> after`,
	`<a><img></a></img></a>`, `<a/>text</a>`, `<img/></img>`, `<a href="/x"><a>y</img></a>z</a>`,
	`<svg><a href="/x">s</a></svg>`, `<svg/onload=alert(1)>`, `<math><mi>x</mi></math>`,
	`<!-- <a href="/x">c</a> -->after`, `<!--unterminated <a href="/x">x</a>`, `<![CDATA[<b>x</b>]]>after`,
	`<!DOCTYPE html><p>x`, `<?php echo 1 ?><p>x`, `<!--><p>x`, `<!---><p>x`,
	`</p x>`, `</p title="<b>">`, `<p title>x</p>`, `<p title=x title=y>x</p>`, `<p dir=rtl dir=ltr>x</p>`,
	`<P DIR="RTL" LANG="EN">x</P>`, `<A HREF="/U">u</A>`, `<IMG SRC="/a.png" WIDTH=10>`,
	"a\x00b<p>\x00</p>", "\xff<p>\xfe</p>", `<p title="&amp;&lt;&#34;&#x27;&bogus;&amp">x</p>`,
	`<p title="&#1;&#0;">x&#1;</p>`, `<p>a<p>b<li>c`, `<b><i>x</b>y</i>`, `<p/>x<br>y<br/>z</br>`, `<br></br><hr/></hr>`,
	`<plaintext><p>x</p>`, `<textarea><p>x</p></textarea>y`, `<title><b>x</b></title>y`,
	`<noscript><p>x</p></noscript>y`, `<xmp><b>x</b></xmp>y`, `<template><p>x</p></template>y`,
	`<script>alert(1)</script>y`, `<script/>y</script>z`, `<style>p{}</style>y`, `</title>x<title>y`, `</script>x`,
	`<iframe src="/x"></iframe>y`, `<object data=x></object>y`, `<noembed><p>x</noembed>`, `<frameset><p>x`,
	`<div class="x" style="y" id="z"><span data-x="1">t</span></div>`, `<p class=x style="color:red" onclick="x()">t</p>`,
	`<a href="/x" target="_blank" rel="opener" class="c" id="i" data-x="1">t</a>`,
	`<img src="/a.png" srcset="/b.png 2x" loading="lazy" class="c" width="10" height="abc">`,
	`<td colspan=2 rowspan=1000 class=x>t</td>`, `<th scope=ROW>t</th>`, `<ol start="-1" reversed><li value="x">a</ol>`,
	`<time datetime="2025-01-01T00:00:00Z">t</time><del datetime="bad!">d</del>`,
	"<p lang=\"en-US\" dir=\"auto\">t</p><p lang=\"toolonglang\">x</p><p lang=\"en\n\">y</p>",
	`<custom-el>t</custom-el><o:p>x</o:p><xhtml:img src=x>`, `<scrİpt>x</scrİpt>`,
	`<a href="/x"`, `<p title="unterminated`, `a <b`, `a < b > c`, `a </ b>`, `</>`, `<a href='/x'>single</a>`,
	`<a href=/x>unquoted</a>`, `<a href = "/x" >spaced</a>`, "<p\ntitle=\"x\">t</p>", `<p/title="x">t</p>`,
	`<p title="x"/>t`, `<img src="/a.png"/>`, `<img src="/a.png"//>`, `<img src=/a.png/>`, `<p a=/>x`,
	strings.Repeat(`<a>`, 70) + "x" + strings.Repeat(`</a>`, 70),
	strings.Repeat(`<a href="/x">`, 70) + "x" + strings.Repeat(`</a>`, 70),
	strings.Repeat("<em>", 64) + `<a>x</a>y</a>`, strings.Repeat(`<div>`, 100) + "x",
}

// directFields are HTML fields to compare the direct path on: the tables
// above, generated news, and (when ../shared is present)
// every summary and content of the corpus holding markup or entities.
func directFields(tb testing.TB) []string {
	fields := append(append([]string(nil), differentialHTML...), directHostile...)
	for _, it := range benchNews(5, 100) {
		fields = append(fields, it.Summary, it.Content)
	}
	if _, err := findShared(); err == nil {
		for _, it := range allCorpusItems(tb) {
			for _, s := range []string{it.Summary, it.Content} {
				if strings.ContainsAny(s, "<&") {
					fields = append(fields, s)
				}
			}
		}
	}
	return fields
}

// TestHTMLDirectMatchesSanitiser holds the direct path to the output of the
// sanitiser and finish.
func TestHTMLDirectMatchesSanitiser(t *testing.T) {
	n := normalize.New()
	for _, raw := range directFields(t) {
		for _, base := range bases() {
			if got, want := n.HTML(raw, base), normalize.SanitisedHTML(n, raw, base); got != want {
				t.Errorf("HTML(%.200q, %q)\n got %.300q\nwant %.300q", raw, base, got, want)
			}
		}
	}
}

// FuzzHTMLDirect fuzzes HTML, direct path and all, against the sanitiser
// and finish.
func FuzzHTMLDirect(f *testing.F) {
	for _, s := range directFields(f) {
		f.Add(s, "https://example.com/a/")
	}
	n := normalize.New()
	f.Fuzz(func(t *testing.T, raw, base string) {
		if got, want := n.HTML(raw, base), normalize.SanitisedHTML(n, raw, base); got != want {
			t.Fatalf("HTML(%q, %q)\n got %q\nwant %q", raw, base, got, want)
		}
	})
}

// TestDirectHitRate logs the share of HTML fields (those with markup or
// entities) the direct path takes, and requires it to take all of the
// ingest benchmark's.
func TestDirectHitRate(t *testing.T) {
	rate := func(fields []string) (hit, all int) {
		for _, s := range fields {
			if strings.ContainsAny(s, "<&") {
				all++
				if normalize.TakesDirect(s, "https://example.com/a/") {
					hit++
				}
			}
		}
		return hit, all
	}
	n := 1000
	if raceEnabled {
		n = 200
	}
	// Generated news (cmd/feedloom-bench's shapes and more: relative
	// images, tables, one hostile snippet in five) must all go direct.
	var news []string
	for _, it := range benchNews(8, n) {
		news = append(news, it.Summary, it.Content)
	}
	hit, all := rate(news)
	t.Logf("generated news: %d of %d HTML fields direct", hit, all)
	if hit != all {
		t.Errorf("only %d of %d generated news fields take the direct path", hit, all)
	}
	if _, err := findShared(); err == nil {
		var fields []string
		for _, it := range allCorpusItems(t) {
			fields = append(fields, it.Summary, it.Content)
		}
		hit, all = rate(fields)
		t.Logf("shared corpus: %d of %d HTML fields direct (%.1f%%)", hit, all, 100*float64(hit)/float64(all))
	}
}

// Pieces of randomMarkup: the tags, attributes and values the direct path
// treats apart, so that the fuzzers meet their combinations (content skipped
// inside anchors removed inside script …) far sooner than by mutating bytes.
var (
	markupTags = []string{"a", "a", "a", "img", "img", "p", "b", "li", "ul", "td", "table", "br", "hr", "abbr",
		"time", "ol", "th", "div", "span", "svg", "math", "iframe", "object", "title", "textarea", "script",
		"style", "noscript", "template", "xmp", "plaintext", "select", "option", "noembed", "frameset", "head", "x-y"}
	markupAttrs = []string{"href", "href", "src", "src", "title", "alt", "width", "height", "dir", "lang",
		"class", "style", "rel", "target", "datetime", "colspan", "scope", "start", "value", "onclick", "HREF", "data-x"}
	markupValues = []string{"", "/x", "x", "https://e.com/a?b=1&amp;c=2#d", " //cdn.e.com/i.png ", "javascript:alert(1)",
		"jav&#9;ascript:x", "mailto:a@b.c", "data:image/png;base64,AA==", "data:image/png;base64,A A", "data:text/html,x",
		"http://[::1", "%zz", "a b", "10", "99999", "100000", "rtl", "en-GB", "row", "-3", "2025-01-01T00:00Z",
		"&#1;", "&lt;script&gt;", `"`, "'", "é", "&nbsp;https://e.com/&nbsp;"}
	markupText = []string{"t", " ", "\n", "&amp;", "&#0;", "&#1;", "a < b", "</", "<!-- c -->", "<!--", "<!DOCTYPE x>",
		"<?pi?>", "<![CDATA[x]]>", "&lt;b&gt;", "é", "</>", "</ x>", "&", "&#x80;"}
)

// randomMarkup builds a document of up to n tokens from the pieces above,
// the same for the same seed.
func randomMarkup(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed>>32|1))
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	var b strings.Builder
	for range n {
		switch r.IntN(10) {
		case 0, 1, 2:
			b.WriteString(pick(markupText))
		case 3, 4, 5:
			tag := pick(markupTags)
			if r.IntN(4) == 0 {
				tag = strings.ToUpper(tag)
			}
			b.WriteString("<" + tag)
			for k := r.IntN(4); k > 0; k-- {
				switch r.IntN(4) {
				case 0:
					b.WriteString(" " + pick(markupAttrs))
				case 1:
					b.WriteString(" " + pick(markupAttrs) + "=" + strings.ReplaceAll(pick(markupValues), " ", ""))
				default:
					b.WriteString(" " + pick(markupAttrs) + `="` + strings.ReplaceAll(pick(markupValues), `"`, "&quot;") + `"`)
				}
			}
			if r.IntN(5) == 0 {
				b.WriteString("/")
			}
			b.WriteString(">")
		default:
			b.WriteString("</" + pick(markupTags) + ">")
		}
	}
	return b.String()
}

// TestHTMLDirectRandomMarkup holds the direct path to the sanitiser and
// finish on generated markup.
func TestHTMLDirectRandomMarkup(t *testing.T) {
	n := normalize.New()
	count := 20000
	if testing.Short() {
		count = 2000
	}
	for seed := range uint64(count) {
		raw := randomMarkup(seed, 1+int(seed%60))
		base := differentialBases[seed%uint64(len(differentialBases))]
		if got, want := n.HTML(raw, base), normalize.SanitisedHTML(n, raw, base); got != want {
			t.Fatalf("seed %d: HTML(%q, %q)\n got %q\nwant %q", seed, raw, base, got, want)
		}
	}
}

// FuzzHTMLDirectMarkup is FuzzHTMLDirect on generated markup: the fuzzer
// explores the generator's seeds and lengths.
func FuzzHTMLDirectMarkup(f *testing.F) {
	f.Add(uint64(1), uint8(20))
	f.Add(uint64(2), uint8(200))
	n := normalize.New()
	f.Fuzz(func(t *testing.T, seed uint64, size uint8) {
		raw := randomMarkup(seed, int(size))
		if got, want := n.HTML(raw, "https://example.com/a/"), normalize.SanitisedHTML(n, raw, "https://example.com/a/"); got != want {
			t.Fatalf("HTML(%q)\n got %q\nwant %q", raw, got, want)
		}
	})
}

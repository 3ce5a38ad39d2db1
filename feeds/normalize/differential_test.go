package normalize_test

import (
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
		for _, base := range differentialBases {
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

package normalize_test

import (
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/normalize/internal/samples"
)

// The differential tests hold HTML, fast path and all, to one reference:
// SanitisedHTML, bluemonday under the policy followed by fastsan.Finish
// for every input (no fast path, not even for plain text).

// bases is samples.Bases, or its first two (an absolute base and none)
// under -short and the race detector.
func bases() []string {
	if testing.Short() || raceEnabled {
		return samples.Bases[:2]
	}
	return samples.Bases
}

// corpusOrNil is every corpus item, or nil when ../shared is absent.
func corpusOrNil(t *testing.T) []feeds.Item {
	if _, err := samples.FindShared(); err != nil {
		return nil
	}
	return samples.Corpus(t)
}

// checkHTML fails t when HTML(raw, base) is not the reference's output.
func checkHTML(t *testing.T, n *normalize.Normalizer, raw, base string) {
	t.Helper()
	if got, want := n.HTML(raw, base), normalize.SanitisedHTML(n, raw, base); got != want {
		t.Errorf("HTML(%.200q, %q)\n got %.300q\nwant %.300q", raw, base, got, want)
	}
}

// TestHTMLMatchesSanitiser holds HTML to the reference on the tables of
// samples, generated news and the corpus, each item's fields against its
// own link and none, and on the output cap.
func TestHTMLMatchesSanitiser(t *testing.T) {
	n := normalize.New()
	t.Run("fields", func(t *testing.T) {
		for _, raw := range samples.Fields(t) {
			for _, base := range bases() {
				checkHTML(t, n, raw, base)
			}
		}
	})
	t.Run("items", func(t *testing.T) {
		items := append(samples.News(1, 300), samples.News(2, 300)...)
		items = append(items, benchItem())
		items = append(items, corpusOrNil(t)...)
		for _, it := range items {
			checkHTML(t, n, it.Summary, it.Link)
			checkHTML(t, n, it.Content, it.Link)
			checkHTML(t, n, it.Content, "")
		}
	})
	t.Run("caps", func(t *testing.T) {
		// Cut on the cap: plain text whose escaped form is too long, and
		// markup that is.
		for _, raw := range []string{
			strings.Repeat("\"quote\" ", normalize.MaxHTMLBytes/6),
			strings.Repeat("é\r\n", normalize.MaxHTMLBytes/2),
			strings.Repeat("<p><a href=\"/x\">a</a> &amp; b</p>", normalize.MaxHTMLBytes/24),
		} {
			checkHTML(t, n, raw, "https://example.com/")
		}
	})
}

// TestArticleMatchesSanitiser compares whole articles' sanitised fields
// with the reference's, and their hashes with the plain ContentHash's.
func TestArticleMatchesSanitiser(t *testing.T) {
	n := normalize.New()
	items := append(samples.News(3, 200), corpusOrNil(t)...)
	for _, it := range items {
		a := n.Article(it, now)
		link := normalize.Link(it.Link)
		if want := normalize.SanitisedHTML(n, it.Summary, link); a.Summary != want {
			t.Errorf("Summary of %q\n got %.300q\nwant %.300q", it.Link, a.Summary, want)
		}
		if want := normalize.SanitisedHTML(n, it.Content, link); a.Content != want {
			t.Errorf("Content of %q\n got %.300q\nwant %.300q", it.Link, a.Content, want)
		}
		if got, want := a.ContentHash, normalize.OracleContentHash(a); got != want {
			t.Errorf("ContentHash of %q = %s, want %s", it.Link, got, want)
		}
	}
}

// FuzzHTMLDirect fuzzes HTML, fast path and all, against the reference.
func FuzzHTMLDirect(f *testing.F) {
	for _, s := range samples.Fields(f) {
		f.Add(s, "https://example.com/a/")
	}
	for _, it := range samples.News(4, 8) {
		f.Add(it.Content, it.Link)
	}
	for _, s := range corpusStrings(func(it feeds.Item) string { return it.Summary + it.Content }) {
		f.Add(s, "https://example.com/")
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
	for _, it := range samples.News(8, n) {
		news = append(news, it.Summary, it.Content)
	}
	hit, all := rate(news)
	t.Logf("generated news: %d of %d HTML fields direct", hit, all)
	if hit != all {
		t.Errorf("only %d of %d generated news fields take the direct path", hit, all)
	}
	if _, err := samples.FindShared(); err == nil {
		var fields []string
		for _, it := range samples.Corpus(t) {
			fields = append(fields, it.Summary, it.Content)
		}
		hit, all = rate(fields)
		t.Logf("shared corpus: %d of %d HTML fields direct (%.1f%%)", hit, all, 100*float64(hit)/float64(all))
	}
}

// TestHTMLDirectRandomMarkup holds HTML to the reference on generated
// markup.
func TestHTMLDirectRandomMarkup(t *testing.T) {
	n := normalize.New()
	count := 20000
	if testing.Short() {
		count = 2000
	}
	for seed := range uint64(count) {
		raw := samples.Markup(seed, 1+int(seed%60))
		base := samples.Bases[seed%uint64(len(samples.Bases))]
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
		raw := samples.Markup(seed, int(size))
		if got, want := n.HTML(raw, "https://example.com/a/"), normalize.SanitisedHTML(n, raw, "https://example.com/a/"); got != want {
			t.Fatalf("HTML(%q)\n got %q\nwant %q", raw, got, want)
		}
	})
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

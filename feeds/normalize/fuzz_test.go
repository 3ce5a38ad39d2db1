package normalize_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
)

// corpusStrings returns one field of a few corpus items to seed fuzzers
// with, or nothing when ../shared is absent.
func corpusStrings(field func(feeds.Item) string) []string {
	var out []string
	for _, it := range seedItems() {
		if s := field(it); s != "" && len(out) < 40 {
			out = append(out, s)
		}
	}
	return out
}

func FuzzLink(f *testing.F) {
	for _, s := range []string{"https://Example.com:443/a/./b/../c?utm_source=x&a=1#frag",
		"javascript:alert(1)", "http://[::1]:80/", "https://bücher.de/", "//x", "http://a%zz/"} {
		f.Add(s)
	}
	for _, s := range corpusStrings(func(it feeds.Item) string { return it.Link }) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := normalize.Link(raw)
		if got == "" {
			return
		}
		if !utf8.ValidString(got) || !(strings.HasPrefix(got, "http://") || strings.HasPrefix(got, "https://")) {
			t.Fatalf("Link(%q) = %q", raw, got)
		}
		if again := normalize.Link(got); again != got {
			t.Fatalf("not idempotent: Link(%q) = %q, Link of that = %q", raw, got, again)
		}
		_ = normalize.ResolveLink(raw, "https://example.com/a/b")
	})
}

func FuzzTitle(f *testing.F) {
	for _, s := range []string{"<b>a</b> &amp;amp; b", "\u202Ex\x00", "a\xffb", "<script>x"} {
		f.Add(s)
	}
	for _, s := range corpusStrings(func(it feeds.Item) string { return it.Title }) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := normalize.Title(raw)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > normalize.MaxTitleRunes {
			t.Fatalf("Title(%q) = %q", raw, got)
		}
		if strings.ContainsAny(got, "\x00\u202E\u2066\n\t") || got != strings.TrimSpace(got) {
			t.Fatalf("Title(%q) = %q keeps controls or spaces", raw, got)
		}
		k := normalize.TitleKey(got)
		if !utf8.ValidString(k) || normalize.TitleKey(k) != k {
			t.Fatalf("TitleKey(%q) = %q is not stable", got, k)
		}
	})
}

func FuzzHTML(f *testing.F) {
	for _, s := range []string{`<a href="jAvAsCrIpT&#58;x">a</a>`, `<img src=x onerror=alert(1)>`,
		`<svg onload=x>`, `<p>a<li>b<td>c`, `<table><tr><td>x</table>`} {
		f.Add(s, "https://example.com/a/")
	}
	for _, s := range corpusStrings(func(it feeds.Item) string { return it.Summary + it.Content }) {
		f.Add(s, "https://example.com/")
	}
	n := normalize.New()
	f.Fuzz(func(t *testing.T, raw, base string) {
		got := n.HTML(raw, base)
		if why := unsafeHTML(got); why != "" {
			t.Fatalf("HTML(%q, %q) = %q: %s", raw, base, got, why)
		}
		if len(got) > normalize.MaxHTMLBytes {
			t.Fatalf("HTML output %d bytes", len(got))
		}
		// Sanitising is a fixed point: sanitised output comes back the same.
		if again := n.HTML(got, base); again != got {
			t.Fatalf("not stable:\n in %q\n 1st %q\n 2nd %q", raw, got, again)
		}
	})
}

func FuzzArticle(f *testing.F) {
	f.Add("g", "https://example.com/a?utm_source=x", "Title &amp; <b>x</b>", "<p>s</p>", "<p>c</p>", "Au", int64(1700000000), int64(0))
	f.Add("", "", "", "", "", "", int64(0), int64(-1))
	for _, it := range seedItems() {
		f.Add(it.GUID, it.Link, it.Title, it.Summary, it.Content, it.Author, it.Published.Unix(), it.Updated.Unix())
	}
	n := normalize.New()
	clock := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, guid, link, title, summary, content, author string, pub, upd int64) {
		it := feeds.Item{GUID: guid, Link: link, Title: title, Summary: summary, Content: content, Author: author}
		if pub != 0 {
			it.Published = time.Unix(pub, 0)
		}
		if upd != 0 {
			it.Updated = time.Unix(upd, 0)
		}
		a := n.Article(it, clock)
		for _, s := range []string{a.GUID, a.Link, a.Title, a.TitleKey, a.Summary, a.Content, a.Author} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %+v", a)
			}
		}
		if a.Published.IsZero() || a.Published.After(clock.Add(normalize.FutureSkew)) || a.Updated.Before(a.Published) {
			t.Fatalf("dates %v %v", a.Published, a.Updated)
		}
		if why := unsafeHTML(a.Summary + a.Content); why != "" {
			t.Fatal(why)
		}
		for _, k := range normalize.ItemKeys([]feeds.Item{it, it}) {
			if len(k) < 3 || len(k) > 2+normalize.MaxGUIDBytes || !utf8.ValidString(k) {
				t.Fatalf("bad item key %q", k)
			}
		}
	})
}

package normalize

import (
	"strings"
	"testing"
)

// SanitisedHTML is HTML without the direct path: the sanitiser and finish,
// always. The differential tests hold HTML to it.
func SanitisedHTML(n *Normalizer, raw, base string) string {
	return n.sanitise(raw, &lazyBase{raw: base}, false)
}

// TakesDirect reports whether HTML(raw, base) takes the direct path. Plain
// text, which skips both paths, does not.
func TakesDirect(raw, base string) bool {
	raw = cleanText(cutBytes(raw, MaxRawHTMLBytes), false)
	if !strings.ContainsAny(raw, "<&") {
		return false
	}
	_, ok := finishDirect(raw, &lazyBase{raw: base}, MaxHTMLBytes)
	return ok
}

// The direct path must take ordinary article markup, attributes the
// sanitiser drops included, and leave to the sanitiser what it does not
// reproduce. Either way the output is the sanitiser's.
func TestDirectPath(t *testing.T) {
	n := New()
	const base = "https://example.com/news/a.html"
	for _, c := range []struct {
		name   string
		raw    string
		direct bool
	}{
		{"entities", "x &amp; y &lt;z&gt; &nbsp;&copy;", true},
		{"paragraphs", "<p>a</p><p>b<br>c<br/>d</p><hr>", true},
		{"bench article", `<p>Oil <a href="https://ref.example.org/oil/1">oil</a> <em>new</em>.</p>` +
			`<figure><img src="https://img.example.net/1.jpg" alt="grid" width="640" height="360"><figcaption>Cap</figcaption></figure>` +
			`<ul><li>a</li><li>b</li></ul><blockquote><p>q</p></blockquote>`, true},
		{"relative URLs", `<a href="/x?a=1&amp;b=2#f">x</a><img src="../i.png">`, true},
		{"unresolvable relative URL", `<a href="x">x</a>`, true},
		{"dropped attributes", `<p class="c" style="color:red" id="i" onclick="x()">t</p>` +
			`<a href="/x" target="_blank" rel="opener" data-x="1">t</a><img src="/a.png" srcset="/b.png 2x" loading="lazy">`, true},
		{"kept attributes", `<p dir="rtl" lang="ar-EG">t</p><td colspan="2">x</td><ol start="3"><li value="4">x</ol>` +
			`<time datetime="2025-01-01T00:00Z">t</time><abbr title="t">a</abbr>`, true},
		{"attributes failing their pattern", `<img src="/a.png" width="100%"><th scope="x">h</th>`, true},
		{"unknown elements", `<div class="x"><span>t</span><font size=2>f</font><section>s</section></div>`, true},
		{"comments, doctype, CDATA", `<!-- wp:paragraph --><p>x</p><!-- /wp:paragraph --><!DOCTYPE html><![CDATA[x]]>`, true},
		{"unterminated comment", `<p>x<!-- y`, true},
		{"upper case", `<P><A HREF="/u">u</A></P>`, true},
		{"end tag with attributes", `<p>x</p title="y">`, true},
		{"a without href", `<a name="top">t</a> after`, true},
		{"a whose href the sanitiser removes", `<a href="javascript:alert(1)">x</a><a href="/x y">y</a>`, true},
		{"nested a without href", `<a href="/x">o <a>i</a> t</a> after`, true},
		{"img without src", `<img alt="a"><img>`, true},
		{"img whose src the sanitiser removes", `<img src="javascript:x" src="/ok.png">`, true},
		{"img whose src finish refuses", `<img src="data:image/png;base64,AA" alt="a"><img src="mailto:a@b.c">`, true},
		{"data image", `<img src="data:image/png;base64,iVBORw0KGgo=">`, true},
		{"deep nesting", strings.Repeat("<b>", 100) + "x", true},
		{"deep a without href", strings.Repeat("<em>", 70) + "<a>x</a>y</a>", true},
		{"script", `<p>x</p><script>alert(1)</script><p>y</p>`, true},
		{"self-closing script", `<script/>x</script>y`, true},
		{"style", `<style>p{}</style><p>x</p>`, true},
		{"svg", `<svg><a href="/x">s</a></svg>after`, true},
		{"math", `<math><mi>x</mi></math>`, true},
		{"iframe", `<iframe src="https://example.com/"></iframe>`, true},
		{"object", `<object data="x"><param name=a><embed src=x></object>`, true},
		{"title", `<title>x</title>`, true},
		{"end tag of a skipped element first", `</svg>x<svg>y</svg>z`, true},
		{"a without href in skipped content", `<a href="/x">a<svg><a>b</svg></a>c</a>d`, true},
		{"textarea", `<textarea><p>x</p></textarea>`, true},
		{"noscript", `<noscript><p>x</p></noscript>`, true},
		{"xmp", `<xmp><b>x</b></xmp>`, true},
		{"plaintext", `<plaintext><p>x`, true},
		{"template", `<template><p>x</p></template>`, true},
		{"select", `<select><option>x</option></select>`, true},
		{"data URL with white space", `<img src="data:image/png;base64,AA AA">`, false},
		{"data URL with a newline", "<p>x<img src=\"data:image/png;base64,AA\nAA\"></p>", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := TakesDirect(c.raw, base); got != c.direct {
				t.Errorf("direct path taken: %v, want %v", got, c.direct)
			}
			if got, want := n.HTML(c.raw, base), SanitisedHTML(n, c.raw, base); got != want {
				t.Errorf("HTML(%q)\n got %q\nwant %q", c.raw, got, want)
			}
		})
	}
}

// The direct path relies on what bluemonday does with elements: it keeps
// every element of tagID, without attributes too except those of
// needAttrs, drops the tags of any other element, and their content too
// for those of skipsContent. A bluemonday upgrade that changed any of that
// fails here.
func TestDirectElementsMatchPolicy(t *testing.T) {
	p := newPolicy()
	for _, e := range tagNames {
		in := "<" + e + ">t</" + e + ">"
		want := in
		if needsAttrs(tagID[e]) {
			want = "t"
		}
		if got := p.Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	others := strings.Fields(`html body div span section article header footer aside nav main address
		hgroup font center big tt strike acronym dfn bdi bdo ruby rt rp wbr details summary dialog menu
		picture source track audio video canvas map area col colgroup label input form fieldset legend
		meter progress output slot portal search marquee blink nobr image o:p xhtml:img custom-el
		link meta base embed param applet xmp plaintext listing noindex optgroup foreignobject desc
		frameset2 svgx mathx`)
	for e := range skipsContent {
		others = append(others, e)
	}
	for _, e := range others {
		if _, ok := tagID[e]; ok {
			t.Fatalf("%q is allowed; drop it from this list", e)
		}
		want := "tu"
		if skipsContent[e] {
			want = "u"
		}
		in := "<" + e + ` class="c">t</` + e + ">u"
		if e == "plaintext" {
			want = "t&lt;/plaintext&gt;u" // the rest is text, end tags included
		}
		if got := p.Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
		if got := p.Sanitize("<" + e + "/>t"); got != "t" {
			t.Errorf("Sanitize(%q) = %q, want %q", "<"+e+"/>t", got, "t")
		}
	}
}

// keepAttr must keep exactly the attributes bluemonday keeps.
func TestKeepAttrMatchesPolicy(t *testing.T) {
	p := newPolicy()
	keys := []string{"title", "alt", "width", "height", "datetime", "colspan", "rowspan", "scope", "start",
		"value", "dir", "lang", "class", "style", "id", "rel", "target", "data-x", "onclick", "srcset",
		"loading", "cite", "name", "type", "border", "align"}
	vals := []string{"", "1", "99999", "100000", "-3", "x", "ltr", "RTL", "auto", "en", "en-US", "row",
		"colgroup", "2025-01-01T00:00:00Z", "1 2", "1\n"}
	for _, e := range tagNames {
		id := tagID[e]
		if needsAttrs(id) {
			continue // href and src have their own test: directURL
		}
		for _, k := range keys {
			for _, v := range vals {
				in := "<" + e + " " + k + `="` + v + `">`
				kept := strings.Contains(p.Sanitize(in), " "+k+"=")
				if got := keepAttr(id, []byte(k), []byte(v)); got != kept {
					t.Errorf("keepAttr(%s, %s, %q) = %v, bluemonday keeps it: %v", e, k, v, got, kept)
				}
			}
		}
	}
}

// plainURLCases are values of href and src, with whether plainAbsURL takes
// them (the rest go through parsedURL).
var plainURLCases = []struct {
	v     string
	plain bool
}{
	{"https://example.com", true},
	{"http://example.com/", true},
	{"https://ref.example.org/oil/1", true},
	{"https://img.example.net/1.jpg", true},
	{"https://Example.COM:8443/a/b.c~d_e-f?x=1&y=2;z=3+4,5#top", true},
	{"https://h/p:q@r$s?a=/b?c@d:e#f/g?h:i@j", true},
	{"https://h//double//slash/", true},
	{"http://h/.././x", true},
	{"https://h/p?", true},
	{"https://h/p#", false},         // String drops an empty fragment
	{"https://h/p#a#b", false},      // a second '#' is escaped
	{"HTTPS://h/p", false},          // the scheme comes back lower case
	{"https:/h/p", false},           // no authority
	{"https:///p", false},           // no host
	{"https://:80/p", false},        // no host
	{"https://h:/p", false},         // empty port
	{"https://h:x/p", false},        // bad port
	{"https://u@h/p", false},        // user info
	{"https://h_x/p", false},        // '_' in the host
	{"https://[::1]/p", false},      // IP literal
	{"https://h/a%20b", false},      // escapes
	{"https://h/a b", false},        // white space
	{" https://h/p", false},         // trimmed by the sanitiser
	{"https://h/p!*'()", false},     // escaped in a path by String
	{"https://h/ü", false},          // non-ASCII
	{"https://h/p\x7f", false},      // control byte
	{"https://h\\p", false},         // backslash
	{"mailto:a@example.com", false}, // not http(s)
	{"/relative/path", false},
	{"//example.com/p", false},
	{"", false},
}

// TestPlainAbsURL: every URL plainAbsURL takes is one parsedURL keeps
// exactly as it is, as an image source and as a link, with and without a
// base; and plainAbsURL takes the common shapes.
func TestPlainAbsURL(t *testing.T) {
	for _, c := range plainURLCases {
		if got := plainAbsURL([]byte(c.v)); got != c.plain {
			t.Errorf("plainAbsURL(%q) = %v, want %v", c.v, got, c.plain)
		}
		checkPlainURL(t, c.v)
	}
}

// checkPlainURL fails when plainAbsURL takes v but parsedURL would not
// return v itself, kept.
func checkPlainURL(t *testing.T, v string) {
	t.Helper()
	if !plainAbsURL([]byte(v)) {
		return
	}
	for _, base := range []string{"", "https://example.com/news/a.html"} {
		for _, img := range []bool{false, true} {
			got, fate := parsedURL([]byte(v), &lazyBase{raw: base}, img)
			if got != v || fate != urlKept {
				t.Errorf("plainAbsURL takes %q, parsedURL(img %v, base %q) = %q, %d", v, img, base, got, fate)
			}
		}
	}
}

func FuzzPlainAbsURL(f *testing.F) {
	for _, c := range plainURLCases {
		f.Add(c.v)
	}
	f.Fuzz(func(t *testing.T, v string) { checkPlainURL(t, v) })
}

package normalize_test

import (
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/normalize/internal/fastsan"
)

// The direct path must take ordinary article markup, attributes the
// sanitiser drops included, and leave to the sanitiser what it does not
// reproduce. Either way the output is the sanitiser's.
func TestDirectPath(t *testing.T) {
	n := normalize.New()
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
			if got := normalize.TakesDirect(c.raw, base); got != c.direct {
				t.Errorf("direct path taken: %v, want %v", got, c.direct)
			}
			if got, want := n.HTML(c.raw, base), normalize.SanitisedHTML(n, c.raw, base); got != want {
				t.Errorf("HTML(%q)\n got %q\nwant %q", c.raw, got, want)
			}
		})
	}
}

// allowedElements are the elements the policy allows, void ones included.
func allowedElements() []string {
	return append(append([]string(nil), fastsan.Elements...), fastsan.VoidElements...)
}

// The fast path relies on what bluemonday does with elements: it keeps
// every allowed element, without attributes too except a and img, drops
// the tags of any other element, and their content too for those whose
// content it skips (its defaults and fastsan.SkipContent). A bluemonday
// upgrade that changed any of that fails here.
func TestElementsMatchPolicy(t *testing.T) {
	n := normalize.New()
	others := strings.Fields(`html body div span section article header footer aside nav main address
		hgroup font center big tt strike acronym dfn bdi bdo ruby rt rp wbr details summary dialog menu
		picture source track audio video canvas map area col colgroup label input form fieldset legend
		meter progress output slot portal search marquee blink nobr image o:p xhtml:img custom-el
		link meta base embed param applet xmp plaintext listing noindex optgroup foreignobject desc
		frameset2 svgx mathx frame frameset iframe noembed noframes noscript nostyle object script style title`)
	others = append(others, fastsan.SkipContent...)
	for _, e := range others {
		if strings.Contains(" "+strings.Join(allowedElements(), " ")+" ", " "+e+" ") {
			t.Fatalf("%q is allowed; drop it from this list", e)
		}
	}
	for _, e := range append(allowedElements(), others...) {
		for _, in := range []string{"<" + e + ">t</" + e + ">u", "<" + e + ` class="c">t</` + e + ">u", "<" + e + "/>t"} {
			checkHTML(t, n, in, "https://example.com/")
		}
	}
}

// The fast path must keep exactly the attributes bluemonday keeps, on
// every allowed element (a and img with the href or src they need).
func TestAttrsMatchPolicy(t *testing.T) {
	n := normalize.New()
	keys := []string{"title", "alt", "width", "height", "datetime", "colspan", "rowspan", "scope", "start",
		"value", "dir", "lang", "class", "style", "id", "rel", "target", "data-x", "onclick", "srcset",
		"loading", "cite", "name", "type", "border", "align"}
	vals := []string{"", "1", "99999", "100000", "-3", "x", "ltr", "RTL", "auto", "en", "en-US", "row",
		"colgroup", "2025-01-01T00:00:00Z", "1 2", "1\n"}
	for _, e := range allowedElements() {
		url := map[string]string{"a": ` href="/x"`, "img": ` src="/x.png"`}[e]
		for _, k := range keys {
			for _, v := range vals {
				in := "<" + e + url + " " + k + `="` + v + `">t`
				checkHTML(t, n, in, "https://example.com/")
				if !normalize.TakesDirect(in, "https://example.com/") {
					t.Errorf("%q does not take the fast path", in)
				}
			}
		}
	}
}

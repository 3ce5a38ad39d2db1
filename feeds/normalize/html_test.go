package normalize_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds/normalize"
	"golang.org/x/net/html"
)

// unsafeHTML returns why sanitised output s could run or load something, or
// "" when it is safe: no script/style/iframe/object/embed/svg/math/form/
// base/meta/link elements, no event handler or style attribute, and URL
// attributes only http(s), mailto (links) or data: raster images (img).
// Text that merely mentions "javascript:" is harmless and allowed.
func unsafeHTML(s string) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	if strings.Contains(strings.ToLower(s), "<script") {
		return "contains <script"
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ""
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "style", "iframe", "object", "embed", "svg", "math", "form", "input",
			"base", "meta", "link", "frame", "frameset", "applet", "template", "button", "textarea":
			return "element " + tok.Data
		}
		for _, a := range tok.Attr {
			k := strings.ToLower(a.Key)
			v := strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(k, "on"), k == "style", k == "srcdoc", k == "formaction", k == "action":
				return fmt.Sprintf("attribute %s on %s", k, tok.Data)
			case k == "href" || k == "src" || k == "cite" || k == "data" || k == "poster":
				ok := strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") ||
					(k == "href" && strings.HasPrefix(v, "mailto:")) ||
					(k == "src" && tok.Data == "img" && (strings.HasPrefix(v, "data:image/png;") ||
						strings.HasPrefix(v, "data:image/jpeg;") || strings.HasPrefix(v, "data:image/gif;") ||
						strings.HasPrefix(v, "data:image/webp;")))
				if !ok {
					return fmt.Sprintf("URL %s=%q on %s", k, a.Val, tok.Data)
				}
			}
		}
	}
}

func TestHTMLXSS(t *testing.T) {
	n := normalize.New()
	tests := []struct{ name, in string }{
		{"script", `<p>a</p><script>alert(1)</script>`},
		{"script uppercase", `<SCRIPT SRC=//evil.example/x.js></SCRIPT>`},
		{"script split", `<scr<script>ipt>alert(1)</script>`},
		{"onerror", `<img src="https://example.com/x.png" onerror="alert(1)">`},
		{"img src x onerror", `<img src=x onerror=alert(1)//>`},
		{"onclick on p", `<p onclick="alert(1)">x</p>`},
		{"javascript href", `<a href="javascript:alert(1)">x</a>`},
		{"javascript mixed case", `<a href="jAvAsCrIpT:alert(1)">x</a>`},
		{"javascript entities", `<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>`},
		{"javascript hex entities", `<a href="&#x6A;avascript&#x3A;alert(1)">x</a>`},
		{"javascript tab", "<a href=\"java\tscript:alert(1)\">x</a>"},
		{"javascript newline entity", `<a href="java&#10;script:alert(1)">x</a>`},
		{"javascript leading space", `<a href="  javascript:alert(1)">x</a>`},
		{"javascript colon entity", `<a href="javascript&colon;alert(1)">x</a>`},
		{"vbscript", `<a href="vbscript:msgbox(1)">x</a>`},
		{"data text/html href", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`},
		{"data image href", `<a href="data:image/png;base64,iVBORw0KGgo=">x</a>`},
		{"data svg img", `<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`},
		{"iframe", `<iframe src="https://evil.example/"></iframe>`},
		{"iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>`},
		{"svg onload", `<svg onload=alert(1)><circle r=1 /></svg>`},
		{"svg script", `<svg><script>alert(1)</script></svg>`},
		{"svg a xlink", `<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`},
		{"style element", `<style>body{background:url(javascript:alert(1))}</style>`},
		{"style attribute expression", `<p style="width: expression(alert(1))">x</p>`},
		{"object", `<object data="https://evil.example/x.swf"></object>`},
		{"embed", `<embed src="https://evil.example/x.swf">`},
		{"math", `<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">x</maction></math>`},
		{"form", `<form action="https://evil.example/"><input name=p><button formaction="javascript:alert(1)">go</button></form>`},
		{"base", `<base href="javascript:alert(1)//"><a href="/x">x</a>`},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`},
		{"link stylesheet", `<link rel="stylesheet" href="https://evil.example/x.css">`},
		{"body onload", `<body onload="alert(1)">x</body>`},
		{"comment trick", `<!--<img src="--><img src=x onerror=alert(1)//">`},
		{"unclosed attribute", `<a href="https://example.com/" onmouseover="alert(1)`},
		{"nested quotes", `<img alt="x" src="x"onerror="alert(1)">`},
		{"noscript", `<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>`},
		{"template", `<template><script>alert(1)</script></template>`},
		{"srcset", `<img src="https://example.com/a.png" srcset="javascript:alert(1) 1x">`},
		{"video poster", `<video poster="javascript:alert(1)"></video>`},
		{"a target", `<a href="https://example.com/" target="_blank">x</a>`},
		{"formaction", `<input type=image formaction="javascript:alert(1)">`},
		{"xml namespace", `<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>`},
		{"mxss", `<p><svg><style><img src=x onerror=alert(1)></style></svg></p>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := n.HTML(tt.in, "https://example.com/post/1")
			if why := unsafeHTML(got); why != "" {
				t.Errorf("HTML(%q) = %q: %s", tt.in, got, why)
			}
			if strings.Contains(strings.ToLower(got), "alert(1)") && strings.Contains(got, "=") {
				t.Errorf("HTML(%q) = %q: payload survives in markup", tt.in, got)
			}
		})
	}
}

func TestHTMLKeeps(t *testing.T) {
	n := normalize.New()
	const base = "https://example.com/news/post.html"
	tests := []struct{ name, in, want string }{
		{"paragraphs", "<p>a <em>b</em> <strong>c</strong></p>", "<p>a <em>b</em> <strong>c</strong></p>"},
		{"link gets rel", `<a href="https://other.org/x" title="t">x</a>`, `<a href="https://other.org/x" title="t" rel="nofollow noopener noreferrer">x</a>`},
		{"own rel replaced", `<a href="https://other.org/x" rel="opener">x</a>`, `<a href="https://other.org/x" rel="nofollow noopener noreferrer">x</a>`},
		{"mailto", `<a href="mailto:a@example.com">m</a>`, `<a href="mailto:a@example.com" rel="nofollow noopener noreferrer">m</a>`},
		{"relative href", `<a href="../about">x</a>`, `<a href="https://example.com/about" rel="nofollow noopener noreferrer">x</a>`},
		{"relative img", `<img src="img/a.png" alt="A" width="10" height="20">`, `<img src="https://example.com/news/img/a.png" alt="A" width="10" height="20"/>`},
		{"protocol relative", `<img src="//cdn.example.net/a.png">`, `<img src="https://cdn.example.net/a.png"/>`},
		{"data png img", `<img src="data:image/png;base64,iVBORw0KGgo=">`, `<img src="data:image/png;base64,iVBORw0KGgo="/>`},
		{"lists", "<ul><li>a</li><li>b</li></ul><ol start=\"3\"><li>c</li></ol>", "<ul><li>a</li><li>b</li></ul><ol start=\"3\"><li>c</li></ol>"},
		{"implied ends", "<ul><li>a<li>b</ul>", "<ul><li>a</li><li>b</li></ul>"},
		{"figure", "<figure><img src=\"/a.png\"><figcaption>cap</figcaption></figure>", "<figure><img src=\"https://example.com/a.png\"/><figcaption>cap</figcaption></figure>"},
		{"blockquote pre code", "<blockquote>q</blockquote><pre><code>a &lt; b</code></pre>", "<blockquote>q</blockquote><pre><code>a &lt; b</code></pre>"},
		{"headings", "<h2>t</h2><h6>u</h6>", "<h2>t</h2><h6>u</h6>"},
		{"table", "<table><thead><tr><th scope=\"col\">h</th></tr></thead><tbody><tr><td colspan=\"2\">d</td></tr></tbody></table>", "<table><thead><tr><th scope=\"col\">h</th></tr></thead><tbody><tr><td colspan=\"2\">d</td></tr></tbody></table>"},
		{"inline", "<abbr title=\"x\">X</abbr><cite>c</cite><q>q</q><time datetime=\"2024-01-02\">t</time><sub>1</sub><sup>2</sup><s>s</s><u>u</u><b>b</b><i>i</i>", "<abbr title=\"x\">X</abbr><cite>c</cite><q>q</q><time datetime=\"2024-01-02\">t</time><sub>1</sub><sup>2</sup><s>s</s><u>u</u><b>b</b><i>i</i>"},
		{"dl and hr", "<dl><dt>t</dt><dd>d</dd></dl><hr>", "<dl><dt>t</dt><dd>d</dd></dl><hr/>"},
		{"div and span unwrapped", "<div class=\"x\"><span>t</span></div>", "t"},
		{"unclosed closed", "<p>a <em>b", "<p>a <em>b</em></p>"},
		{"stray end tags dropped", "</p>a</em>", "a"},
		{"controls dropped", "<p>a\x00\x01b\u0085</p>", "<p>ab</p>"},
		{"controls from entities dropped", "<p>a&#1;b&#x7f;c&#xFFFE;d</p><abbr title=\"t&#2;\">x</abbr>", "<p>abcd</p><abbr title=\"t\">x</abbr>"},
		{"plain text", "just text & more", "just text &amp; more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.HTML(tt.in, base); got != tt.want {
				t.Errorf("HTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("relative without base dropped", func(t *testing.T) {
		got := n.HTML(`<a href="/x">x</a><img src="/a.png">`, "")
		if got != "x" {
			t.Errorf("got %q, want %q", got, "x")
		}
	})
}

func TestHTMLCap(t *testing.T) {
	n := normalize.New()
	// Twice MaxRawHTMLBytes: cut before sanitising, then again after it.
	// (TestArticleCaps feeds a 20 MB element.)
	huge := "<div><p>" + strings.Repeat("<b>bold</b> and <i>text &amp; more</i> ", 2*normalize.MaxRawHTMLBytes/40) + "</p></div>"
	got := n.HTML(huge, "")
	if len(got) > normalize.MaxHTMLBytes {
		t.Fatalf("len = %d, want <= %d", len(got), normalize.MaxHTMLBytes)
	}
	if len(got) < normalize.MaxHTMLBytes/2 {
		t.Errorf("len = %d: cut far more than needed", len(got))
	}
	if !strings.HasPrefix(got, "<p>") || !strings.HasSuffix(got, "</p>") {
		t.Errorf("not closed: starts %q ends %q", got[:10], got[len(got)-20:])
	}
	if strings.Count(got, "<b>") != strings.Count(got, "</b>") || strings.Count(got, "<i>") != strings.Count(got, "</i>") {
		t.Error("unbalanced tags after the cut")
	}
	if why := unsafeHTML(got); why != "" {
		t.Error(why)
	}
}

func TestHTMLHostileNesting(t *testing.T) {
	n := normalize.New()
	tests := []struct{ name, in string }{
		{"deep inline then stray ends", strings.Repeat("<b>", 100000) + "x" + strings.Repeat("</i>", 100000)},
		{"deep lists", strings.Repeat("<ul><li>", 100000) + "x"},
		{"paragraphs in deep inline", strings.Repeat("<em>", 60) + strings.Repeat("<p>x", 50000)},
		{"only angle brackets", strings.Repeat("<", 500000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := n.HTML(tt.in, "")
			if why := unsafeHTML(got); why != "" {
				t.Fatal(why)
			}
			z := html.NewTokenizer(strings.NewReader(got))
			depth, deepest := 0, 0
			for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
				switch tt {
				case html.StartTagToken:
					depth++
					deepest = max(deepest, depth)
				case html.EndTagToken:
					depth--
				}
			}
			if depth != 0 || deepest > 64 {
				t.Errorf("depth at end %d, deepest %d; want 0 and <= 64", depth, deepest)
			}
		})
	}
}

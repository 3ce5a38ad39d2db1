// Package samples holds the inputs the sanitiser's tests and benchmarks
// share across feeds/normalize and its fast path (internal/fastsan):
// tables of markup where the fast path and bluemonday could part ways,
// generated markup and news, and the shared corpus. Only tests import it.
package samples

import (
	"strings"
	"testing"
)

// Differential is markup where the fast path and bluemonday could part
// ways: implied ends, depth, caps, URLs of every kind, attributes that
// are dropped, escaped or repeated, plain text with newlines and quotes.
var Differential = []string{
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

// Bases are bases the fields above are resolved against.
var Bases = []string{"https://example.com/news/post.html?x=1#f", "", "http://EXAMPLE.org", "/relative", "ftp://x/", "https://bücher.de/a/"}

// Hostile is markup that must not slip through the direct path
// (direct.go) in any way the sanitiser would not let it: script URLs in
// every disguise, elements whose content the sanitiser drops, comments and
// raw text, attributes without values or repeated, upper case, NUL and
// invalid UTF-8, entities in attributes, anchors the sanitiser removes
// with their end tags, unclosed and misnested tags.
var Hostile = []string{
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

// Fields are HTML fields to compare the fast path on: the tables above,
// generated news, and (when ../shared is present) every summary and
// content of the corpus holding markup or entities.
func Fields(tb testing.TB) []string {
	fields := append(append([]string(nil), Differential...), Hostile...)
	for _, it := range News(5, 100) {
		fields = append(fields, it.Summary, it.Content)
	}
	if _, err := FindShared(); err == nil {
		for _, it := range Corpus(tb) {
			for _, s := range []string{it.Summary, it.Content} {
				if strings.ContainsAny(s, "<&") {
					fields = append(fields, s)
				}
			}
		}
	}
	return fields
}

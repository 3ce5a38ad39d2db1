package main

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"time"
)

// The hostile feeds of TestBrowserXSS: every payload, if it ever runs,
// fetches the origin's beacon, sets window.__xss and opens a dialog.

// jsPayload is what every payload runs: it fetches the origin's beacon
// (seen even from a frame), sets the global, and opens a dialog. It has no
// spaces or quotes so that it fits any attribute, quoted or not.
func jsPayload(n int, origin string) string {
	return fmt.Sprintf("fetch(`%s/beacon?n=%d`);window.__xss=%d;try{top.__xss=%d}catch(e){};alert(%d)", origin, n, n, n, n)
}

// placeholders in payloads: {P} the script, {N} the payload's number, {O} the origin.
func expand(s string, n int, origin string) string {
	return strings.NewReplacer("{P}", jsPayload(n, origin), "{N}", fmt.Sprint(n), "{O}", origin).Replace(s)
}

// bodyPayloads go into item bodies (RSS description and content:encoded,
// Atom content and summary, JSON Feed content_html and summary).
var bodyPayloads = []string{
	`<script>{P}</script>`,
	`<script src="{O}/evil.js"></script>`,
	`<ScRiPt >{P}</sCrIpT >`,
	`<img src=x onerror={P}>`,
	`<img src="{O}/img.png" onload="{P}">`,
	`<IMG SRC="{O}/img.png" OnLoAd="{P}">`,
	`<image src=x onerror={P}>`,
	`<img src=x:alert({N}) onerror=eval(src)>`,
	`<img src="{O}/img.png" title="&quot; onerror=&quot;{P}" alt='x"><script>{P}</script>'>`,
	`<img srcset="javascript:{P} 1x" src="{O}/img.png">`,
	`<a href="javascript:{P}">plain</a>`,
	`<a href="JaVaScRiPt:{P}">mixed case</a>`,
	`<a href=" javascript:{P}">leading space</a>`,
	`<a href="java&#09;script:{P}">tab in scheme</a>`,
	`<a href="jav&#x0A;ascript:{P}">newline in scheme</a>`,
	`<a href="&#x01;javascript:{P}">leading control</a>`,
	`<a href="&#106;avascript:{P}">decimal entity</a>`,
	`<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;{P}">hex entities</a>`,
	`<a href="javascript&colon;{P}">named colon</a>`,
	`<a href="vbscript:msgbox({N})">vbscript</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>`,
	`<a href="{O}/ok" target=_blank onclick={P}>onclick</a>`,
	`<img src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=">`,
	`<img src="data:text/html,<script>{P}</script>">`,
	`<iframe src="data:text/html,<script>{P}</script>"></iframe>`,
	`<iframe srcdoc="<script>{P}</script>"></iframe>`,
	`<iframe src="javascript:{P}"></iframe>`,
	`<svg onload={P}><circle r=1 /></svg>`,
	`<svg><script>{P}</script></svg>`,
	`<svg><a xlink:href="javascript:{P}"><text y=20>svg link</text></a><animate attributeName=href values=javascript:{P} /></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror={P}></style></mglyph></table></mtext></math>`,
	`<style>@import '{O}/evil.css';body{background:url("javascript:{P}")}p{width:expression({P})}</style>`,
	`<p style="background:url(javascript:{P});width:expression({P})">styled</p>`,
	`<link rel=stylesheet href="{O}/evil.css">`,
	`<object data="{O}/evil.html" type="text/html"></object>`,
	`<object data="javascript:{P}"></object>`,
	`<embed src="{O}/evil.svg" type="image/svg+xml">`,
	`<base href="javascript:{P}//"><a href="/relative">relative</a>`,
	`<base href="{O}/evil/"><a href="rel">relative to base</a>`,
	`<meta http-equiv="refresh" content="0;url=javascript:{P}">`,
	`<meta http-equiv=refresh content="0;url=data:text/html,<script>{P}</script>">`,
	`<input autofocus onfocus={P}>`,
	`<details open ontoggle={P}><summary>x</summary></details>`,
	`<div onmouseover="{P}">hover me</div>`,
	`<body onload={P}>`,
	`<video><source onerror="{P}"></video>`,
	`<audio src=x onerror={P}></audio>`,
	`<form action="javascript:{P}"><button formaction="javascript:{P}">go</button></form>`,
	`<noscript><p title="</noscript><img src=x onerror={P}>"></noscript>`,
	`<!--<img src="--><img src=x onerror={P}>-->`,
	`<template><script>{P}</script></template>`,
	`<marquee onstart={P}>m</marquee>`,
	`<xmp><img src=x onerror={P}></xmp>`,
	`<p>ok</p></div></article></main><script>{P}</script>`,
	`]]><x:script xmlns:x="http://www.w3.org/1999/xhtml">{P}</x:script><![CDATA[`,
	`{{constructor.constructor('alert({N})')()}} {{.}} {{template "layout" .}} ${alert({N})} <%= {N} %>`,
}

// payloadsPerItem is how many body payloads share one item.
const payloadsPerItem = 4

// titlePayloads are item titles (plain text in every format).
var titlePayloads = []string{
	`<script>{P}</script> title`,
	`<img src=x onerror={P}> title`,
	`"><svg onload={P}> title`,
	`</title><script>{P}</script> title`,
	`]]><x:script xmlns:x="http://www.w3.org/1999/xhtml">{P}</x:script> title`,
	`{{.}} {{template "layout" .}} ${7*7} title`,
}

// authorPayloads are author names; categoryPayloads are categories (tags).
var (
	authorPayloads   = []string{`<b onmouseover={P}>Mallory</b>`, `"><script>{P}</script>`, `javascript:{P}`}
	categoryPayloads = []string{`<img src=x onerror=alert({N})>`, `"><script>alert({N})</script>`, `<svg/onload=alert({N})>`, `javascript:alert({N})`, `{{.}}`}
	// linkPayloads are item links: none may become a live link.
	linkPayloads = []string{`javascript:{P}`, ` JavaScript:{P}`, `&#106;avascript:{P}`, `data:text/html,<script>{P}</script>`, `java	script:{P}`}
)

// hostileFeeds builds the RSS, Atom and JSON feeds: every body payload in
// every format (a few per item), and hostile titles, authors, categories
// and links spread over the items.
func hostileFeeds(origin string) map[string]doc {
	type item struct {
		n                        int
		title, author, cat, link string
		body                     string
	}
	var items []item
	n := 0
	for i := 0; i*payloadsPerItem < len(bodyPayloads); i++ {
		var b strings.Builder
		for _, p := range bodyPayloads[i*payloadsPerItem : min((i+1)*payloadsPerItem, len(bodyPayloads))] {
			n++
			b.WriteString("<p>payload " + fmt.Sprint(n) + ":</p>" + expand(p, n, origin) + "\n")
		}
		n++
		items = append(items, item{
			n:      i,
			title:  fmt.Sprintf("Item %d ", i) + expand(titlePayloads[i%len(titlePayloads)], n, origin),
			author: expand(authorPayloads[i%len(authorPayloads)], n, origin),
			cat:    expand(categoryPayloads[i%len(categoryPayloads)], n, origin),
			link:   fmt.Sprintf("%s/item/%d", origin, i),
			body:   b.String(),
		})
		if i%3 == 2 {
			items[len(items)-1].link = expand(linkPayloads[i%len(linkPayloads)], n, origin)
		}
	}
	now := time.Now().UTC()
	date := func(i int) time.Time { return now.Add(-time.Duration(i+1) * time.Minute) }
	esc := html.EscapeString

	var rss strings.Builder
	rss.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>`)
	fmt.Fprintf(&rss, `<title>%s</title><link>%s/</link><description>%s</description>`, esc(expand(`RSS <script>{P}</script>`, 900, origin)), origin, esc(`<img src=x onerror=alert(901)>`))
	for _, it := range items {
		fmt.Fprintf(&rss, `<item><guid isPermaLink="false">rss-%d</guid><title>%s</title><link>%s</link><dc:creator>%s</dc:creator><category>%s</category><pubDate>%s</pubDate>`,
			it.n, esc("RSS "+it.title), esc(strings.Replace(it.link, "/item/", "/item/rss/", 1)), esc(it.author), esc(it.cat), date(it.n).Format(time.RFC1123Z))
		if it.n%2 == 0 {
			fmt.Fprintf(&rss, `<description>%s</description>`, esc(it.body))
		} else {
			fmt.Fprintf(&rss, `<description>summary</description><content:encoded><![CDATA[%s]]></content:encoded>`, strings.ReplaceAll(it.body, "]]>", "]]]]><![CDATA[>"))
		}
		rss.WriteString(`</item>`)
	}
	rss.WriteString(`</channel></rss>`)

	var atom strings.Builder
	atom.WriteString(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">`)
	fmt.Fprintf(&atom, `<title type="html">%s</title><id>urn:hostile:atom</id><updated>%s</updated><link href="%s/"/>`, esc(expand(`Atom <script>{P}</script>`, 902, origin)), now.Format(time.RFC3339), origin)
	for _, it := range items {
		fmt.Fprintf(&atom, `<entry><id>urn:hostile:atom:%d</id><title type="html">%s</title><link rel="alternate" href="%s"/><author><name>%s</name><uri>%s</uri></author><category term="%s"/><updated>%s</updated>`,
			it.n, esc(esc("Atom "+it.title)), esc(strings.Replace(it.link, "/item/", "/item/atom/", 1)), esc(it.author), esc(expand("javascript:{P}", 903, origin)), esc(it.cat), date(it.n).Format(time.RFC3339))
		if it.n%2 == 0 {
			fmt.Fprintf(&atom, `<content type="html">%s</content>`, esc(it.body))
		} else {
			fmt.Fprintf(&atom, `<summary type="html">%s</summary><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>xhtml</p><script>%s</script><img src="x" onerror="%s"/><a href="javascript:%s">x</a><svg xmlns="http://www.w3.org/2000/svg" onload="%s"/><iframe src="javascript:%s"/></div></content>`,
				esc(it.body), jsPayload(904, origin), jsPayload(905, origin), jsPayload(906, origin), jsPayload(907, origin), jsPayload(908, origin))
		}
		atom.WriteString(`</entry>`)
	}
	atom.WriteString(`</feed>`)

	type jsonAuthor struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Avatar string `json:"avatar"`
	}
	type jsonItem struct {
		ID          string       `json:"id"`
		URL         string       `json:"url"`
		ExternalURL string       `json:"external_url"`
		Title       string       `json:"title"`
		ContentHTML string       `json:"content_html,omitempty"`
		Summary     string       `json:"summary,omitempty"`
		Image       string       `json:"image"`
		Published   string       `json:"date_published"`
		Authors     []jsonAuthor `json:"authors"`
		Tags        []string     `json:"tags"`
	}
	jf := map[string]any{
		"version":       "https://jsonfeed.org/version/1.1",
		"title":         expand(`JSON <script>{P}</script>`, 909, origin),
		"home_page_url": expand(`javascript:{P}`, 910, origin),
		"icon":          expand(`javascript:{P}`, 911, origin),
	}
	var jitems []jsonItem
	for _, it := range items {
		ji := jsonItem{
			ID: fmt.Sprintf("json-%d", it.n), URL: strings.Replace(it.link, "/item/", "/item/json/", 1), ExternalURL: expand(`javascript:{P}`, 912, origin),
			Title: "JSON " + it.title, Image: expand(`javascript:{P}`, 913, origin), Published: date(it.n).Format(time.RFC3339),
			Authors: []jsonAuthor{{Name: it.author, URL: expand(`javascript:{P}`, 914, origin), Avatar: "data:text/html,<script>alert(915)</script>"}},
			Tags:    []string{it.cat, "ctl\u0000\u0001tag"},
		}
		// Control characters only JSON can carry: removing them must not
		// join a scheme or a tag name together.
		body := it.body + expand("<a href=\"java\u0000script:{P}\">nul in scheme</a><scr\u0000ipt>{P}</script><a href=\"\u0001\u0002javascript:{P}\">controls</a>", 916, origin)
		if it.n%2 == 0 {
			ji.ContentHTML = body
		} else {
			ji.Summary = body
		}
		jitems = append(jitems, ji)
	}
	jf["items"] = jitems
	jsonBody, err := json.Marshal(jf)
	if err != nil {
		panic(err) // plain structs of strings always marshal
	}
	return map[string]doc{
		"/rss.xml":   {"application/rss+xml; charset=utf-8", rss.String()},
		"/atom.xml":  {"application/atom+xml; charset=utf-8", atom.String()},
		"/feed.json": {"application/feed+json", string(jsonBody)},
	}
}

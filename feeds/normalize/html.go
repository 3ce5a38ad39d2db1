package normalize

import (
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Caps on HTML fields. Input beyond MaxRawHTMLBytes is not even looked at
// (a 20 MB content element costs no more than a 2 MB one); sanitised output
// is cut at MaxHTMLBytes on a token boundary with every open element closed.
const (
	MaxHTMLBytes    = 1 << 20
	MaxRawHTMLBytes = 2 * MaxHTMLBytes
)

// linkRel is the rel every kept link gets: no ranking credit, no window.opener,
// no Referer to the linked site.
const linkRel = "nofollow noopener noreferrer"

// dataImage matches the data: URLs allowed as img src: base64 raster images.
// SVG is not among them (it can carry script); a raster image in a data: URL
// executes nothing and is not fetched from anywhere, which is also why it is
// allowed at all (feeds embed small images, e.g. formulas, that way).
var dataImage = regexp.MustCompile(`^image/(png|jpeg|gif|webp);base64,`)

// newPolicy builds the sanitiser: ordinary article markup, nothing that runs,
// styles, embeds or submits. URL attributes must parse and be relative,
// http, https, mailto, or (checked again per element in finish) a data: image.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(elements...)
	p.AllowElements("br", "hr", "img")
	p.AllowAttrs("href", "title").OnElements("a")
	p.AllowAttrs("src", "alt", "title").OnElements("img")
	p.AllowAttrs("width", "height").Matching(regexp.MustCompile(`^[0-9]{1,5}$`)).OnElements("img")
	p.AllowAttrs("title").OnElements("abbr")
	p.AllowAttrs("datetime").Matching(regexp.MustCompile(`^[0-9T:.+\- Z]{1,40}$`)).OnElements("time", "del", "ins")
	p.AllowAttrs("colspan", "rowspan").Matching(regexp.MustCompile(`^[0-9]{1,3}$`)).OnElements("td", "th")
	p.AllowAttrs("scope").Matching(regexp.MustCompile(`^(row|col|rowgroup|colgroup)$`)).OnElements("th")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^-?[0-9]{1,6}$`)).OnElements("ol")
	p.AllowAttrs("value").Matching(regexp.MustCompile(`^-?[0-9]{1,6}$`)).OnElements("li")
	p.AllowAttrs("dir").Matching(regexp.MustCompile(`^(ltr|rtl|auto)$`)).Globally()
	p.AllowAttrs("lang").Matching(regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8}){0,4}$`)).Globally()
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowURLSchemeWithCustomPolicy("data", func(u *url.URL) bool {
		return u.RawQuery == "" && u.Fragment == "" && dataImage.MatchString(u.Opaque)
	})
	// Drop the text inside these too, not only the tags: it is not prose.
	p.SkipElementsContent("svg", "math", "template", "select", "textarea", "head", "button", "datalist", "option")
	return p
}

// HTML returns raw (a feed's summary or content) sanitised for republishing:
// only the markup newPolicy allows, relative href/src resolved against base
// (the item's link; relative URLs are dropped when base is not an absolute
// http(s) URL), links carrying rel="nofollow noopener noreferrer", invalid
// UTF-8 repaired, characters XML forbids removed, at most MaxHTMLBytes, and
// every element closed.
func (n *Normalizer) HTML(raw, base string) string {
	if raw == "" {
		return ""
	}
	raw = cleanText(cutBytes(raw, MaxRawHTMLBytes), false)
	s := n.policy.Sanitize(raw)
	return strings.TrimSpace(finish(s, baseURL(base), MaxHTMLBytes))
}

// voidElements are written as "<x/>" and never pushed on the open stack.
var voidElements = map[string]bool{"br": true, "hr": true, "img": true}

// maxDepth bounds element nesting in the output. Deeper start tags are
// dropped (their text stays): nothing a person writes nests deeper, XML
// parsers of feed readers refuse documents that nest without end, and it
// keeps finish linear in the input.
const maxDepth = 64

// elements are the non-void elements the policy allows, indexed so that sets
// of them fit in a uint64. The void ones are voidElements.
var elements = []string{
	"a", "p", "ul", "ol", "li", "dl", "dt", "dd",
	"figure", "figcaption", "blockquote", "pre", "code", "kbd", "samp", "var",
	"em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
	"h1", "h2", "h3", "h4", "h5", "h6",
	"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
	"abbr", "cite", "q", "time",
}

// elementID maps an element name to its index in elements.
var elementID = func() map[string]uint8 {
	m := make(map[string]uint8, len(elements))
	for i, e := range elements {
		m[e] = uint8(i)
	}
	return m
}()

// set is a set of elements as a bit mask over elementID.
func set(names ...string) uint64 {
	var m uint64
	for _, n := range names {
		m |= 1 << elementID[n]
	}
	return m
}

// finish re-serialises sanitised HTML: it resolves and re-checks URLs per
// element, sets rel on links, closes elements an HTML parser would close
// implicitly, drops end tags that close nothing and start tags nested
// deeper than maxDepth, caps the output at max bytes on a token boundary and
// closes every open element. It only writes tokens the sanitiser already
// let through, so cutting here cannot let anything new in.
func finish(s string, base *url.URL, max int) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(min(len(s)+len(s)/8, max))
	open := make([]uint8, 0, maxDepth)
	closing := 0 // bytes needed to close everything open
	fits := func(n int) bool { return b.Len()+n+closing <= max }
	pop := func(n int) {
		for range n {
			name := elements[open[len(open)-1]]
			open = open[:len(open)-1]
			closing -= len(name) + 3
			b.WriteString("</" + name + ">")
		}
	}
loop:
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			break loop
		case html.TextToken:
			text := z.Text()
			if !fits(escapedLen(text)) {
				b.WriteString(escapedPrefix(text, max-b.Len()-closing))
				break loop
			}
			writeEscaped(&b, text)
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			void := voidElements[tok.Data]
			id, known := elementID[tok.Data]
			if !void && (!known || len(open) >= maxDepth) || !fixAttrs(&tok, base) {
				continue
			}
			t := startTag(tok, void)
			end := len(tok.Data) + 3
			if void {
				end = 0
			}
			if !fits(len(t) + end) {
				break loop
			}
			pop(implied(open, tok.Data))
			b.WriteString(t)
			if !void {
				open = append(open, id)
				closing += end
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			id, known := elementID[string(name)]
			if !known {
				continue
			}
			for i := len(open) - 1; i >= 0; i-- {
				if open[i] == id {
					pop(len(open) - i)
					break
				}
			}
		}
	}
	pop(len(open))
	return b.String()
}

// closeRule says which open element a start tag ends, as an HTML parser
// would ("<li>a<li>b" is two items, not one inside the other), and which
// open elements stop the search for it.
type closeRule struct {
	ends, stop uint64
}

// Close rules: per start tag, and the one for open paragraphs, which every
// block element ends.
var (
	listRule    = closeRule{set("li"), set("ul", "ol", "table", "td", "th", "caption")}
	defRule     = closeRule{set("dt", "dd"), set("dl", "table", "td", "th", "caption")}
	cellRule    = closeRule{set("td", "th"), set("tr", "table")}
	sectionRule = closeRule{set("thead", "tbody", "tfoot"), set("table")}
	closeRules  = map[string]closeRule{
		"li": listRule, "dt": defRule, "dd": defRule, "td": cellRule, "th": cellRule,
		"tr":    {set("tr"), set("table", "thead", "tbody", "tfoot")},
		"thead": sectionRule, "tbody": sectionRule, "tfoot": sectionRule,
	}
	paraRule  = closeRule{set("p"), set("table", "td", "th", "caption")}
	endsParas = map[string]bool{"p": true, "ul": true, "ol": true, "li": true, "dl": true,
		"dt": true, "dd": true, "blockquote": true, "figure": true, "figcaption": true,
		"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"hr": true, "pre": true, "table": true}
)

// implied returns how many open elements (from the top of the stack) a
// start tag of name closes.
func implied(open []uint8, name string) int {
	n := 0
	if r, ok := closeRules[name]; ok {
		n = r.depth(open)
	}
	if endsParas[name] {
		n += paraRule.depth(open[:len(open)-n])
	}
	return n
}

// depth is how many elements must be popped from open to close the
// innermost element r ends, or 0 when a stop element comes first.
func (r closeRule) depth(open []uint8) int {
	for i := len(open) - 1; i >= 0; i-- {
		bit := uint64(1) << open[i]
		if r.ends&bit != 0 {
			return len(open) - i
		}
		if r.stop&bit != 0 {
			return 0
		}
	}
	return 0
}

// htmlEscapes are the replacements html.EscapeString makes.
var htmlEscapes = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '"': "&#34;", '\'': "&#39;"}

// escapedLen is len(html.EscapeString(string(text))) without building it.
func escapedLen(text []byte) int {
	n := len(text)
	for _, c := range text {
		if e := htmlEscapes[c]; e != "" {
			n += len(e) - 1
		}
	}
	return n
}

// writeEscaped writes html.EscapeString(string(text)) to b without the
// intermediate strings.
func writeEscaped(b *strings.Builder, text []byte) {
	last := 0
	for i, c := range text {
		if e := htmlEscapes[c]; e != "" {
			b.Write(text[last:i])
			b.WriteString(e)
			last = i + 1
		}
	}
	b.Write(text[last:])
}

// escapedPrefix returns the escaped form of the longest prefix of text,
// cut on a rune boundary, whose escaped form fits in n bytes.
func escapedPrefix(text []byte, n int) string {
	size, cut := 0, 0
	for i, c := range text {
		if utf8.RuneStart(c) {
			cut = i // text[:i] fits
		}
		if e := htmlEscapes[c]; e != "" {
			size += len(e)
		} else {
			size++
		}
		if size > n {
			text = text[:cut]
			break
		}
	}
	var b strings.Builder
	writeEscaped(&b, text)
	return b.String()
}

// startTag writes a start tag; void elements in the "<x/>" form that both
// HTML and XML parsers read alike.
func startTag(t html.Token, void bool) string {
	if len(t.Attr) == 0 && !void {
		return "<" + t.Data + ">"
	}
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(t.Data)
	for _, a := range t.Attr {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteString(`="`)
		writeEscaped(&b, []byte(a.Val))
		b.WriteByte('"')
	}
	if void {
		b.WriteByte('/')
	}
	b.WriteByte('>')
	return b.String()
}

// fixAttrs resolves and re-checks the URL attributes of a sanitised start
// tag and sets rel on links. It reports false when the element must go (an
// img without a usable src, an a without a usable href; the latter's text stays).
func fixAttrs(t *html.Token, base *url.URL) bool {
	switch t.DataAtom {
	case atom.A:
		attrs := t.Attr[:0]
		href := false
		for _, a := range t.Attr {
			if a.Key == "href" {
				v, ok := resolveURL(a.Val, base, false)
				if !ok {
					continue
				}
				a.Val, href = v, true
			}
			if a.Key == "rel" {
				continue
			}
			attrs = append(attrs, a)
		}
		if !href {
			return false // an anchor to nowhere: keep its text only
		}
		t.Attr = append(attrs, html.Attribute{Key: "rel", Val: linkRel})
	case atom.Img:
		attrs := t.Attr[:0]
		src := false
		for _, a := range t.Attr {
			if a.Key == "src" {
				v, ok := resolveURL(a.Val, base, true)
				if !ok {
					return false
				}
				a.Val, src = v, true
			}
			attrs = append(attrs, a)
		}
		t.Attr = attrs
		return src
	}
	return true
}

// resolveURL resolves v against base and checks its scheme: http and https
// everywhere, mailto for links, data: raster images for images.
func resolveURL(v string, base *url.URL, img bool) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil {
		return "", false
	}
	if !u.IsAbs() {
		if base == nil {
			return "", false
		}
		u = base.ResolveReference(u)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", false
		}
	case "mailto":
		if img {
			return "", false
		}
	case "data":
		if !img || !dataImage.MatchString(u.Opaque) {
			return "", false
		}
	default:
		return "", false
	}
	return u.String(), true
}

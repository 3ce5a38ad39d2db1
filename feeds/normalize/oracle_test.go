package normalize

// The sanitising pipeline as it was before finish was rewritten to read
// tags with TagName/TagAttr and before cleanText, plain-text fields and
// ContentHash got their fast paths: frozen here, names prefixed with "old",
// as the oracle the differential tests and fuzzers compare the current code
// against (differential_test.go). Only tests use it.

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// OracleHTML is Normalizer.HTML as it was, with n's policy.
func OracleHTML(n *Normalizer, raw, base string) string { return oldHTML(n.policy, raw, base) }

// OracleCleanText and CleanText export the old and the current cleanText.
var (
	OracleCleanText = oldCleanText
	CleanText       = cleanText
)

// OracleContentHash is ContentHash as it was.
var OracleContentHash = oldContentHash

// oldHTML is Normalizer.HTML as it was.
func oldHTML(p *bluemonday.Policy, raw, base string) string {
	if raw == "" {
		return ""
	}
	raw = oldCleanText(cutBytes(raw, MaxRawHTMLBytes), false)
	s := p.Sanitize(raw)
	return strings.TrimSpace(oldFinish(s, baseURL(base), MaxHTMLBytes))
}

// oldVoidElements are written as "<x/>" and never pushed on the open stack.
var oldVoidElements = map[string]bool{"br": true, "hr": true, "img": true}

// oldMaxDepth bounds element nesting in the output. Deeper start tags are
// dropped (their text stays): nothing a person writes nests deeper, XML
// parsers of feed readers refuse documents that nest without end, and it
// keeps oldFinish linear in the input.
const oldMaxDepth = 64

// oldElements are the non-void oldElements the policy allows, indexed so that sets
// of them fit in a uint64. The void ones are oldVoidElements.
var oldElements = []string{
	"a", "p", "ul", "ol", "li", "dl", "dt", "dd",
	"figure", "figcaption", "blockquote", "pre", "code", "kbd", "samp", "var",
	"em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
	"h1", "h2", "h3", "h4", "h5", "h6",
	"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
	"abbr", "cite", "q", "time",
}

// oldElementID maps an element name to its index in oldElements.
var oldElementID = func() map[string]uint8 {
	m := make(map[string]uint8, len(oldElements))
	for i, e := range oldElements {
		m[e] = uint8(i)
	}
	return m
}()

// oldSet is a oldSet of oldElements as a bit mask over oldElementID.
func oldSet(names ...string) uint64 {
	var m uint64
	for _, n := range names {
		m |= 1 << oldElementID[n]
	}
	return m
}

// oldFinish re-serialises sanitised HTML: it resolves and re-checks URLs per
// element, sets rel on links, closes oldElements an HTML parser would close
// implicitly, drops end tags that close nothing and start tags nested
// deeper than oldMaxDepth, caps the output at max bytes on a token boundary and
// closes every open element. It only writes tokens the sanitiser already
// let through, so cutting here cannot let anything new in.
func oldFinish(s string, base *url.URL, max int) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(min(len(s)+len(s)/8, max))
	open := make([]uint8, 0, oldMaxDepth)
	closing := 0 // bytes needed to close everything open
	fits := func(n int) bool { return b.Len()+n+closing <= max }
	pop := func(n int) {
		for range n {
			name := oldElements[open[len(open)-1]]
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
			if !fits(oldEscapedLen(text)) {
				b.WriteString(oldEscapedPrefix(text, max-b.Len()-closing))
				break loop
			}
			oldWriteEscaped(&b, text)
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			void := oldVoidElements[tok.Data]
			id, known := oldElementID[tok.Data]
			if !void && (!known || len(open) >= oldMaxDepth) || !oldFixAttrs(&tok, base) {
				continue
			}
			t := oldStartTag(tok, void)
			end := len(tok.Data) + 3
			if void {
				end = 0
			}
			if !fits(len(t) + end) {
				break loop
			}
			pop(oldImplied(open, tok.Data))
			b.WriteString(t)
			if !void {
				open = append(open, id)
				closing += end
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			id, known := oldElementID[string(name)]
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

// oldCloseRule says which open element a start tag ends, as an HTML parser
// would ("<li>a<li>b" is two items, not one inside the other), and which
// open oldElements stop the search for it.
type oldCloseRule struct {
	ends, stop uint64
}

// Close rules: per start tag, and the one for open paragraphs, which every
// block element ends.
var (
	oldListRule    = oldCloseRule{oldSet("li"), oldSet("ul", "ol", "table", "td", "th", "caption")}
	oldDefRule     = oldCloseRule{oldSet("dt", "dd"), oldSet("dl", "table", "td", "th", "caption")}
	oldCellRule    = oldCloseRule{oldSet("td", "th"), oldSet("tr", "table")}
	oldSectionRule = oldCloseRule{oldSet("thead", "tbody", "tfoot"), oldSet("table")}
	oldCloseRules  = map[string]oldCloseRule{
		"li": oldListRule, "dt": oldDefRule, "dd": oldDefRule, "td": oldCellRule, "th": oldCellRule,
		"tr":    {oldSet("tr"), oldSet("table", "thead", "tbody", "tfoot")},
		"thead": oldSectionRule, "tbody": oldSectionRule, "tfoot": oldSectionRule,
	}
	oldParaRule  = oldCloseRule{oldSet("p"), oldSet("table", "td", "th", "caption")}
	oldEndsParas = map[string]bool{"p": true, "ul": true, "ol": true, "li": true, "dl": true,
		"dt": true, "dd": true, "blockquote": true, "figure": true, "figcaption": true,
		"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
		"hr": true, "pre": true, "table": true}
)

// oldImplied returns how many open oldElements (from the top of the stack) a
// start tag of name closes.
func oldImplied(open []uint8, name string) int {
	n := 0
	if r, ok := oldCloseRules[name]; ok {
		n = r.depth(open)
	}
	if oldEndsParas[name] {
		n += oldParaRule.depth(open[:len(open)-n])
	}
	return n
}

// depth is how many oldElements must be popped from open to close the
// innermost element r ends, or 0 when a stop element comes first.
func (r oldCloseRule) depth(open []uint8) int {
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

// oldHtmlEscapes are the replacements html.EscapeString makes.
var oldHtmlEscapes = [256]string{'&': "&amp;", '<': "&lt;", '>': "&gt;", '"': "&#34;", '\'': "&#39;"}

// oldEscapedLen is len(html.EscapeString(string(text))) without building it.
func oldEscapedLen(text []byte) int {
	n := len(text)
	for _, c := range text {
		if e := oldHtmlEscapes[c]; e != "" {
			n += len(e) - 1
		}
	}
	return n
}

// oldWriteEscaped writes html.EscapeString(string(text)) to b without the
// intermediate strings.
func oldWriteEscaped(b *strings.Builder, text []byte) {
	last := 0
	for i, c := range text {
		if e := oldHtmlEscapes[c]; e != "" {
			b.Write(text[last:i])
			b.WriteString(e)
			last = i + 1
		}
	}
	b.Write(text[last:])
}

// oldEscapedPrefix returns the escaped form of the longest prefix of text,
// cut on a rune boundary, whose escaped form fits in n bytes.
func oldEscapedPrefix(text []byte, n int) string {
	size, cut := 0, 0
	for i, c := range text {
		if utf8.RuneStart(c) {
			cut = i // text[:i] fits
		}
		if e := oldHtmlEscapes[c]; e != "" {
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
	oldWriteEscaped(&b, text)
	return b.String()
}

// oldStartTag writes a start tag; void oldElements in the "<x/>" form that both
// HTML and XML parsers read alike.
func oldStartTag(t html.Token, void bool) string {
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
		oldWriteEscaped(&b, []byte(a.Val))
		b.WriteByte('"')
	}
	if void {
		b.WriteByte('/')
	}
	b.WriteByte('>')
	return b.String()
}

// oldFixAttrs resolves and re-checks the URL attributes of a sanitised start
// tag and sets rel on links. It reports false when the element must go (an
// img without a usable src, an a without a usable href; the latter's text stays).
func oldFixAttrs(t *html.Token, base *url.URL) bool {
	switch t.DataAtom {
	case atom.A:
		attrs := t.Attr[:0]
		href := false
		for _, a := range t.Attr {
			if a.Key == "href" {
				v, ok := oldResolveURL(a.Val, base, false)
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
				v, ok := oldResolveURL(a.Val, base, true)
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

// oldResolveURL resolves v against base and checks its scheme: http and https
// everywhere, mailto for links, data: raster images for images.
func oldResolveURL(v string, base *url.URL, img bool) (string, bool) {
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

// oldCleanText makes s valid UTF-8 (invalid bytes become U+FFFD) and drops the
// runes oldKeepRune refuses. It returns s itself when nothing changes.
func oldCleanText(s string, plain bool) string {
	ok := utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if !oldKeepRune(r, plain) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if oldKeepRune(r, plain) {
			return r
		}
		return -1
	}, s)
}

// oldContentHash is a hex digest (128 bits of SHA-256) of what readers see of
// an article: title, link, summary, content and author. The store updates a
// kept article when it changes.
func oldContentHash(a feeds.Article) string {
	h := sha256.New()
	for _, s := range []string{a.Title, a.Link, a.Summary, a.Content, a.Author} {
		h.Write([]byte(s))
		h.Write([]byte{0}) // cleaned text never holds NUL
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// oldKeepRune reports whether r may appear in stored text: XML 1.0 Char
// production, minus C1 controls, the BOM, and (when plain is set, for
// one-line plain text such as titles) bidi embeddings, overrides and
// isolates, which let a title reverse the text around it where it is shown.
func oldKeepRune(r rune, plain bool) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20, r >= 0x7f && r <= 0x9f: // C0, DEL, C1
		return false
	case r == 0xFEFF, r == 0xFFFE, r == 0xFFFF:
		return false
	case r >= 0xD800 && r <= 0xDFFF, r > unicode.MaxRune:
		return false
	case plain && (r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069):
		return false
	}
	return true
}

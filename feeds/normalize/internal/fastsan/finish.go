package fastsan

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// maxDepth bounds element nesting in the output. Deeper start tags are
// dropped (their text stays): nothing a person writes nests deeper, XML
// parsers of feed readers refuse documents that nest without end, and it
// keeps finish linear in the input.
const maxDepth = 64

// tagNames maps an element id (see tagID) to its name.
var tagNames = append(Elements[:len(Elements):len(Elements)], VoidElements...)

// tagID maps an allowed element's name to its id; ids from len(Elements)
// on are void elements.
var tagID = func() map[string]uint8 {
	if len(tagNames) > 64 {
		panic("fastsan: more than 64 allowed elements")
	}
	m := make(map[string]uint8, len(tagNames))
	for i, e := range tagNames {
		m[e] = uint8(i)
	}
	return m
}()

// isVoid reports whether element id is a void element.
func isVoid(id uint8) bool { return int(id) >= len(Elements) }

// set is a set of elements as a bit mask over tagID.
func set(names ...string) uint64 {
	var m uint64
	for _, n := range names {
		id, ok := tagID[n]
		if !ok {
			panic("fastsan: unknown element " + n)
		}
		m |= 1 << id
	}
	return m
}

// finish re-serialises sanitised HTML: it resolves and re-checks URLs per
// element, sets rel on links, closes elements an HTML parser would close
// implicitly, drops end tags that close nothing and start tags nested
// deeper than maxDepth, caps the output at max bytes on a token boundary and
// closes every open element. It only writes tokens the sanitiser already
// let through, so cutting here cannot let anything new in.
//
// With direct set it reads the raw input instead and does the sanitiser's
// work itself (see direct.go for what that covers and why it is the same);
// it reports false, having written nothing anyone sees, as soon as the
// input holds anything it leaves to the sanitiser.
//
// It reads tags with TagName and TagAttr rather than Token, and builds each
// start tag in one reused buffer: this pass runs on every article, and
// Token's strings and attribute slices would be most of its cost.
func finish(z tokens, size int, base *Base, max int, direct bool) (string, bool) {
	var b strings.Builder
	b.Grow(min(size+size/8, max))
	open := make([]uint8, 0, maxDepth)
	closing := 0   // bytes needed to close everything open
	var tag []byte // the start tag being built
	fits := func(n int) bool { return b.Len()+n+closing <= max }
	pop := func(n int) {
		for range n {
			name := tagNames[open[len(open)-1]]
			open = open[:len(open)-1]
			closing -= len(name) + 3
			b.WriteString("</")
			b.WriteString(name)
			b.WriteByte('>')
		}
	}
	var s *sanitiser // direct: the sanitiser's state, nil otherwise
	if direct {
		s = &sanitiser{}
	}
loop:
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			break loop
		case html.TextToken:
			if s != nil && !s.text() {
				continue
			}
			text := z.Text()
			// Escaping at most quintuples text ("'" is "&#39;"): count
			// exactly only near the cap.
			if !fits(maxEscapedLen*len(text)) && !fits(escapedLen(text)) {
				b.WriteString(escapedPrefix(text, max-b.Len()-closing))
				break loop
			}
			writeEscaped(&b, text)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			id, known := tagID[string(name)]
			if s != nil {
				// Directly, the depth is checked after the attributes,
				// which decide whether the sanitiser removes an a and,
				// with it, its end tag.
				if !s.start(name, known, tt == html.StartTagToken) {
					continue
				}
			} else if !known || !isVoid(id) && len(open) >= maxDepth {
				continue
			}
			var fate tagFate
			if tag, fate = startTag(tag[:0], z, id, hasAttr, base, direct); fate != tagKept {
				switch fate {
				case tagUndecided:
					return "", false
				case tagRemoved:
					if tt == html.StartTagToken {
						s.unclosed = append(s.unclosed, id)
					}
				}
				continue
			}
			if s != nil && s.skipping || !isVoid(id) && len(open) >= maxDepth {
				continue
			}
			end := 0
			if !isVoid(id) {
				end = len(tagNames[id]) + 3
			}
			if !fits(len(tag) + end) {
				break loop
			}
			pop(implied(open, id))
			b.Write(tag)
			if !isVoid(id) {
				open = append(open, id)
				closing += end
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			id, known := tagID[string(name)]
			if s != nil && !s.end(name, id, known) || !known {
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
	return b.String(), true
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
	closeRules  = func() (r [64]closeRule) {
		for name, rule := range map[string]closeRule{
			"li": listRule, "dt": defRule, "dd": defRule, "td": cellRule, "th": cellRule,
			"tr":    {set("tr"), set("table", "thead", "tbody", "tfoot")},
			"thead": sectionRule, "tbody": sectionRule, "tfoot": sectionRule,
		} {
			r[tagID[name]] = rule
		}
		return r
	}()
	paraRule  = closeRule{set("p"), set("table", "td", "th", "caption")}
	endsParas = set("p", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "figure", "figcaption",
		"h1", "h2", "h3", "h4", "h5", "h6", "hr", "pre", "table")
)

// implied returns how many open elements (from the top of the stack) a
// start tag of element id closes.
func implied(open []uint8, id uint8) int {
	n := closeRules[id].depth(open)
	if endsParas&(1<<id) != 0 {
		n += paraRule.depth(open[:len(open)-n])
	}
	return n
}

// depth is how many elements must be popped from open to close the
// innermost element r ends, or 0 when a stop element comes first.
func (r closeRule) depth(open []uint8) int {
	if r.ends == 0 {
		return 0
	}
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

// maxEscapedLen is the longest escape in htmlEscapes: text escapes to at
// most this many times its length.
const maxEscapedLen = 5

// escapedLen is len(html.EscapeString(string(text))) without building it.
func escapedLen[T string | []byte](text T) int {
	n := len(text)
	for i := 0; i < len(text); i++ {
		if e := htmlEscapes[text[i]]; e != "" {
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

// appendEscaped is writeEscaped appending to a byte slice.
func appendEscaped[T string | []byte](dst []byte, text T) []byte {
	last := 0
	for i := 0; i < len(text); i++ {
		if e := htmlEscapes[text[i]]; e != "" {
			dst = append(dst, text[last:i]...)
			dst = append(dst, e...)
			last = i + 1
		}
	}
	return append(dst, text[last:]...)
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

// tagFate is what becomes of a start tag.
type tagFate uint8

const (
	tagKept      tagFate = iota // written
	tagDropped                  // dropped by finish: no usable href or src
	tagRemoved                  // direct only: the sanitiser would have removed it
	tagUndecided                // direct only: left to the sanitiser
)

// startTag appends the current start tag of z, element id, to dst; void
// elements in the "<x/>" form that both HTML and XML parsers read alike.
// It resolves and re-checks URL attributes and sets rel on links, and
// drops the element when it must go: an img without a usable src, an a
// without a usable href (the latter's text stays). With direct set it
// first keeps only the attributes the sanitiser would have kept, as it
// would have kept them (direct.go).
func startTag(dst []byte, z tokens, id uint8, hasAttr bool, base *Base, direct bool) ([]byte, tagFate) {
	name := tagNames[id]
	isA, isImg := id == idA, id == idImg
	dst = append(dst, '<')
	dst = append(dst, name...)
	usable := false // a usable href or src was written
	kept := 0       // direct: attributes the sanitiser would have kept
	for more := hasAttr; more; {
		var key, val []byte
		key, val, more = z.TagAttr()
		if direct {
			if !keepAttr(id, key, val) {
				continue
			}
			if isA && string(key) == "href" || isImg && string(key) == "src" {
				v, fate := directURL(val, base, isImg)
				switch fate {
				case urlRemoved:
					continue
				case urlUndecided:
					return dst, tagUndecided
				case urlRefused:
					// The sanitiser keeps it, finish refuses it.
					if isImg {
						return dst, tagDropped
					}
					kept++
					continue
				}
				dst = appendAttr(dst, key, v)
				usable = true
			} else {
				dst = appendAttr(dst, key, val)
			}
			kept++
			continue
		}
		switch {
		case isA && string(key) == "rel":
			continue // replaced by linkRel below
		case isA && string(key) == "href" || isImg && string(key) == "src":
			v, ok := resolveURL(string(val), base, isImg)
			if !ok {
				if isImg {
					return dst, tagDropped
				}
				continue
			}
			dst = appendAttr(dst, key, v)
			usable = true
		default:
			dst = appendAttr(dst, key, val)
		}
	}
	if direct && kept == 0 && needsAttrs(id) {
		return dst, tagRemoved
	}
	if (isA || isImg) && !usable {
		return dst, tagDropped
	}
	if isA {
		dst = appendAttr(dst, "rel", linkRel)
	}
	if isVoid(id) {
		dst = append(dst, '/')
	}
	return append(dst, '>'), tagKept
}

// appendAttr appends ` key="val"` with val escaped.
func appendAttr[K, V string | []byte](dst []byte, key K, val V) []byte {
	dst = append(dst, ' ')
	dst = append(dst, key...)
	dst = append(dst, '=', '"')
	dst = appendEscaped(dst, val)
	return append(dst, '"')
}

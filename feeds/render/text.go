package render

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// clean makes s safe to write into XML 1.0 and JSON: invalid UTF-8 becomes
// U+FFFD, and runes outside XML's Char production are dropped, as are DEL
// and the C1 controls (legal in XML, but never meaningful text).
func clean(s string) string {
	if isClean(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if xmlChar(r) {
			return r
		}
		return -1
	}, s)
}

// isClean reports whether clean would return s unchanged (the common case,
// checked without allocating).
func isClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !xmlChar(rune(c)) {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || !xmlChar(r) {
			return false
		}
		i += n
	}
	return true
}

// xmlChar is XML 1.0's Char production without DEL and C1 controls.
func xmlChar(r rune) bool {
	switch {
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r < 0x7F:
		return true
	case r >= 0xA0 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}

// bidiOverride reports the explicit embedding, override and isolate
// controls, which let a title reorder the text around it.
func bidiOverride(r rune) bool {
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// line is s as one line of plain text: clean, without bidi overrides, with
// runs of white space collapsed to one space and trimmed.
func line(s string) string {
	if plainLine(s) {
		return s
	}
	s = clean(s)
	s = strings.Map(func(r rune) rune {
		if bidiOverride(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// plainLine reports whether line would return s unchanged because it is
// printable ASCII with single spaces between words (most names, URLs and
// titles), checked without allocating: /sources calls line four times a
// source.
func plainLine(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= ' ' && (c != ' ' || i == 0 || i == len(s)-1 || s[i-1] == ' '):
			return false
		case c >= 0x7f:
			return false
		}
	}
	return true
}

// truncate cuts s to at most n runes, at a word boundary when it can,
// adding an ellipsis when it cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:.") + "…"
}

// blockTag reports the elements after which plain text needs a space.
func blockTag(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Br, atom.Div, atom.Li, atom.Ul, atom.Ol, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Tr, atom.Td, atom.Th, atom.Blockquote, atom.Pre,
		atom.Figure, atom.Figcaption, atom.Hr, atom.Img, atom.Section, atom.Article, atom.Dd, atom.Dt:
		return true
	}
	return false
}

// plainText is the text of an HTML fragment as one line, for JSON Feed's
// plain-text summary and for titles derived from a summary.
func plainText(h string) string {
	if !strings.ContainsAny(h, "<&") {
		return line(h)
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(h))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return line(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if a == atom.Script || a == atom.Style {
				skip++
			}
			if blockTag(a) {
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if (a == atom.Script || a == atom.Style) && skip > 0 {
				skip--
			}
			if blockTag(a) {
				b.WriteByte(' ')
			}
		}
	}
}

// slug turns a title into a source name: lower-case ASCII letters, digits
// and single dashes, accents removed ("Le Monde – Économie" → "le-monde-economie").
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(line(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case r >= 'A' && r <= 'Z':
			b.WriteRune(unicode.ToLower(r))
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 60 {
		out = strings.Trim(out[:60], "-")
	}
	return out
}

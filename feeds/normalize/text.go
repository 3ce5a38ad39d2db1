package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// Caps on plain-text fields, in runes. A feed may send a 5 MB title; the
// store and every published document get at most this much.
const (
	MaxTitleRunes  = 1000
	MaxAuthorRunes = 200
	MaxGUIDBytes   = 512
)

// fallbackTitleWords is how many words of the summary make a title for an
// item that has none.
const fallbackTitleWords = 12

// keepRune reports whether r may appear in stored text: XML 1.0 Char
// production, minus C1 controls, the BOM, and (when plain is set, for
// one-line plain text such as titles) bidi embeddings, overrides and
// isolates, which let a title reverse the text around it where it is shown.
func keepRune(r rune, plain bool) bool {
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

// cleanText makes s valid UTF-8 (invalid bytes become U+FFFD) and drops the
// runes keepRune refuses. It returns s itself when nothing changes.
func cleanText(s string, plain bool) string {
	if isClean(s, plain) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if keepRune(r, plain) {
			return r
		}
		return -1
	}, s)
}

// isClean reports whether s is valid UTF-8 and keepRune keeps all of it, in
// one pass that decodes only non-ASCII runes and takes runs of printable
// ASCII eight bytes at a time: this runs on every field of every item,
// twice on HTML, and nearly all of them are clean.
func isClean(s string, plain bool) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for i := 0; i < len(s); {
		end := len(s)
		if i+8 <= len(s) {
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			// A byte of 0x80 or more sets its high bit in w; one below
			// 0x20 borrows, setting a high bit in w-0x20.. (no borrow
			// starts at a byte of 0x20 to 0x7f). With all bytes below
			// 0x80, a byte of 0x7f is a zero byte of x.
			x := w ^ 0x7f*ones
			if (w|(w-0x20*ones)|(x-ones)&^x)&highs == 0 {
				i += 8 // printable ASCII
				continue
			}
			end = i + 8
		}
		for i < end { // byte by byte (rune by rune) up to end or past it
			if c := s[i]; c < utf8.RuneSelf {
				if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
					return false
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || !keepRune(r, plain) {
				return false // invalid UTF-8, or a rune to drop
			}
			i += size
		}
	}
	return true
}

// collapse trims s and turns every run of white space into one space.
func collapse(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// cutBytes cuts s to at most n bytes on a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// capRunes cuts s to at most n runes, the last being an ellipsis when cut.
func capRunes(s string, n int) string {
	if len(s) <= n { // bytes >= runes
		return s
	}
	i, count := 0, 0
	for j := range s {
		if count == n-1 {
			i = j
		}
		count++
		if count > n {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
		}
	}
	return s
}

// Title returns a feed's title (or any one-line field) as plain text: tags
// stripped, entities decoded once, white space collapsed, invalid UTF-8
// repaired, control characters, bidi overrides and characters XML forbids
// removed, and at most MaxTitleRunes runes.
func Title(raw string) string {
	return plainLine(raw, MaxTitleRunes)
}

// plainLine is Title with a cap of n runes.
func plainLine(raw string, n int) string {
	// Cap before the work: a 5 MB title costs no more than a long one.
	raw = cutBytes(raw, 16*n)
	return capRunes(collapse(cleanText(htmlText(raw), true)), n)
}

// TitleKey is the form titles are compared in across sources: NFKC, lower
// case, only letters, digits and combining marks, words separated by one
// space. "Breaking: Oil Prices—Rise!" and "breaking oil prices rise" share a key.
func TitleKey(title string) string {
	title = norm.NFKC.String(title)
	var b strings.Builder
	b.Grow(len(title))
	space := false
	for _, r := range title {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		space = b.Len() > 0
	}
	// Lowering a letter before its combining mark can make a pair that
	// composes ("J" and a caron, lowered, are "ǰ"): normalised again, a key
	// is its own key.
	return norm.NFKC.String(b.String())
}

// WordCount is the number of words in TitleKey(title): what the store's
// "too generic to merge by title" rule counts.
func WordCount(title string) int {
	k := TitleKey(title)
	if k == "" {
		return 0
	}
	return strings.Count(k, " ") + 1
}

// Text returns the plain text of an HTML fragment: the text people would
// read, entities decoded, script and style content dropped, block elements
// separated by spaces, white space collapsed. Tag rules match against it.
func Text(h string) string {
	return collapse(cleanText(htmlText(h), false))
}

// blockBreak lists elements whose boundaries separate words.
var blockBreak = map[atom.Atom]bool{
	atom.Br: true, atom.P: true, atom.Div: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Tr: true, atom.Td: true, atom.Th: true, atom.Table: true, atom.Blockquote: true,
	atom.Pre: true, atom.Hr: true, atom.Dt: true, atom.Dd: true, atom.Dl: true,
	atom.Figure: true, atom.Figcaption: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Img: true,
}

// htmlText returns the text tokens of h with entities decoded. Raw text
// elements (script, style, …) are skipped. A string without '<' or '&' is
// returned as is.
func htmlText(h string) string {
	if !strings.ContainsAny(h, "<&") {
		return h
	}
	z := html.NewTokenizer(strings.NewReader(h))
	var b strings.Builder
	b.Grow(len(h))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Template, atom.Noscript, atom.Iframe, atom.Object, atom.Title, atom.Textarea, atom.Xmp, atom.Noembed, atom.Noframes:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			}
			if blockBreak[a] {
				b.WriteByte(' ')
			}
		}
	}
}

// firstWords returns up to n words of the plain text s, with an ellipsis
// when more followed.
func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) <= n {
		return strings.Join(f, " ")
	}
	return strings.Join(f[:n], " ") + "…"
}

package tag

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenizer splits text into lower-case words. A word is a run of letters,
// digits and combining marks; every other rune separates words. Han,
// Hiragana and Katakana runes are words of their own, since those scripts
// put no spaces between words: a rule "北京" then matches as the two-rune
// sequence wherever it occurs. Lower-casing is rune by rune
// (unicode.ToLower), the same for rules and for text.
//
// Words are written, lower-cased, to one buffer, so tokenising a field costs
// a few allocations however many words it has; a tokenizer is reused
// through the Tagger's pool.
type tokenizer struct {
	buf   []byte
	spans []int32 // start, end offsets into text of each word
	text  string  // buf as a string, after done
	start int     // start of the word being read, or -1
}

// reset empties z for a new field.
func (z *tokenizer) reset() {
	z.buf, z.spans, z.text, z.start = z.buf[:0], z.spans[:0], "", -1
}

// end closes the word being read, if any.
func (z *tokenizer) end() {
	if z.start >= 0 {
		z.spans = append(z.spans, int32(z.start), int32(len(z.buf)))
		z.start = -1
	}
}

// add feeds one rune.
func (z *tokenizer) add(r rune) {
	switch {
	case r < utf8.RuneSelf:
		c := byte(r)
		switch {
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		default:
			z.end()
			return
		}
		if z.start < 0 {
			z.start = len(z.buf)
		}
		z.buf = append(z.buf, c)
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
		z.end()
		z.start = len(z.buf)
		z.buf = utf8.AppendRune(z.buf, r)
		z.end()
	case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
		if z.start < 0 {
			z.start = len(z.buf)
		}
		z.buf = utf8.AppendRune(z.buf, unicode.ToLower(r))
	default:
		z.end()
	}
}

// feed tokenises s. With markup set, s is HTML: tags separate words and
// are skipped, character references are decoded. (Sanitised HTML has no
// scripts, styles or comments, so nothing else needs care.)
func (z *tokenizer) feed(s string, markup bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if markup && c == '<' {
			z.end()
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return
			}
			i += j + 1
			continue
		}
		if markup && c == '&' {
			if n := entityLen(s[i:]); n > 0 {
				if r, ok := commonEntities[s[i:i+n]]; ok {
					z.add(r)
				} else {
					for _, r := range html.UnescapeString(s[i : i+n]) {
						z.add(r)
					}
				}
				i += n
				continue
			}
		}
		if c < utf8.RuneSelf {
			z.add(rune(c))
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		z.add(r)
		i += n
	}
}

// commonEntities are decoded without html.UnescapeString's allocation.
var commonEntities = map[string]rune{
	"&amp;": '&', "&lt;": '<', "&gt;": '>', "&quot;": '"', "&#34;": '"', "&#39;": '\'', "&apos;": '\'',
	"&nbsp;": 0xA0, "&ldquo;": 0x201C, "&rdquo;": 0x201D, "&lsquo;": 0x2018, "&rsquo;": 0x2019,
	"&mdash;": 0x2014, "&ndash;": 0x2013, "&hellip;": 0x2026,
}

// entityLen is the length of the character reference at the start of s
// ("&amp;", "&#233;", "&#x263A;"), or 0 when there is none.
func entityLen(s string) int {
	for i := 1; i < len(s) && i < 34; i++ {
		c := s[i]
		switch {
		case c == ';':
			if i == 1 {
				return 0
			}
			return i + 1
		case c == '#' && i == 1, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			return 0
		}
	}
	return 0
}

// done finishes the field; afterwards word(i) and n are valid.
func (z *tokenizer) done() {
	z.end()
	z.text = string(z.buf)
}

// n is the number of words.
func (z *tokenizer) n() int { return len(z.spans) / 2 }

// word is the i-th word.
func (z *tokenizer) word(i int) string { return z.text[z.spans[2*i]:z.spans[2*i+1]] }

// words returns the lower-case words of plain text s (for compiling rules).
func words(s string) []string {
	z := &tokenizer{start: -1}
	z.feed(s, false)
	z.done()
	out := make([]string, z.n())
	for i := range out {
		out[i] = z.word(i)
	}
	return out
}

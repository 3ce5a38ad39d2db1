package tag

import (
	"html"
	"unicode"
	"unicode/utf8"
)

// wordReader splits a field into tokens for Terms, remembering what
// tokenizer forgets: capitals, sentence starts and punctuation between
// words. A word is a run of letters, digits and marks; a hyphen or an
// apostrophe between two letters stays inside it ("ez-Zor", "O'Brien");
// an English possessive ("Syria's") and a French or Italian elision
// ("l'armée", "dell'esercito") are dropped.
type wordReader struct {
	sc      *termScratch
	field   uint8
	start   int  // start of the word being read in sc.buf, or -1 when none
	joiner  rune // a hyphen or apostrophe just read inside the word, else 0
	capital bool // the word (or its part after the last hyphen) starts upper-case
	initial bool // the next word starts a sentence
	brk     bool // punctuation since the last word
	partCap bool // the current part starts upper-case
	inPart  bool // a part has started
	apos    int  // offset in sc.buf of the apostrophe, or -1
	upper   bool // no lower-case letter in the word so far
}

func (r *wordReader) add(x rune) {
	if x < utf8.RuneSelf {
		r.addASCII(byte(x))
		return
	}
	switch {
	case unicode.IsLetter(x) || unicode.IsDigit(x) || unicode.IsMark(x):
		if unicode.In(x, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			// No spaces between words: each rune is read as a word,
			// and Terms pairs them up.
			r.end()
			r.begin()
			r.put(x)
			r.end()
			r.brk = false
			return
		}
		if r.start < 0 {
			r.begin()
		}
		if r.joiner != 0 {
			if r.joiner == '-' {
				r.sc.buf = append(r.sc.buf, '-')
			} else {
				r.apos = len(r.sc.buf)
			}
			r.joiner, r.inPart = 0, false
		}
		if !r.inPart {
			r.inPart, r.partCap = true, unicode.IsUpper(x)
			if r.partCap {
				r.capital = true
			}
		}
		r.put(x)
	default:
		r.addOther(x)
	}
}

// addOther reads a rune that is no part of a word but a joiner: a hyphen
// or an apostrophe inside a word, else a separator.
func (r *wordReader) addOther(x rune) {
	if (x == '-' || x == '\'' || x == '’' || x == '‐') && r.start >= 0 && r.joiner == 0 {
		if x == '’' {
			x = '\''
		}
		if x == '‐' {
			x = '-'
		}
		r.joiner = x
		return
	}
	r.end()
	switch x {
	case '.', '!', '?', ':', ';', '…', '|', '•', '\n':
		r.initial = true
		r.brk = true
	case ' ', '\t', '\r', 0xA0:
	default:
		if !unicode.IsSpace(x) {
			r.brk = true
		}
	}
}

// addASCII is add for the common case, without the unicode tables.
func (r *wordReader) addASCII(c byte) {
	upper := 'A' <= c && c <= 'Z'
	if !upper && !('a' <= c && c <= 'z') && !('0' <= c && c <= '9') {
		r.addOther(rune(c))
		return
	}
	if r.start < 0 {
		r.begin()
	}
	sc := r.sc
	if r.joiner != 0 {
		if r.joiner == '-' {
			sc.buf = append(sc.buf, '-')
		} else {
			r.apos = len(sc.buf)
		}
		r.joiner, r.inPart = 0, false
	}
	if !r.inPart {
		r.inPart, r.partCap = true, upper
		r.capital = r.capital || upper
	}
	if upper {
		sc.caps[r.field]++
		c += 'a' - 'A'
	} else if c >= 'a' {
		sc.lowers[r.field]++
		r.upper = false
	}
	sc.buf = append(sc.buf, c)
}

func (r *wordReader) put(x rune) {
	sc := r.sc
	if unicode.IsUpper(x) {
		sc.caps[r.field]++
	} else if unicode.IsLower(x) {
		sc.lowers[r.field]++
		r.upper = false
	}
	if x < utf8.RuneSelf {
		c := byte(x)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		sc.buf = append(sc.buf, c)
		return
	}
	sc.buf = utf8.AppendRune(sc.buf, unicode.ToLower(x))
}

func (r *wordReader) begin() {
	r.start, r.apos, r.capital, r.inPart, r.joiner, r.upper = len(r.sc.buf), -1, false, false, 0, true
}

// space is an inline tag: it separates words and nothing more.
func (r *wordReader) space() { r.end() }

// boundary is a block tag: it ends a sentence.
func (r *wordReader) boundary() {
	r.end()
	r.initial, r.brk = true, true
}

// end closes the word being read.
func (r *wordReader) end() {
	if r.start < 0 {
		return
	}
	sc := r.sc
	start, end := r.start, len(sc.buf)
	if r.apos >= 0 {
		tail := string(sc.buf[r.apos:end])
		head := r.apos - start
		switch {
		case tail == "s" || tail == "t" || tail == "ll" || tail == "re" || tail == "ve" || tail == "d":
			end = r.apos // possessive or contraction: keep the head
		case head <= 4 && utf8.RuneCount(sc.buf[start:r.apos]) <= 3 && !r.partCap:
			start = r.apos // elision: keep the tail
		}
	}
	begun := r.start
	possessive := r.apos >= 0 && end == r.apos
	r.start, r.joiner = -1, 0
	if end <= start {
		sc.buf = sc.buf[:begun]
		return
	}
	sc.toks = append(sc.toks, token{start: int32(start), end: int32(end), field: r.field,
		capital: r.capital, upper: r.upper && r.capital, initial: r.initial, brk: r.brk})
	// "Syria's Deir ez-Zor" is two names, not one.
	r.initial, r.brk = false, possessive
}

// htmlUnescape decodes a character reference commonEntities lacks.
func htmlUnescape(ref string) string { return html.UnescapeString(ref) }

// synonyms fold the spellings different outlets use for one name, as
// labels (after Normalize). They are applied to categories and to key
// terms alike, before stemming, so "ISIL" in one feed and "Islamic State"
// in another are one key. Admin aliases (tags.aliases) come first.
var synonyms = map[string]string{
	"isis": "islamic-state", "isil": "islamic-state", "daesh": "islamic-state", "isil-isis": "islamic-state",
	"isis-isil": "islamic-state", "islamic-state-group": "islamic-state",
	"mideast": "middle-east", "mid-east": "middle-east",
	"usa": "united-states", "u-s": "united-states", "u-s-a": "united-states", "america": "united-states",
	"u-k": "united-kingdom", "britain": "united-kingdom", "great-britain": "united-kingdom",
	"u-n": "united-nations", "e-u": "european-union",
	"gaza-strip": "gaza", "vatican-city": "vatican", "holy-see": "vatican",
}

// abbreviations are synonyms only when written in capitals: "US" is the
// country, "us" a pronoun.
var abbreviations = map[string]string{
	"us": "united-states", "uk": "united-kingdom", "un": "united-nations", "eu": "european-union",
}

// sectionSynonyms fold the names outlets give the same section. They apply
// to categories only: in text, "international" is a word, not a section.
var sectionSynonyms = map[string]string{
	"world-news": "world", "international": "world", "global": "world", "world-affairs": "world",
	"middle-east-news": "middle-east", "us-news": "united-states", "uk-news": "united-kingdom",
	"us": "united-states", "uk": "united-kingdom", "un": "united-nations", "eu": "european-union",
	"sports": "sport", "sport-news": "sport", "sports-news": "sport",
	"tech": "technology", "technology-news": "technology", "sci-tech": "technology",
	"biz": "business", "business-news": "business", "economy-news": "economy",
	"politics-news": "politics", "us-politics": "politics", "health-news": "health",
}

package tag

import (
	"iter"
	"strings"
	"sync"
	"unicode"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/dutch"
	"github.com/blevesearch/snowballstem/english"
	"github.com/blevesearch/snowballstem/french"
	"github.com/blevesearch/snowballstem/german"
	"github.com/blevesearch/snowballstem/italian"
	"github.com/blevesearch/snowballstem/portuguese"
	"github.com/blevesearch/snowballstem/russian"
	"github.com/blevesearch/snowballstem/spanish"
)

// A language feedloom can stem and knows the stop words of. Text in any
// other language is still read: its words are compared as written.
type language struct {
	code string
	stem func(*snowballstem.Env) bool
	stop string // space-separated, lower case
}

// languages are those of the feeds feedloom was tried on; each has a
// Snowball stemmer. Stop lists are the function words of the language
// plus, for English, the words every news story uses ("said", "officials",
// weekdays), which would otherwise crowd out the words that say what a
// story is about.
var languages = []language{
	{"en", english.Stem, stopEN},
	{"ru", russian.Stem, stopRU},
	{"fr", french.Stem, stopFR},
	{"es", spanish.Stem, stopES},
	{"de", german.Stem, stopDE},
	{"pt", portuguese.Stem, stopPT},
	{"it", italian.Stem, stopIT},
	{"nl", dutch.Stem, stopNL},
}

// langIndex maps a language code to its index in languages.
func langIndex(code string) int {
	for i := range languages {
		if languages[i].code == code {
			return i
		}
	}
	return -1
}

// stopTable maps a stop word to the bit set of the languages listing it.
// It is built once, on first use, and never changed.
var stopTable = sync.OnceValue(func() map[string]uint16 {
	m := make(map[string]uint16, 2048)
	for i, l := range languages {
		for w := range strings.FieldsSeq(l.stop) {
			m[w] |= 1 << i
		}
	}
	return m
})

// declaredLanguage reduces a declared language ("en-US", "pt_BR", "FR") to
// the index of a known language, or -1.
func declaredLanguage(s string) int {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.IndexAny(s, "-_"); i >= 0 {
		s = s[:i]
	}
	return langIndex(s)
}

// detectLanguage guesses the language of words from their stop-word bits
// (stopTable) and whether they are Cyrillic: the known language whose stop
// words occur most among them, when they make at least one word in ten
// (short texts and names say nothing). Cyrillic text with too few stop
// words is taken as Russian, the one Cyrillic language known.
func detectLanguage(words iter.Seq2[uint16, bool]) int {
	var hits [16]int
	n, cyr := 0, 0
	for bits, cyrillic := range words {
		n++
		for i := range languages {
			if bits&(1<<i) != 0 {
				hits[i]++
			}
		}
		if cyrillic {
			cyr++
		}
	}
	best := -1
	for i := range languages {
		if hits[i] > 0 && (best < 0 || hits[i] > hits[best]) {
			best = i
		}
	}
	if best >= 0 && hits[best]*10 >= n {
		return best
	}
	if cyr*2 > n {
		return langIndex("ru")
	}
	return -1
}

// stemmer stems words of one language, reusing one Snowball environment.
type stemmer struct {
	env  *snowballstem.Env
	stem func(*snowballstem.Env) bool
}

func newStemmer(li int) stemmer {
	if li < 0 {
		return stemmer{}
	}
	return stemmer{env: snowballstem.NewEnv(""), stem: languages[li].stem}
}

// word returns the stem of a lower-case word (the word itself without a
// stemmer, and for words of a script the stemmer does not know).
func (s stemmer) word(w string) string {
	if s.stem == nil || len(w) < 4 {
		return w
	}
	s.env.SetCurrent(w)
	s.stem(s.env)
	if st := s.env.Current(); st != "" {
		return st
	}
	return w
}

// scriptStemmer picks the stemmer for a tag, which carries no language:
// English for Latin script, Russian for Cyrillic. Stemming only has to
// give the same key to the inflections two outlets use ("Election",
// "elections"), which the English rules do for most Latin-script tags.
func scriptStemmer(tag string, en, ru stemmer) stemmer {
	for _, r := range tag {
		if unicode.Is(unicode.Cyrillic, r) {
			return ru
		}
		if unicode.IsLetter(r) {
			return en
		}
	}
	return en
}

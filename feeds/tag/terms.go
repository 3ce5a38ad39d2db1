package tag

import (
	"iter"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"golang.org/x/text/unicode/norm"
)

// Limits of automatic key terms (tags.auto).
const (
	DefaultAutoMax = 12   // terms an article keeps
	maxAutoMax     = 50   // the most tags.auto.max may ask for
	maxTermText    = 1200 // bytes of text read of a body: a news story says what it is about in its lead
	maxTermScan    = 8192 // bytes of a body scanned for them, markup included, so links and attributes cost a bounded time
	maxTermTokens  = 1200 // words read in all, whatever the script
	minTermRunes   = 3    // shorter words say too little ("is", "un"), but for the known abbreviations
	maxPhraseWords = 4    // the longest name taken as one term ("Floribert Bwana Chui")
	maxTermBytes   = 64   // longer terms are garbage (MaxTagRunes applies to labels too)
)

// Weights of where a word occurs and what it is.
const (
	weightTitle  = 3.0
	weightBody   = 1.0
	bonusName    = 1.5 // a capitalised word or name inside a sentence
	weightInName = 0.5 // a word of a multi-word name, counted on its own too
)

// TermKeys returns the keys of encoded terms.
func TermKeys(terms []string) []string {
	keys := make([]string, 0, len(terms))
	for _, t := range terms {
		keys = append(keys, feeds.DecodeTerm(t).Key)
	}
	return keys
}

// TermText is the text terms are taken from.
type TermText struct {
	Title    string // plain text
	Summary  string // sanitised HTML
	Content  string // sanitised HTML
	Language string // as the feed declared it; "" to detect
}

// Terms returns the article's key terms, best first, encoded (see
// feeds.Term.Encode): names and words of its title and lead, stop words of
// its language left out, weighted by where they occur and whether they are
// names. How rare a term is in the store weighs where it matters, when
// related posts score a pair (idf); choosing terms from the article alone
// keeps them the same whenever they are derived (`feedloom retag`), and
// chose as well on the labelled sets. It reads at most maxTermText bytes of
// the body's text (maxTermScan with its markup), so its cost is bounded
// whatever the article's size. It returns nil when auto terms are off.
func (t *Tagger) Terms(txt TermText) []string {
	if t.autoMax <= 0 {
		return nil
	}
	sc := t.termPool.Get().(*termScratch)
	defer t.termPool.Put(sc)
	sc.reset()
	body := txt.Content
	if min(len(txt.Summary), maxTermText) > min(len(body), maxTermText) {
		body = txt.Summary // a teaser longer than the content: the content is a stub
	}
	sc.read(txt.Title, false, fieldTitle)
	sc.read(body, true, fieldBody)
	sc.lookUpStops()
	li := declaredLanguage(txt.Language)
	if li < 0 {
		li = detectLanguage(sc.words(200))
	}
	sc.li = li
	sc.stem = newStemmer(li)
	sc.collect(t)
	return sc.best(t.autoMax)
}

const (
	fieldTitle = iota
	fieldBody
)

// token is one word as read: lower-cased text in sc.buf.
type token struct {
	start, end int32
	field      uint8
	capital    bool   // starts with an upper-case letter (or its last hyphenated part does)
	upper      bool   // capital, and no lower-case letter ("NATO", "US")
	stop       bool   // a stop word of the article's language (set by collect)
	stops      uint16 // the languages it is a stop word of (stopTable)
	initial    bool   // first word of a sentence, a line or the field
	brk        bool   // punctuation separates it from the previous word
}

// termScratch is one extraction's memory, reused through the Tagger's pool.
type termScratch struct {
	buf    []byte
	toks   []token
	cands  map[string]int32 // key -> index in order
	order  []termCand
	top    []int32 // best's indexes in order
	li     int
	stem   stemmer
	caps   [2]int          // upper-case letters of each field
	lowers [2]int          // lower-case letters of each field
	text   string          // buf as a string, after read
	firsts map[string]bool // first words of the names found in the body
	// stems remembers the stems of words in language stemLang.
	stems    map[string]string
	stemLang int
}

type termCand struct {
	key, label string
	weight     float64
	score      float64
	name       bool
	first      int // position of the first occurrence, for stable ties
}

func (sc *termScratch) reset() {
	sc.buf, sc.toks = sc.buf[:0], sc.toks[:0]
	if sc.cands == nil || len(sc.cands) > 4096 {
		sc.cands = make(map[string]int32, 256)
	} else {
		clear(sc.cands)
	}
	sc.order = sc.order[:0]
	if sc.firsts == nil {
		sc.firsts = make(map[string]bool)
	}
	clear(sc.firsts)
	sc.caps, sc.lowers = [2]int{}, [2]int{}
	sc.text = ""
}

// read tokenises one field into sc.buf and sc.toks. With markup set, s is
// sanitised HTML: tags are skipped (block tags end a sentence) and
// character references decoded.
func (sc *termScratch) read(s string, markup bool, field uint8) {
	if len(s) > maxTermScan {
		s = s[:maxTermScan]
	}
	r := wordReader{sc: sc, field: field, initial: true, start: -1, apos: -1}
	for i, text := 0, 0; i < len(s) && text < maxTermText && len(sc.toks) < maxTermTokens; {
		c := s[i]
		if markup && c == '<' {
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				break
			}
			if isBlockTag(s[i+1 : i+j]) {
				r.boundary()
			} else {
				r.space()
			}
			i += j + 1
			continue
		}
		if markup && c == '&' {
			if n := entityLen(s[i:]); n > 0 {
				for _, x := range decodeEntity(s[i : i+n]) {
					r.add(x)
				}
				i += n
				continue
			}
		}
		x, n := rune(c), 1
		if c >= utf8.RuneSelf {
			x, n = utf8.DecodeRuneInString(s[i:])
		}
		r.add(x)
		i += n
		text += n
	}
	r.end()
	sc.text = string(sc.buf)
}

// words iterates over the first n words' stop-word bits and whether they
// are Cyrillic, for detectLanguage.
func (sc *termScratch) words(n int) iter.Seq2[uint16, bool] {
	return func(yield func(uint16, bool) bool) {
		for i := range min(len(sc.toks), n) {
			r, _ := utf8.DecodeRuneInString(sc.word(i))
			if !yield(sc.toks[i].stops, r >= 0x400 && unicode.Is(unicode.Cyrillic, r)) {
				return
			}
		}
	}
}

// lookUpStops sets each token's stop-word bits, one look-up a word for
// both language detection and collect.
func (sc *termScratch) lookUpStops() {
	table := stopTable()
	for i := range sc.toks {
		sc.toks[i].stops = table[sc.word(i)]
	}
}

func (sc *termScratch) word(i int) string {
	tk := sc.toks[i]
	return sc.text[tk.start:tk.end]
}

// capsInformative reports whether capital letters mean names in field: not
// in a title (headlines capitalise every word) and not in text set mostly
// in capitals.
func (sc *termScratch) capsInformative(field uint8) bool {
	return field != fieldTitle && sc.caps[field] < sc.lowers[field]
}

// collect turns the tokens into weighted candidates: names (runs of
// capitalised words inside sentences, "Islamic State", "Deir ez-Zor") and
// single words, stop words left out.
func (sc *termScratch) collect(t *Tagger) {
	n := len(sc.toks)
	for i := range sc.toks {
		if bits := sc.toks[i].stops; bits != 0 && (sc.li < 0 || bits&(1<<sc.li) != 0) {
			sc.toks[i].stop = true
		}
	}
	for i := 0; i < n; {
		tk := sc.toks[i]
		if tk.field == fieldTitle {
			i++
			continue
		}
		if j := sc.nameEnd(i); j > i+1 {
			for k := i; k < j; k++ {
				sc.single(t, k, weightBody*weightInName, false)
			}
			sc.phrase(t, i, j, weightBody*bonusName)
			i = j
			continue
		} else if j == i+1 {
			sc.single(t, i, weightBody*bonusName, true)
			i++
			continue
		}
		sc.single(t, i, weightBody, false)
		i++
	}
	// Title words, and the names of the body that the title repeats
	// (headline capitals say nothing, so names are only recognised there).
	for i := 0; i < n && sc.toks[i].field == fieldTitle; i++ {
		sc.single(t, i, weightTitle, false)
		if !sc.firsts[sc.word(i)] {
			continue
		}
		for j := i + 2; j <= min(i+maxPhraseWords, n) && sc.toks[j-1].field == fieldTitle; j++ {
			if sc.toks[j-1].brk {
				break
			}
			key, _ := sc.phraseKey(t, i, j)
			if k, ok := sc.cands[key]; ok && sc.order[k].name {
				sc.order[k].weight += weightTitle * bonusName
			}
		}
	}
}

// isCapital reports whether token i starts a name: a capitalised word that
// is not a stop word, inside a sentence, or at its start when the next word
// is capitalised too ("Islamic State fighters ...").
func (sc *termScratch) isCapital(i int) bool {
	tk := sc.toks[i]
	if !tk.capital || !sc.capsInformative(tk.field) || tk.stop {
		return false
	}
	if !tk.initial {
		return true
	}
	return i+1 < len(sc.toks) && sc.toks[i+1].capital && !sc.toks[i+1].brk && !sc.toks[i+1].initial &&
		sc.toks[i+1].field == tk.field
}

// nameEnd returns the end of the name starting at token i (exclusive), i
// when no name starts there. A name is capitalised words, joined by at most
// one lower-case particle each ("Bank of England", "Deir ez-Zor").
func (sc *termScratch) nameEnd(i int) int {
	if !sc.isCapital(i) {
		return i
	}
	j := i + 1
	for j < len(sc.toks) && j-i < maxPhraseWords {
		nx := sc.toks[j]
		if nx.brk || nx.initial || nx.field != sc.toks[i].field {
			break
		}
		if nx.capital && !nx.stop {
			j++
			continue
		}
		if particles[sc.word(j)] && j+1 < len(sc.toks) && j+1-i < maxPhraseWords {
			nn := sc.toks[j+1]
			if nn.capital && !nn.brk && !nn.initial && nn.field == nx.field {
				j += 2
				continue
			}
		}
		break
	}
	return j
}

// particles join the words of a name.
var particles = map[string]bool{"of": true, "de": true, "del": true, "della": true, "di": true, "da": true,
	"do": true, "dos": true, "du": true, "des": true, "la": true, "le": true, "el": true, "al": true,
	"bin": true, "ibn": true, "van": true, "von": true, "der": true, "den": true, "ez": true, "es": true,
	"ul": true, "y": true, "and": true, "for": true, "the": true}

// single counts token i as a word on its own.
func (sc *termScratch) single(t *Tagger, i int, w float64, name bool) {
	word := sc.word(i)
	if sc.toks[i].upper {
		if abbr, ok := abbreviations[word]; ok {
			sc.add(abbr, sc.keyOf(abbr), w, true, i)
			return
		}
	}
	if sc.toks[i].stop || !termWord(word) {
		return
	}
	label := t.canon(word)
	if s, ok := synonyms[label]; ok && label == word {
		label = s
	}
	sc.add(label, sc.keyOf(label), w, name, i)
}

// phrase counts tokens [i, j) as one name.
func (sc *termScratch) phrase(t *Tagger, i, j int, w float64) {
	key, label := sc.phraseKey(t, i, j)
	if key != "" {
		sc.add(label, key, w, true, i)
		sc.firsts[sc.word(i)] = true
	}
}

// phraseKey is the key and label of tokens [i, j) as one term.
func (sc *termScratch) phraseKey(t *Tagger, i, j int) (key, label string) {
	var b strings.Builder
	for k := i; k < j; k++ {
		if k > i {
			b.WriteByte('-')
		}
		b.WriteString(sc.word(k))
	}
	label = t.canon(b.String())
	if s, ok := synonyms[label]; ok {
		label = s
	}
	if len(label) > maxTermBytes {
		return "", ""
	}
	return sc.keyOf(label), label
}

// keyOf stems a label part by part. Stems are remembered between
// articles (words recur: a cold pass stems each word once), per language,
// up to stemCacheSize words.
func (sc *termScratch) keyOf(label string) string {
	if sc.stem.stem == nil {
		return label
	}
	if k, ok := sc.stems[label]; ok && sc.stemLang == sc.li {
		return k
	}
	if sc.stems == nil || sc.stemLang != sc.li || len(sc.stems) >= stemCacheSize {
		sc.stems, sc.stemLang = make(map[string]string, 1024), sc.li
	}
	k := stemParts(label, sc.stem)
	sc.stems[strings.Clone(label)] = k
	return k
}

// stemCacheSize bounds a scratch's remembered stems (a few MB).
const stemCacheSize = 1 << 15

// stemParts stems each '-'-separated part of a label and drops its
// accents, so that one name meets itself however a language's stemmer
// treats accents (the Spanish rules strip them: "pedro-sánchez" of an
// English story and "pedr-sanchez" of a Spanish one share "sanchez").
func stemParts(label string, st stemmer) string {
	if st.stem == nil {
		return foldMarks(label)
	}
	if !strings.Contains(label, "-") {
		return foldMarks(st.word(label))
	}
	parts := strings.Split(label, "-")
	for i, p := range parts {
		parts[i] = st.word(p)
	}
	return foldMarks(strings.Join(parts, "-"))
}

// foldMarks removes combining marks (accents, diacritics) from a key.
func foldMarks(k string) string {
	ascii := true
	for i := 0; i < len(k) && ascii; i++ {
		ascii = k[i] < utf8.RuneSelf
	}
	if ascii {
		return k
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(k) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return norm.NFC.String(b.String())
}

func (sc *termScratch) add(label, key string, w float64, name bool, pos int) {
	if key == "" || len(label) > maxTermBytes {
		return
	}
	k, ok := sc.cands[key]
	if !ok {
		k = int32(len(sc.order))
		sc.cands[key] = k
		sc.order = append(sc.order, termCand{key: key, label: label, first: pos})
	}
	c := &sc.order[k]
	c.weight += w
	c.name = c.name || name
}

// termWord reports whether a lower-case word can be a term: long enough
// (or a known abbreviation), with a letter, not a number.
func termWord(w string) bool {
	letters, runes := 0, 0
	for _, r := range w {
		runes++
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 0 || len(w) > maxTermBytes {
		return false
	}
	// One Han or Kana rune is a word; elsewhere three runes are the least.
	r, _ := utf8.DecodeRuneInString(w)
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
		return runes >= 2
	}
	return runes >= minTermRunes
}

// best returns the top max candidates, encoded: by weight, damped (a word
// the story repeats counts more than one met once, but not in proportion),
// names above words.
func (sc *termScratch) best(max int) []string {
	if len(sc.order) == 0 {
		return nil
	}
	for i := range sc.order {
		c := &sc.order[i]
		c.score = math.Sqrt(c.weight)
		if c.name {
			c.score *= bonusName
		}
	}
	// The top max by insertion into a short sorted list: a sort of every
	// candidate (hundreds of 80-byte structs) was a quarter of Terms.
	top := sc.top[:0]
	for i := range sc.order {
		if len(top) == max && !sc.before(int32(i), top[max-1]) {
			continue
		}
		if len(top) < max {
			top = append(top, 0)
		}
		j := len(top) - 1
		for ; j > 0 && sc.before(int32(i), top[j-1]); j-- {
			top[j] = top[j-1]
		}
		top[j] = int32(i)
	}
	sc.top = top
	out := make([]string, 0, len(top))
	for _, k := range top {
		c := &sc.order[k]
		out = append(out, feeds.Term{Label: c.label, Key: c.key}.Encode())
	}
	return out
}

// before reports whether candidate i ranks above candidate j: higher
// score, then earlier in the text.
func (sc *termScratch) before(i, j int32) bool {
	a, b := &sc.order[i], &sc.order[j]
	if a.score != b.score {
		return a.score > b.score
	}
	return a.first < b.first
}

// isBlockTag reports whether the tag (its text between < and >) ends a
// sentence: a paragraph, a line break, a heading, a list item, a cell.
func isBlockTag(tag string) bool {
	tag = strings.TrimPrefix(tag, "/")
	end := strings.IndexAny(tag, " \t\n/")
	if end >= 0 {
		tag = tag[:end]
	}
	switch strings.ToLower(tag) {
	case "p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
		"tr", "td", "th", "figcaption", "figure", "dt", "dd", "hr", "pre", "table", "section", "article":
		return true
	}
	return false
}

// decodeEntity decodes one character reference.
func decodeEntity(ref string) string {
	if r, ok := commonEntities[ref]; ok {
		return string(r)
	}
	return htmlUnescape(ref)
}

// RelateKeys returns what related posts compare of an article: the keys of
// its key terms or, for an article without any (no text, or tags.auto off),
// of its tags but for those in exclude (source tags, which say where an
// article came from, not what it is about).
//
// An article's text decides what it is about. Outlets' categories and rule
// tags name sections far more often than stories ("Europe", "Business",
// "World"), and two stories of one section sharing one name were the
// off-domain posts of the labelled sets; counted beside the text, at full or
// reduced weight, they put more of those in the top 3 than the text alone
// and fewer posts from other feeds. A category that names what the text
// names meets it anyway, as the same key. A tag's key is its label with the
// outlets' spellings folded ("ISIL/ISIS", "mideast", "world-news") and
// stemmed part by part (English rules for Latin script, Russian for
// Cyrillic: a tag carries no language), so that the tags of text-less
// articles meet the terms of others naming the same thing.
func (t *Tagger) RelateKeys(tags, terms []string, exclude map[string]bool) []string {
	keys := make([]string, 0, max(len(tags), len(terms)))
	for _, tm := range terms {
		if k := feeds.DecodeTerm(tm).Key; k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		en, ru := newStemmer(langIndex("en")), newStemmer(langIndex("ru"))
		for _, tg := range tags {
			if tg != "" && !exclude[tg] {
				keys = append(keys, tagKey(tg, en, ru))
			}
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// tagKey is the related-posts key of a normalised tag.
func tagKey(tg string, en, ru stemmer) string {
	if s, ok := sectionSynonyms[tg]; ok {
		tg = s
	} else if s, ok := synonyms[tg]; ok {
		tg = s
	}
	return stemParts(tg, scriptStemmer(tg, en, ru))
}

// TagKey is the related-posts key of one normalised tag (see RelateKeys).
func TagKey(tg string) string {
	return tagKey(tg, newStemmer(langIndex("en")), newStemmer(langIndex("ru")))
}

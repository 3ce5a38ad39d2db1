// Package tag decides an article's tags: the tags its source is configured
// with, the categories the feed gave the item, and the admin's word rules,
// all normalised to one spelling (lower case, '-' for spaces, aliases
// applied) so that "Middle East", "middle_east" and "MIDDLE-EAST" are one tag
// that outputs, tag pages and related posts agree on.
package tag

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"golang.org/x/text/unicode/norm"
)

// Limits on tags.
const (
	MaxTags     = 50 // tags per article; more is noise (and a way to spam tag pages)
	MaxTagRunes = 64 // longer "tags" are sentences or garbage
	// maxTagBytes bounds the work on one raw tag: a longer one (after
	// trimming) is dropped unread.
	maxTagBytes = 1024
)

// Normalize returns the one spelling of a tag: NFC, trimmed, lower case,
// white space and '_' as '-', runs of '-' collapsed, no '-' at either end,
// control and format characters dropped. It returns "" (drop the tag) when
// nothing is left, when the result is longer than MaxTagRunes runes, or when
// it has no letter or digit, and for raw input over 1 KiB.
func Normalize(tag string) string {
	if len(tag) > maxTagBytes {
		if tag = strings.TrimSpace(tag); len(tag) > maxTagBytes {
			return ""
		}
	}
	if isNormalASCII(tag) {
		return tag
	}
	ascii := isASCII(tag)
	if !ascii {
		tag = norm.NFC.String(strings.ToValidUTF8(tag, ""))
	}
	var b strings.Builder
	b.Grow(len(tag))
	dash, runes, alnum := false, 0, false
	for _, r := range tag {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			dash = b.Len() > 0
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0xFFFD ||
			r == 0xFFFE || r == 0xFFFF:
			continue
		case unicode.IsSpace(r) || r == '_' || r == '-' || r == '/' || r == '\\':
			// Slashes would make a tag that /tags/{tag} cannot address.
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			runes++
			dash = false
		}
		r = unicode.ToLower(r)
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			alnum = true
		}
		b.WriteRune(r)
		runes++
		if runes > MaxTagRunes {
			return ""
		}
	}
	if !alnum {
		return ""
	}
	s := b.String()
	if !ascii && !norm.NFC.IsNormalString(s) { // lower-casing can decompose
		return Normalize(norm.NFC.String(s))
	}
	return s
}

// isASCII reports whether s is all ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isNormalASCII reports whether s is an ASCII tag Normalize would return
// unchanged: the common case, answered without allocating.
func isNormalASCII(s string) bool {
	if s == "" || len(s) > MaxTagRunes || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	alnum := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			alnum = true
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		case c <= ' ' || c >= 0x7f || c == '_' || c == '/' || c == '\\' || 'A' <= c && c <= 'Z':
			return false
		}
	}
	return alnum
}

// Tagger applies aliases and rules. Build it once per configuration with
// New; it is immutable and so safe for concurrent use.
type Tagger struct {
	aliases map[string]string
	rules   []rule
	// first maps a phrase's first word to the phrases starting with it.
	first map[string][]phrase
	// pool recycles tokenizers between calls.
	pool sync.Pool
	// autoMax is how many key terms Terms returns (tags.auto.max); 0 turns
	// them off. termPool recycles their scratch memory.
	autoMax  int
	termPool sync.Pool
}

// Fields a rule can look in, as bits.
const (
	inTitle = 1 << iota
	inSummary
	inContent
	inAll = inTitle | inSummary | inContent
)

// rule is a compiled feeds.TagRule.
type rule struct {
	tag string
	in  int
}

// phrase is one word or phrase of a rule, as lower-case words.
type phrase struct {
	words []string // words[0] is the key it is filed under
	rule  int
}

// New compiles aliases (alias -> canonical, both normalised here; chains are
// followed) and rules. It fails on a rule with an empty tag, no words, a word
// without any letter or digit, or an unknown field, and on an alias cycle.
//
// Automatic key terms are on, DefaultAutoMax of them; WithAuto changes that.
func New(aliases map[string]string, rules []feeds.TagRule) (*Tagger, error) {
	t := &Tagger{aliases: make(map[string]string, len(aliases)), first: make(map[string][]phrase),
		autoMax: DefaultAutoMax}
	t.pool.New = func() any { return &tokenizer{start: -1} }
	t.termPool.New = func() any { return new(termScratch) }
	raw := make(map[string]string, len(aliases))
	for k, v := range aliases {
		nk, nv := Normalize(k), Normalize(v)
		if nk == "" || nv == "" {
			return nil, fmt.Errorf("alias %q: %q: %w", k, v, errEmptyTag)
		}
		if nk != nv {
			raw[nk] = nv
		}
	}
	for k, v := range raw {
		seen := map[string]bool{k: true}
		for {
			next, ok := raw[v]
			if !ok {
				break
			}
			if seen[v] {
				return nil, fmt.Errorf("alias %q: cycle through %q", k, v)
			}
			seen[v] = true
			v = next
		}
		t.aliases[k] = v
	}
	for i, r := range rules {
		tag := t.canon(Normalize(r.Tag))
		if tag == "" {
			return nil, fmt.Errorf("rule %d (%q): %w", i+1, r.Tag, errEmptyTag)
		}
		cr := rule{tag: tag}
		for _, f := range r.In {
			switch strings.ToLower(strings.TrimSpace(f)) {
			case "title":
				cr.in |= inTitle
			case "summary":
				cr.in |= inSummary
			case "content":
				cr.in |= inContent
			default:
				return nil, fmt.Errorf("rule %q: unknown field %q (want title, summary or content)", r.Tag, f)
			}
		}
		if cr.in == 0 {
			cr.in = inAll
		}
		n := 0
		for _, w := range r.Any {
			if strings.TrimSpace(w) == "" {
				continue
			}
			words := words(w)
			if len(words) == 0 {
				return nil, fmt.Errorf("rule %q: word %q has no letter or digit", r.Tag, w)
			}
			t.first[words[0]] = append(t.first[words[0]], phrase{words: words, rule: len(t.rules)})
			n++
		}
		if n == 0 {
			return nil, fmt.Errorf("rule %q: %w", r.Tag, errNoWords)
		}
		t.rules = append(t.rules, cr)
	}
	return t, nil
}

// WithAuto returns t with automatic key terms (tags.auto) on, max of
// them an article (capped at 50), or off when enabled is false. Call it
// before t is shared.
func (t *Tagger) WithAuto(enabled bool, max int) *Tagger {
	switch {
	case !enabled:
		t.autoMax = 0
	case max <= 0:
		t.autoMax = DefaultAutoMax
	default:
		t.autoMax = min(max, maxAutoMax)
	}
	return t
}

// Errors New wraps.
var (
	errEmptyTag = fmt.Errorf("empty tag")
	errNoWords  = fmt.Errorf("no words")
)

// Tag is one raw tag as t spells it: normalised, aliases applied; "" when
// nothing is left.
func (t *Tagger) Tag(raw string) string { return t.canon(Normalize(raw)) }

// canon applies the aliases to a normalised tag.
func (t *Tagger) canon(tag string) string {
	if len(t.aliases) == 0 {
		return tag
	}
	if c, ok := t.aliases[tag]; ok {
		return c
	}
	return tag
}

// Tags returns an article's tags: the source's tags, the item's categories
// (one tag each, split at commas) and the tags of the rules whose words occur
// in a's Title (plain text), Summary and Content (HTML), normalised, aliased,
// deduplicated and sorted. When there are more than MaxTags, source and rule
// tags are kept first, then categories in feed order.
func (t *Tagger) Tags(sourceTags, categories []string, a feeds.Article) []string {
	set := make(map[string]struct{}, len(sourceTags)+len(t.rules)+min(len(categories), MaxTags))
	add := func(raw string) {
		if len(set) >= MaxTags {
			return
		}
		if tag := t.canon(Normalize(raw)); tag != "" {
			set[tag] = struct{}{}
		}
	}
	for _, s := range sourceTags {
		add(s)
	}
	for _, r := range t.match(a) {
		add(r)
	}
	for _, c := range categories {
		if len(set) >= MaxTags {
			break
		}
		if strings.Contains(c, ",") {
			for part := range strings.SplitSeq(c, ",") {
				add(part)
			}
			continue
		}
		add(c)
	}
	out := make([]string, 0, len(set))
	for tag := range set {
		out = append(out, tag)
	}
	slices.Sort(out)
	return out
}

// match returns the tags of the rules that match a.
func (t *Tagger) match(a feeds.Article) []string {
	if len(t.rules) == 0 {
		return nil
	}
	hit := make([]bool, len(t.rules))
	z := t.pool.Get().(*tokenizer)
	defer t.pool.Put(z)
	fields := [...]struct {
		bit    int
		text   string
		markup bool
	}{{inTitle, a.Title, false}, {inSummary, a.Summary, true}, {inContent, a.Content, true}}
	for _, f := range fields {
		if f.text == "" {
			continue
		}
		z.reset()
		z.feed(f.text, f.markup)
		z.done()
		t.scan(z, f.bit, hit)
	}
	if cap(z.buf) > 1<<20 { // do not keep huge buffers alive in the pool
		z.buf, z.spans = nil, nil
	}
	var tags []string
	for i, ok := range hit {
		if ok {
			tags = append(tags, t.rules[i].tag)
		}
	}
	return tags
}

// scan marks in hit the rules looking in field whose phrases occur in the
// words of z.
func (t *Tagger) scan(z *tokenizer, field int, hit []bool) {
	n := z.n()
	for i := range n {
		ps, ok := t.first[z.word(i)]
		if !ok {
			continue
		}
	phrases:
		for _, p := range ps {
			if hit[p.rule] || t.rules[p.rule].in&field == 0 || len(p.words) > n-i {
				continue
			}
			for k := 1; k < len(p.words); k++ {
				if z.word(i+k) != p.words[k] {
					continue phrases
				}
			}
			hit[p.rule] = true
		}
	}
}

// Package dedupe is the rule that decides whether an incoming item is a
// copy of an article already kept: one story stored once, and never two
// stories as one. It is pure (no store, no clock), so each storage backend
// only loads the candidates (by item key, link key, title key and title
// head, all indexed look-ups) and writes what Match decides.
//
// The order of the rules, first match wins:
//
//  1. RuleItem: the same item key in the same source (the store's map);
//  2. RuleLink: the same LinkKey (normalize.LinkKey), which normalize
//     leaves empty for links that name a page rather than a story;
//  3. RuleTitle: the same title (or a truncated one and its full form),
//     long and specific (SpecificWords, not reused by a source), within
//     TitleWindow;
//  4. RuleBody: titles alike (the same, a truncated form, or a token-set
//     similarity of at least SimilarTitles) and first paragraphs that
//     agree (BodyAgree), within BodyWindow; under a reused title both
//     openings must also be a sentence long (GenericPairs), not a teaser.
//
// Titles that recur ("Letters to the editor", "Man charged with murder",
// "Photos of the day") are short or reused, so only rule 4 can join them,
// and their bodies differ or are the same one-line teaser every day.
package dedupe

import (
	"strings"
	"time"
)

// Rule names why an item joined the article that carries it.
type Rule uint8

// The rules, as Match and the store record them per carriage.
const (
	RuleNew   Rule = iota // the item brought the article in
	RuleItem              // the same item of the same source, seen again
	RuleLink              // the same link key
	RuleTitle             // the same long, specific title, within TitleWindow
	RuleBody              // alike titles and agreeing first paragraphs, within BodyWindow
	RuleMerge             // the item's article was merged into this one
)

var ruleNames = [...]string{"new", "item", "link", "title", "title+body", "merge"}

// String is the rule's name as `feedloom explain` prints it and the store keeps it.
func (r Rule) String() string {
	if int(r) < len(ruleNames) {
		return ruleNames[r]
	}
	return "unknown"
}

// ParseRule is the Rule a String names, RuleNew for anything else.
func ParseRule(s string) Rule {
	for i, n := range ruleNames {
		if n == s {
			return Rule(i)
		}
	}
	return RuleNew
}

// Limits of the title rules.
const (
	TitleWindow   = 48 * time.Hour     // rule 3: how far apart same-title copies may be published
	BodyWindow    = 7 * 24 * time.Hour // rule 4: a near-identical copy may come days later
	SpecificWords = 6                  // rule 3: the fewest words of a title that names a story alone
	MinWords      = 2                  // rule 4: the fewest words of a title worth comparing at all
	HeadWords     = 4                  // the words of Head
	SimilarTitles = 0.8                // rule 4: token-set (Jaccard) similarity of alike titles
	BodyAgree     = 0.6                // rule 4: share of word pairs of the shorter opening found in the other
	GenericPairs  = 15                 // rule 4: the fewest word pairs of both openings under a reused title (a sentence)
	bodyWords     = 48                 // words of an opening compared
	maxKeyBytes   = 1024               // a title key compared at most this long
)

// Truncated is how normalize.DedupeTitleKey ends the key of a title cut short.
const Truncated = " …"

// Head is a title key's first HeadWords words (without the truncation
// mark), "" for a key with fewer: the prefix under which the store finds
// truncated and reworded titles by an indexed range.
func Head(key string) string {
	key = strings.TrimSuffix(key, Truncated)
	n := 0
	for i := 0; i < len(key); i++ {
		if key[i] == ' ' {
			if n++; n == HeadWords {
				return key[:i]
			}
		}
	}
	if n == HeadWords-1 && key != "" {
		return key
	}
	return ""
}

// Side is what Match compares of an item or a candidate article.
type Side struct {
	TitleKey  string
	Published time.Time
}

// Lazy supplies what Match needs only sometimes, so the store pays for it
// only then: whether the title is reused (a source carries it for another
// item, or one document uses it twice) and the candidate's opening.
type Lazy struct {
	Generic  func() (bool, error)
	Body     func() (string, error) // the candidate's summary (or content) HTML
	ItemBody string                 // the item's summary (or content) HTML
}

// Match decides whether item is a copy of cand by rules 3 and 4, and by which.
func Match(item, cand Side, lz Lazy) (Rule, bool, error) {
	sim, words := compareTitles(item.TitleKey, cand.TitleKey)
	if sim == simNone || words < MinWords {
		return RuleNew, false, nil
	}
	dt := item.Published.Sub(cand.Published).Abs()
	if dt > BodyWindow {
		return RuleNew, false, nil
	}
	generic, checked := false, false
	isGeneric := func() (bool, error) {
		if !checked && lz.Generic != nil {
			g, err := lz.Generic()
			if err != nil {
				return false, err
			}
			generic = g
		}
		checked = true
		return generic, nil
	}
	if sim != simSimilar && words >= SpecificWords && dt <= TitleWindow {
		g, err := isGeneric()
		if err != nil {
			return RuleNew, false, err
		}
		if !g {
			return RuleTitle, true, nil
		}
	}
	if lz.Body == nil {
		return RuleNew, false, nil
	}
	body, err := lz.Body()
	if err != nil {
		return RuleNew, false, err
	}
	sim2 := BodySimilarity(lz.ItemBody, body)
	if sim2 < BodyAgree {
		return RuleNew, false, nil
	}
	// A reused title's teaser is often boilerplate that agrees every day
	// ("A selection of the day's best photos by AP photographers."): it
	// joins two items only when the openings agree over a paragraph.
	g, err := isGeneric()
	if err != nil {
		return RuleNew, false, err
	}
	if g && min(openingPairs(lz.ItemBody), openingPairs(body)) < GenericPairs {
		return RuleNew, false, nil
	}
	return RuleBody, true, nil
}

type similarity uint8

const (
	simNone similarity = iota
	simSame
	simPrefix // one is a truncated form of the other
	simSimilar
)

// compareTitles compares two title keys and returns how alike they are and
// the words of the shorter (of the kept part of a truncated one).
func compareTitles(a, b string) (similarity, int) {
	if a == "" || b == "" {
		return simNone, 0
	}
	a, b = a[:min(len(a), maxKeyBytes)], b[:min(len(b), maxKeyBytes)]
	ta, tb := strings.HasSuffix(a, Truncated), strings.HasSuffix(b, Truncated)
	if a == b && !ta {
		return simSame, words(a)
	}
	if ta || tb {
		pa, pb := strings.TrimSuffix(a, Truncated), strings.TrimSuffix(b, Truncated)
		short, long := pa, pb
		if len(short) > len(long) {
			short, long = long, short
		}
		if long == short || strings.HasPrefix(long, short+" ") {
			return simPrefix, words(short)
		}
		return simNone, 0
	}
	// Alike titles name the same numbers in the same order: "feed 1
	// reports story 13" is not "feed 13 reports story 1".
	if j := jaccard(a, b); j >= SimilarTitles && numbers(a) == numbers(b) {
		return simSimilar, min(words(a), words(b))
	}
	return simNone, 0
}

func words(k string) int {
	if k == "" {
		return 0
	}
	return strings.Count(k, " ") + 1
}

// jaccard is the token-set similarity of two title keys.
func jaccard(a, b string) float64 {
	sa := strings.Fields(a)
	sb := strings.Fields(b)
	set := make(map[string]uint8, len(sa)+len(sb))
	for _, w := range sa {
		set[w] |= 1
	}
	for _, w := range sb {
		set[w] |= 2
	}
	both := 0
	for _, v := range set {
		if v == 3 {
			both++
		}
	}
	if len(set) == 0 {
		return 0
	}
	return float64(both) / float64(len(set))
}

// numbers is the words of a title key that hold a digit, in order.
func numbers(k string) string {
	var b strings.Builder
	for w := range strings.FieldsSeq(k) {
		if strings.ContainsAny(w, "0123456789") {
			b.WriteString(w)
			b.WriteByte(' ')
		}
	}
	return b.String()
}

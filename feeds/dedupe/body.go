package dedupe

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// BodySimilarity compares the openings of two HTML texts (summaries, or
// contents): the share of the word pairs of the shorter opening (its first
// bodyWords words) that the other has. 1 for a copy or a cut copy, near 0
// for two stories; 0 when either has fewer than eight words, which say
// nothing (an opening that only repeats the title). Markup is skipped and entities split words, alike on both sides.
func BodySimilarity(a, b string) float64 {
	const minPairs = 7
	pa, pb := pairs(a), pairs(b)
	if len(pa) < minPairs || len(pb) < minPairs {
		return 0
	}
	if len(pa) > len(pb) {
		pa, pb = pb, pa
	}
	slices.Sort(pb)
	found := 0
	for _, p := range pa {
		if _, ok := slices.BinarySearch(pb, p); ok {
			found++
		}
	}
	return float64(found) / float64(len(pa))
}

// openingPairs is the number of word pairs BodySimilarity compares of an
// HTML text (at most bodyWords-1).
func openingPairs(h string) int { return len(pairs(h)) }

// pairs hashes the consecutive word pairs of the first bodyWords words of
// an HTML text, lower-cased, letters and digits only.
func pairs(h string) []uint64 {
	out := make([]uint64, 0, bodyWords)
	var prev, cur uint64
	inTag, inWord := false, false
	n := 0
	end := func() {
		if inWord {
			if n > 0 {
				out = append(out, prev*1099511628211^cur)
			}
			prev, cur, inWord = cur, 0, false
			n++
		}
	}
	for i := 0; i < len(h) && n < bodyWords; {
		r, size := rune(h[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(h[i:])
		}
		i += size
		switch {
		case inTag:
			inTag = r != '>'
		case r == '<':
			end()
			inTag = true
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				cur, inWord = 14695981039346656037, true
			}
			cur = (cur ^ uint64(unicode.ToLower(r))) * 1099511628211
		default:
			end()
		}
	}
	end()
	return out
}

package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PopularTag reports whether a tag may be shown among the index's popular
// tags: not a stop word of a common language ("the", "и", "для", "في"),
// which feeds that put every title word in a category would otherwise push
// to the top, and not a single letter (a Han, Kana or Hangul character
// may be a word of its own and is kept). Tags are normalised: lower case,
// "-" for spaces.
func PopularTag(tag string) bool {
	if tag == "" {
		return false
	}
	if r, size := utf8.DecodeRuneInString(tag); size == len(tag) {
		return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
	}
	_, stop := stopWords[tag]
	return !stop
}

// stopWords are the commonest function words of the languages feedloom's
// feeds come in most, lower case. A tag that is one of them says nothing
// about a story.
var stopWords = func() map[string]struct{} {
	lists := []string{
		// English
		"a an and are as at be but by for from has have he her his i if in into is it its no not of on or our she so that the their them there they this to was we were what when which who will with you your",
		// French
		"au aux avec ce ces dans de des du elle en est et il ils la le les leur mais ne nous ou par pas pour qu que qui sa se son sur une vous",
		// German
		"am auch auf aus bei das dass dem den der des die ein eine einem einen einer es für hat im in ist mit nach nicht noch sich sie sind so um und von vor wie wir zu zum zur über",
		// Spanish, Italian, Portuguese
		"al como con de del el en es la las lo los más no o para pero por que se su sus una y il che di e gli i nel per non sono una da do das dos em na no nos os ou uma é",
		// Dutch
		"de een en het in is met niet op te van voor",
		// Russian, Ukrainian
		"а без в во для до же за и из или к как ли на над не но о об от по под при с со так то у что это я він вона з і на та що як",
		// Polish, Czech
		"i na nie o od po się w z za że a je jsou se v ve",
		// Turkish
		"bir bu da de için ile ve",
		// Arabic, Persian, Urdu
		"في من على إلى عن مع أن إن التي الذي هذا هذه و و را با از به در که این آن است کی کے کا میں سے پر اور کو نے ہے",
		// Hebrew
		"של את על עם זה גם לא כי",
	}
	m := map[string]struct{}{}
	for _, l := range lists {
		for _, w := range strings.Fields(l) {
			m[w] = struct{}{}
		}
	}
	return m
}()

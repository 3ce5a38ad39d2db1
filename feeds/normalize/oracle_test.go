package normalize

// cleanText and ContentHash as they were before their fast paths, frozen
// here, names prefixed with "old", as the references the differential
// tests and fuzzers compare the current ones against
// (differential_test.go). Only tests use them. (HTML's reference is
// bluemonday itself: SanitisedHTML.)

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
)

// OracleCleanText and CleanText export the old and the current cleanText.
var (
	OracleCleanText = oldCleanText
	CleanText       = cleanText
)

// OracleContentHash is ContentHash as it was.
var OracleContentHash = oldContentHash

// oldCleanText makes s valid UTF-8 (invalid bytes become U+FFFD) and drops the
// runes oldKeepRune refuses. It returns s itself when nothing changes.
func oldCleanText(s string, plain bool) string {
	ok := utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if !oldKeepRune(r, plain) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if oldKeepRune(r, plain) {
			return r
		}
		return -1
	}, s)
}

// oldContentHash is a hex digest (128 bits of SHA-256) of what readers see of
// an article: title, link, summary, content and author. The store updates a
// kept article when it changes.
func oldContentHash(a feeds.Article) string {
	h := sha256.New()
	for _, s := range []string{a.Title, a.Link, a.Summary, a.Content, a.Author} {
		h.Write([]byte(s))
		h.Write([]byte{0}) // cleaned text never holds NUL
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// oldKeepRune reports whether r may appear in stored text: XML 1.0 Char
// production, minus C1 controls, the BOM, and (when plain is set, for
// one-line plain text such as titles) bidi embeddings, overrides and
// isolates, which let a title reverse the text around it where it is shown.
func oldKeepRune(r rune, plain bool) bool {
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

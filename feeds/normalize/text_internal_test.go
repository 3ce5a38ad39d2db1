package normalize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// isClean, which reads eight bytes at a time, agrees with a rune by rune
// check at every alignment.
func FuzzIsClean(f *testing.F) {
	for _, s := range []string{"abcdefgh", "abc\x7fefgh", "\x1fbcdefghij", "abcdefg\x80", " ~~~~~~~~",
		"ascii then é then \t\r\n", "0123456789abcdef\u202E", "0123456\xff89abcdef", "\x00", "\uFEFF1234567"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, plain bool) {
		for k := 0; k < 8 && k <= len(s); k++ {
			s := strings.Repeat("x", k) + s
			want := utf8.ValidString(s)
			for _, r := range s {
				want = want && keepRune(r, plain)
			}
			if got := isClean(s, plain); got != want {
				t.Fatalf("isClean(%q, %v) = %v, want %v", s, plain, got, want)
			}
		}
	})
}

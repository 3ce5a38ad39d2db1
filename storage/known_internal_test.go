package storage

import (
	"fmt"
	"hash/maphash"
	"strings"
	"testing"
)

// The filter never forgets a key it was told of, across the levels it
// grows, and says "maybe" to few keys it was never told of.
func TestKnownKeysFilter(t *testing.T) {
	k := &knownKeys{seed: maphash.MakeSeed(), ready: true, levels: []bloomLevel{newLevel(1000)}}
	const n = 20_000 // past several levels: 1000, 2000, 4000, 8000, 16000
	for i := range n {
		k.add(keyItem, int64(i%7), fmt.Sprintf("item-%d", i))
		k.add(keyLink, 0, fmt.Sprintf("https://example.org/%d", i))
	}
	if len(k.levels) < 4 {
		t.Errorf("%d levels after %d keys from a first level of 1000, want the filter to grow", len(k.levels), 2*n)
	}
	for i := range n {
		if !k.mayHave(keyItem, int64(i%7), fmt.Sprintf("item-%d", i)) {
			t.Fatalf("item-%d of source %d forgotten", i, i%7)
		}
		if !k.mayHave(keyLink, 0, fmt.Sprintf("https://example.org/%d", i)) {
			t.Fatalf("link %d forgotten", i)
		}
	}
	maybe := 0
	for i := range n {
		// Never added: other keys, a key under another source or kind.
		for _, q := range []struct {
			kind   byte
			source int64
			key    string
		}{
			{keyItem, int64(i % 7), fmt.Sprintf("other-%d", i)},
			{keyItem, 7 + int64(i%7), fmt.Sprintf("item-%d", i)},
			{keyTitle, 0, fmt.Sprintf("https://example.org/%d", i)},
		} {
			if k.mayHave(q.kind, q.source, q.key) {
				maybe++
			}
		}
	}
	// Each level answers "maybe" for ~2% of absent keys; five levels ~10%.
	if rate := float64(maybe) / (3 * n); rate > 0.15 {
		t.Errorf("false maybe for %.1f%% of absent keys, want well under 15%%", 100*rate)
	}
	unloaded := &knownKeys{seed: maphash.MakeSeed()}
	unloaded.add(keyItem, 1, "x") // ignored: nothing is trusted before a load
	if !unloaded.mayHave(keyItem, 1, "never seen") {
		t.Error("an unloaded filter ruled a key out")
	}
}

func TestHasWords(t *testing.T) {
	for _, s := range []string{"", " ", "one", "one two three", "one two three four", " a  b\tc\nd ", "a b c d e f",
		"\u00a0x\u2003y z w", "x\u00a0y z w", "日本 語 の テスト", "a\u200bb c d"} {
		for n := 0; n <= 6; n++ {
			if got, want := hasWords(s, n), len(strings.Fields(s)) >= n; got != want {
				t.Errorf("hasWords(%q, %d) = %v, want %v", s, n, got, want)
			}
		}
	}
}

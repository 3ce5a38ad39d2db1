package normalize_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds/normalize"
)

func TestTitle(t *testing.T) {
	long := strings.Repeat("word ", 5<<20/5) // a 5 MB title
	tests := []struct{ name, in, want string }{
		{"plain", "Oil prices rise", "Oil prices rise"},
		{"tags stripped", "<b>Oil</b> prices <i>rise</i>", "Oil prices rise"},
		{"entities decoded", "AT&amp;T &lt;3 caf&eacute; &#8212; &#x263A;", "AT&T <3 café — ☺"},
		{"double encoded decoded once", "Tom &amp;amp; Jerry", "Tom &amp; Jerry"},
		{"bare ampersand", "Tom & Jerry", "Tom & Jerry"},
		{"whitespace collapsed", "  a \t\n b\u00a0\u00a0c  ", "a b c"},
		{"br separates", "one<br>two", "one two"},
		{"script dropped", "Hi<script>alert(1)</script>", "Hi"},
		{"controls dropped", "a\x00b\x07c\x1bd\u0085e", "abcde"},
		{"bidi overrides dropped", "invoice\u202Egnp.exe \u2066x\u2069", "invoicegnp.exe x"},
		{"bom and nonchars dropped", "\ufeffa\uffffb\ufffe", "ab"},
		{"invalid utf8 repaired", "a\xffb", "a\ufffdb"},
		{"empty", "", ""},
		{"only tags", "<p></p>", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalize.Title(tt.in); got != tt.want {
				t.Errorf("Title(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("capped", func(t *testing.T) {
		got := normalize.Title(long)
		if n := utf8.RuneCountInString(got); n > normalize.MaxTitleRunes {
			t.Errorf("Title of 5 MB has %d runes, want <= %d", n, normalize.MaxTitleRunes)
		}
		if !strings.HasSuffix(got, "…") {
			t.Errorf("capped title does not end in an ellipsis: %q", got[len(got)-20:])
		}
	})
	t.Run("capped on rune boundary", func(t *testing.T) {
		got := normalize.Title(strings.Repeat("ж", 3000))
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) != normalize.MaxTitleRunes {
			t.Errorf("got %d runes, valid=%v", utf8.RuneCountInString(got), utf8.ValidString(got))
		}
	})
}

func TestTitleKey(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"punctuation and case", "Breaking: Oil Prices—Rise!", "breaking oil prices rise"},
		{"same story", "breaking oil prices rise", "breaking oil prices rise"},
		{"apostrophe", "Iran's new rules", "iran s new rules"},
		{"accents kept", "Café Crème", "café crème"},
		{"nfkc", "ＡＢＣ ﬁle", "abc file"},
		{"nfd equals nfc", "Cafe\u0301", "café"},
		{"devanagari marks kept", "हिन्दी समाचार", "हिन्दी समाचार"},
		{"digits", "G7 summit 2025", "g7 summit 2025"},
		{"emoji dropped", "🔥 Hot take 🔥", "hot take"},
		{"empty", "", ""},
		{"punctuation only", "!!! ---", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalize.TitleKey(tt.in); got != tt.want {
				t.Errorf("TitleKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestWordCount(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{{"", 0}, {"Live updates", 2}, {"Oil prices rise — again!", 4}, {"...", 0}}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalize.WordCount(tt.in); got != tt.want {
				t.Errorf("WordCount(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"paragraphs", "<p>one</p><p>two</p>", "one two"},
		{"inline joins", "<b>bo</b>ld", "bold"},
		{"entities", "a &amp; b &lt;c&gt;", "a & b <c>"},
		{"script and style dropped", "<style>p{}</style>x<script>var a</script>y", "xy"},
		{"plain text", "just text", "just text"},
		{"list", "<ul><li>a</li><li>b</li></ul>", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalize.Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

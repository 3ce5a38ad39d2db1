package tag_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/tag"
)

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Middle East", "a__b", "İstanbul", "ǅ", "\u0130\u0307", "a\u0345b", "x\u202e", "ΣΑΣ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := tag.Normalize(s)
		if got == "" {
			return
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > tag.MaxTagRunes {
			t.Fatalf("Normalize(%q) = %q", s, got)
		}
		if strings.HasPrefix(got, "-") || strings.HasSuffix(got, "-") || strings.Contains(got, "--") || strings.ContainsAny(got, " _\t\n") {
			t.Fatalf("Normalize(%q) = %q", s, got)
		}
		if again := tag.Normalize(got); again != got {
			t.Fatalf("not stable: Normalize(%q) = %q, Normalize of that = %q", s, got, again)
		}
	})
}

func FuzzTags(f *testing.F) {
	f.Add("World", "Middle East,Syria", "Oil prices", "<p>power grid</p>", "pipeline &amp; bomb")
	f.Add("", "", "", "", "")
	f.Add("a", strings.Repeat("x,", 100), "北京", "<p>", "&")
	tg, err := tag.New(map[string]string{"isis": "islamic-state", "syria": "Syrie"},
		[]feeds.TagRule{
			{Tag: "energy", Any: []string{"oil", "power grid", "pipeline"}},
			{Tag: "security", Any: []string{"bomb"}, In: []string{"content"}},
			{Tag: "china", Any: []string{"北京"}},
		})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, source, cats, title, summary, content string) {
		got := tg.Tags(strings.Split(source, "|"), strings.Split(cats, "|"),
			feeds.Article{Title: title, Summary: summary, Content: content})
		if len(got) > tag.MaxTags || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("Tags = %q: not sorted, unique and capped", got)
		}
		for _, g := range got {
			if g == "" || tag.Normalize(g) != g {
				t.Fatalf("tag %q is not normalised", g)
			}
		}
	})
}

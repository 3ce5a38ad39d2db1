package tag_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/tag"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lower", "Syria", "syria"},
		{"trim", "  iraq \t", "iraq"},
		{"spaces", "Middle East", "middle-east"},
		{"underscore", "middle_east", "middle-east"},
		{"runs", "a -- _  b", "a-b"},
		{"dash ends", "-x-", "x"},
		{"unicode lower", "ÉTÉ Ünïcödé", "été-ünïcödé"},
		{"greek", "ΑΘΗΝΑ", "αθηνα"},
		{"cjk", "北京", "北京"},
		{"nfc", "cafe\u0301", "café"},
		{"controls dropped", "a\x00b\u0085c", "abc"},
		{"bidi dropped", "a\u202Eb", "ab"},
		{"punctuation kept", "c++", "c++"},
		{"dots", "node.js", "node.js"},
		{"nbsp", "a\u00a0b", "a-b"},
		{"empty", "", ""},
		{"spaces only", "   ", ""},
		{"no letter", "---!!!", ""},
		{"emoji only", "🔥", ""},
		{"64 runes", strings.Repeat("é", 64), strings.Repeat("é", 64)},
		{"65 runes", strings.Repeat("é", 65), ""},
		{"huge", strings.Repeat("x", 1<<20), ""},
		{"padded", strings.Repeat(" ", 5000) + "x" + strings.Repeat(" ", 5000), "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tag.Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := tag.Normalize(got); again != got {
				t.Errorf("not stable: Normalize(%q) = %q", got, again)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		aliases map[string]string
		rules   []feeds.TagRule
		wantErr bool
	}{
		{"nothing", nil, nil, false},
		{"good", map[string]string{"ISIS": "Islamic State"}, []feeds.TagRule{{Tag: "energy", Any: []string{"oil"}}}, false},
		{"empty tag", nil, []feeds.TagRule{{Tag: " ", Any: []string{"oil"}}}, true},
		{"no words", nil, []feeds.TagRule{{Tag: "energy"}}, true},
		{"blank words", nil, []feeds.TagRule{{Tag: "energy", Any: []string{"", "  "}}}, true},
		{"punctuation word", nil, []feeds.TagRule{{Tag: "energy", Any: []string{"oil", "!!"}}}, true},
		{"unknown field", nil, []feeds.TagRule{{Tag: "energy", Any: []string{"oil"}, In: []string{"body"}}}, true},
		{"empty alias", map[string]string{"x": ""}, nil, true},
		{"alias cycle", map[string]string{"a": "b", "b": "a"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tag.New(tt.aliases, tt.rules)
			if (err != nil) != tt.wantErr {
				t.Errorf("New error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestTags(t *testing.T) {
	tg, err := tag.New(
		map[string]string{"ISIS": "islamic-state", "daesh": "Islamic State", "usa": "united-states", "us": "usa"},
		[]feeds.TagRule{
			{Tag: "energy", Any: []string{"oil", "power grid", "pipeline"}},
			{Tag: "security", Any: []string{"attack", "bomb"}, In: []string{"title"}},
			{Tag: "Economy", Any: []string{"Inflation"}, In: []string{"summary", "content"}},
			{Tag: "china", Any: []string{"北京", "Beijing"}},
			{Tag: "germany", Any: []string{"München", "Köln"}},
			{Tag: "daesh", Any: []string{"daesh"}},
		})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		source     []string
		categories []string
		a          feeds.Article
		want       []string
	}{
		{"source and categories", []string{"World", "news"}, []string{"Middle East", "middle_east", "Syria"}, feeds.Article{},
			[]string{"middle-east", "news", "syria", "world"}},
		{"aliases", nil, []string{"ISIS", "Daesh", "US"}, feeds.Article{}, []string{"islamic-state", "united-states"}},
		{"comma categories", nil, []string{"politics, economy,,  ", "a/b"}, feeds.Article{}, []string{"a-b", "economy", "politics"}},
		{"junk dropped", nil, []string{"", " - ", strings.Repeat("x", 100)}, feeds.Article{}, []string{}},
		{"whole word", nil, nil, feeds.Article{Title: "Oil prices up"}, []string{"energy"}},
		{"not inside words", nil, nil, feeds.Article{Title: "Boiled eggs and toil; oily foil"}, []string{}},
		{"phrase", nil, nil, feeds.Article{Content: "<p>The Power   Grid failed.</p>"}, []string{"energy"}},
		{"phrase split by tag", nil, nil, feeds.Article{Content: "<p>the power</p><p>grid</p>"}, []string{"energy"}},
		{"phrase needs order", nil, nil, feeds.Article{Content: "grid power"}, []string{}},
		{"phrase hyphenated", nil, nil, feeds.Article{Summary: "power-grid"}, []string{"energy"}},
		{"punctuation boundary", nil, nil, feeds.Article{Title: "(Oil), \"pipeline\"!"}, []string{"energy"}},
		{"entity boundary", nil, nil, feeds.Article{Summary: "crude&nbsp;oil&amp;gas"}, []string{"energy"}},
		{"case", nil, nil, feeds.Article{Title: "OIL"}, []string{"energy"}},
		{"field restricted: title only", nil, nil, feeds.Article{Content: "bomb attack"}, []string{}},
		{"field restricted: in title", nil, nil, feeds.Article{Title: "Bomb attack"}, []string{"security"}},
		{"field restricted: not title", nil, nil, feeds.Article{Title: "Inflation"}, []string{}},
		{"field restricted: summary", nil, nil, feeds.Article{Summary: "<p>inflation rose</p>"}, []string{"economy"}},
		{"cjk in text", nil, nil, feeds.Article{Title: "今天北京下雨"}, []string{"china"}},
		{"non-ascii word", nil, nil, feeds.Article{Title: "MÜNCHEN und Köln"}, []string{"germany"}},
		{"non-ascii not inside", nil, nil, feeds.Article{Title: "Münchener"}, []string{}},
		{"rule tag aliased", nil, nil, feeds.Article{Title: "Daesh claims"}, []string{"islamic-state"}},
		{"dedupe", []string{"energy"}, []string{"Energy"}, feeds.Article{Title: "oil"}, []string{"energy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Tags(tt.source, tt.categories, tt.a)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tags = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTagsCap(t *testing.T) {
	tg, err := tag.New(nil, []feeds.TagRule{{Tag: "zz-rule", Any: []string{"oil"}}})
	if err != nil {
		t.Fatal(err)
	}
	var cats []string
	for i := range 10000 {
		cats = append(cats, fmt.Sprintf("Category %05d", i))
	}
	start := time.Now()
	got := tg.Tags([]string{"zz-source"}, cats, feeds.Article{Title: "oil"})
	if d := time.Since(start); d > time.Second {
		t.Errorf("10,000 categories took %v", d)
	}
	if len(got) != tag.MaxTags {
		t.Fatalf("%d tags, want %d", len(got), tag.MaxTags)
	}
	if !slices.IsSorted(got) {
		t.Error("not sorted")
	}
	for _, want := range []string{"zz-source", "zz-rule", "category-00000", "category-00047"} {
		if !slices.Contains(got, want) {
			t.Errorf("%q missing: source and rule tags and the first categories are kept", want)
		}
	}
	if slices.Contains(got, "category-00048") {
		t.Error("category-00048 kept: more than 50 tags")
	}
}

func TestTagsConcurrent(t *testing.T) {
	tg, err := tag.New(map[string]string{"a": "b"}, []feeds.TagRule{{Tag: "energy", Any: []string{"oil"}}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := tg.Tags([]string{"a"}, nil, feeds.Article{Title: "oil"}); !slices.Equal(got, []string{"b", "energy"}) {
					t.Errorf("Tags = %q", got)
				}
			}
		})
	}
	wg.Wait()
}

// Slashes become dashes: a tag must be addressable as /tags/{tag}.
func TestNormalizeSlashes(t *testing.T) {
	for in, want := range map[string]string{
		"TCP/IP":              "tcp-ip",
		`back\slash`:          "back-slash",
		"/leading/":           "leading",
		"<svg/onload=alert1>": "<svg-onload=alert1>",
	} {
		if got := tag.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

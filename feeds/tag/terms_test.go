package tag_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/tag"
)

func labels(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		out = append(out, feeds.DecodeTerm(t).Label)
	}
	return out
}

func keysOf(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		out = append(out, feeds.DecodeTerm(t).Key)
	}
	return out
}

func TestTerms(t *testing.T) {
	tg, err := tag.New(map[string]string{"daesh": "islamic-state"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		txt       tag.TermText
		want      []string // labels that must be among the terms
		wantNot   []string // labels that must not be
		wantFirst string   // the best term, when set
	}{
		{
			name: "names in the lead, stop words out",
			txt: tag.TermText{Title: "ISIS regroups in Syria's desert", Content: `<p>Islamic State fighters have
				regrouped near Deir ez-Zor, officials said on Tuesday, and the Hamrin Mountains are again a base.</p>`},
			want:    []string{"islamic-state", "deir-ez-zor", "hamrin-mountains", "syria", "desert"},
			wantNot: []string{"the", "said", "tuesday", "officials", "in", "are", "syria-deir-ez-zor"},
		},
		{
			name:      "a name of three words, particles inside names",
			txt:       tag.TermText{Title: "Martyr beatified", Content: "<p>Pope Leo beatified Floribert Bwana Chui at the Basilica of Saint Paul. Floribert Bwana Chui was killed in Goma.</p>"},
			want:      []string{"floribert-bwana-chui", "basilica-of-saint-paul", "goma"},
			wantFirst: "floribert-bwana-chui",
		},
		{
			name:    "spellings of one name fold into one label",
			txt:     tag.TermText{Title: "Daesh claims attack", Content: "<p>The ISIL group, also known as ISIS, claimed it.</p>"},
			want:    []string{"islamic-state"},
			wantNot: []string{"isil", "isis", "daesh"},
		},
		{
			name:    "abbreviations only in capitals",
			txt:     tag.TermText{Title: "Talks", Content: "<p>The US and the EU told us the UN would meet.</p>"},
			want:    []string{"united-states", "european-union", "united-nations"},
			wantNot: []string{"us"},
		},
		{
			name:    "a title in capitals still gives words",
			txt:     tag.TermText{Title: "EARTHQUAKE STRIKES NORTHERN SYRIA", Content: ""},
			want:    []string{"earthquake", "syria", "northern"},
			wantNot: []string{"earthquake-strikes-northern-syria"},
		},
		{
			name: "French: stop words out, elision dropped",
			txt: tag.TermText{Title: "Les élections municipales à Lyon", Language: "fr-FR",
				Content: "<p>Le maire de Lyon a annoncé que l'élection aura lieu en mars, selon la préfecture.</p>"},
			want:    []string{"lyon", "élection", "municipales", "préfecture"}, // "élections" of the title is the same term
			wantNot: []string{"les", "le", "de", "que", "l'élection"},
		},
		{
			name:    "Russian detected from the text",
			txt:     tag.TermText{Title: "Президент провёл переговоры", Content: "<p>Президент России провёл переговоры с президентом Турции, и это было важно для них.</p>"},
			want:    []string{"переговоры"},
			wantNot: []string{"и", "это", "для", "было"},
		},
		{
			name: "numbers and one-letter words are not terms",
			txt:  tag.TermText{Title: "2026 in 10 charts", Content: "<p>A b c 123 4,500.</p>"},
			want: []string{"charts"}, wantNot: []string{"2026", "10", "123", "a", "b"},
		},
		{
			name: "empty text",
			txt:  tag.TermText{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := labels(tg.Terms(tc.txt))
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("terms %q lack %q", got, w)
				}
			}
			for _, w := range tc.wantNot {
				if slices.Contains(got, w) {
					t.Errorf("terms %q hold %q", got, w)
				}
			}
			if tc.wantFirst != "" && (len(got) == 0 || got[0] != tc.wantFirst) {
				t.Errorf("terms %q, want %q first", got, tc.wantFirst)
			}
			if len(got) > tag.DefaultAutoMax {
				t.Errorf("%d terms, want at most %d", len(got), tag.DefaultAutoMax)
			}
		})
	}
}

// TestTermsStemSharedKeys: inflections of a word in two articles get one
// key, so related posts see them as the same term.
func TestTermsStemSharedKeys(t *testing.T) {
	tg, _ := tag.New(nil, nil)
	a := keysOf(tg.Terms(tag.TermText{Title: "Elections postponed", Content: "<p>The elections were postponed.</p>"}))
	b := keysOf(tg.Terms(tag.TermText{Title: "Election postponed again", Content: "<p>The election was postponed.</p>"}))
	shared := 0
	for _, k := range a {
		if slices.Contains(b, k) {
			shared++
		}
	}
	if shared < 2 {
		t.Errorf("keys %q and %q share %d, want election and postpone", a, b, shared)
	}
}

// TestTermsAccentsFolded: a name keeps one key across languages whose
// stemmers treat accents differently (the Spanish rules strip them, the
// English ones keep them), and in a category.
func TestTermsAccentsFolded(t *testing.T) {
	tg, _ := tag.New(nil, nil)
	en := keysOf(tg.Terms(tag.TermText{Language: "en", Title: "Sánchez calls snap election",
		Content: "<p>Prime Minister Pedro Sánchez called an early election on Monday.</p>"}))
	es := keysOf(tg.Terms(tag.TermText{Language: "es", Title: "Sánchez convoca elecciones anticipadas",
		Content: "<p>El presidente del Gobierno, Pedro Sánchez, convocó elecciones el lunes.</p>"}))
	if !slices.Contains(en, "sanchez") || !slices.Contains(es, "sanchez") {
		t.Errorf("English keys %q and Spanish keys %q should both hold sanchez", en, es)
	}
	if got := tag.TagKey("algemesí"); got != "algemesi" {
		t.Errorf("TagKey(algemesí) = %q, want algemesi", got)
	}
}

func TestTermsOff(t *testing.T) {
	tg, _ := tag.New(nil, nil)
	if got := tg.WithAuto(false, 0).Terms(tag.TermText{Title: "Anything at all here"}); got != nil {
		t.Errorf("auto off: %q", got)
	}
	tg, _ = tag.New(nil, nil)
	if got := tg.WithAuto(true, 2).Terms(tag.TermText{Title: "Lisbon budget vote government"}); len(got) != 2 {
		t.Errorf("max 2: %q", got)
	}
}

func TestRelateKeys(t *testing.T) {
	tg, _ := tag.New(nil, nil)
	tests := []struct {
		name        string
		tags, terms []string
		exclude     map[string]bool
		want        []string
	}{
		{"source tags left out", []string{"world", "syria"}, nil, map[string]bool{"world": true}, []string{"syria"}},
		{"outlet spellings folded", []string{"isil-isis", "mideast", "world-news"}, nil, nil,
			[]string{"islam-state", "middl-east", "world"}},
		{"singular and plural meet", []string{"elections"}, []string{feeds.Term{Label: "election", Key: "elect"}.Encode()},
			nil, []string{"elect"}},
		{"terms by key", nil, []string{feeds.Term{Label: "deir-ez-zor", Key: "deir-ez-zor"}.Encode(),
			feeds.Term{Label: "islamic-state", Key: "islam-state"}.Encode()}, nil, []string{"deir-ez-zor", "islam-state"}},
		{"a category and a term of one name are one key", []string{"islamic-state"},
			[]string{feeds.Term{Label: "islamic-state", Key: "islam-state"}.Encode()}, nil, []string{"islam-state"}},
		{"the text decides: categories and rule tags beside terms left out", []string{"europe", "world", "syria"},
			[]string{feeds.Term{Label: "amsterdam", Key: "amsterdam"}.Encode()}, nil, []string{"amsterdam"}},
		{"no terms: the tags, source tags left out", []string{"europe", "world"}, nil,
			map[string]bool{"world": true}, []string{"europ"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tg.RelateKeys(tc.tags, tc.terms, tc.exclude); !slices.Equal(got, tc.want) {
				t.Errorf("RelateKeys = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestTermsBoundedCost: a 20 MB body, a title in one script or another,
// fifty thousand capitalised words: the terms come from the first
// kilobytes and stay few and short.
func TestTermsBoundedCost(t *testing.T) {
	tg, _ := tag.New(nil, nil)
	huge := "<p>" + strings.Repeat("Alpha Beta Gamma Delta ", 1<<20) + "</p>"
	for _, txt := range []tag.TermText{
		{Title: strings.Repeat("X", 5<<20), Content: huge},
		{Title: "مقتل خمسة في غارة على غزة", Content: "<p>قالت وزارة الصحة إن خمسة قتلوا في غارة على غزة.</p>"},
		{Title: "東京で地震 震度5強を観測", Content: "<p>東京都で震度5強の地震がありました。</p>"},
		{Content: strings.Repeat("<b>", 1<<16)},
	} {
		got := tg.Terms(txt)
		if len(got) > tag.DefaultAutoMax {
			t.Errorf("%d terms", len(got))
		}
		for _, tm := range got {
			if l := feeds.DecodeTerm(tm).Label; len(l) > 64*4 || !utf8.ValidString(l) || l == "" {
				t.Errorf("term %q", l)
			}
		}
	}
}

func FuzzTerms(f *testing.F) {
	f.Add("ISIS regroups in Syria's desert", "<p>Islamic State fighters near Deir ez-Zor.</p>", "en")
	f.Add("Les élections", "<p>l'élection d'Lyon, qu'il</p>", "fr")
	f.Add("", "<p>&amp;&#x263A;&bogus; O'Brien's U.S.-led 'quoted'</p>", "")
	f.Add("東京", "<p>東京都</p>", "ja")
	tg, _ := tag.New(map[string]string{"isis": "islamic-state"}, nil)
	f.Fuzz(func(t *testing.T, title, content, lang string) {
		got := tg.Terms(tag.TermText{Title: title, Content: content, Language: lang})
		if len(got) > tag.DefaultAutoMax {
			t.Fatalf("%d terms", len(got))
		}
		seen := map[string]bool{}
		for _, tm := range got {
			d := feeds.DecodeTerm(tm)
			if d.Label == "" || d.Key == "" || strings.ContainsAny(d.Label, "\t\n") {
				t.Fatalf("term %q", tm)
			}
			if seen[d.Key] {
				t.Fatalf("key %q twice in %q", d.Key, got)
			}
			seen[d.Key] = true
			if feeds.DecodeTerm(feeds.Term{Label: d.Label, Key: d.Key}.Encode()) != d {
				t.Fatalf("term %q does not round-trip", tm)
			}
		}
	})
}

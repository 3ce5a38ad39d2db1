package dedupe_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds/dedupe"
)

func TestMatch(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	body := "<p>The Federal Reserve held interest rates steady on Wednesday and signaled it still expects to cut twice next year.</p>"
	cut := "The Federal Reserve held interest rates steady on Wednesday and signaled"
	other := "<p>Riverton police have charged a 19-year-old man with murder following a stabbing outside a bar early Saturday.</p>"
	long := "fed holds rates steady signals two cuts in 2027"
	cases := []struct {
		name       string
		item, cand string
		dt         time.Duration
		generic    bool
		itemBody   string
		candBody   string
		want       dedupe.Rule
		ok         bool
	}{
		{"same long title", long, long, 3 * time.Hour, false, "", "", dedupe.RuleTitle, true},
		{"same long title, 60h later, no body", long, long, 60 * time.Hour, false, "", "", dedupe.RuleNew, false},
		{"same long title, 60h later, same body", long, long, 60 * time.Hour, false, body, body, dedupe.RuleBody, true},
		{"same title a year apart", long, long, 365 * 24 * time.Hour, false, body, body, dedupe.RuleNew, false},
		{"truncated and full", "fed holds rates steady signals two …", long, time.Hour, false, "", "", dedupe.RuleTitle, true},
		{"truncated, other story", "fed holds rates steady as ecb …", long, time.Hour, false, "", "", dedupe.RuleNew, false},
		{"short generic title, other bodies", "man charged with murder", "man charged with murder", time.Hour, false, body, other, dedupe.RuleNew, false},
		{"short title, same body", "nasa delays artemis ii again", "nasa delays artemis ii again", time.Hour, false, cut, body, dedupe.RuleBody, true},
		{"reused long title, other bodies", long, long, time.Hour, true, body, other, dedupe.RuleNew, false},
		{"reused long title, same body", long, long, time.Hour, true, body, body, dedupe.RuleBody, true},
		{"reused short title, the same boilerplate teaser a day later", "photos of the day", "photos of the day", 24 * time.Hour, true,
			"A selection of the day's best photos by AP photographers.", "A selection of the day's best photos by AP photographers.", dedupe.RuleNew, false},
		{"short title not reused, the same teaser", "photos of the day", "photos of the day", time.Hour, false,
			"A selection of the day's best photos by AP photographers.", "A selection of the day's best photos by AP photographers.", dedupe.RuleBody, true},
		{"a word more, same body", "rivian lays off 4 of staff ahead of r2 launch", "rivian lays off 4 of its staff ahead of r2 launch", time.Hour, false, body, body, dedupe.RuleBody, true},
		{"one word differs, other body", "storm knocks out power to thousands in springfield", "storm knocks out power to thousands in riverton", time.Hour, false, body, other, dedupe.RuleNew, false},
		{"opening only repeats the title", "morning briefing what you need", "morning briefing what you need", time.Hour, false, "<p>Morning briefing what you need</p>", "<p>Morning briefing what you need</p>", dedupe.RuleNew, false},
		{"same words, numbers swapped", "crash feed 1 reports story 13 today", "crash feed 13 reports story 1 today", time.Hour, false, body, body, dedupe.RuleNew, false},
		{"one word title", "photos", "photos", 0, false, body, body, dedupe.RuleNew, false},
		{"empty", "", "", 0, false, body, body, dedupe.RuleNew, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lz := dedupe.Lazy{ItemBody: c.itemBody,
				Generic: func() (bool, error) { return c.generic, nil },
				Body:    func() (string, error) { return c.candBody, nil }}
			rule, ok, err := dedupe.Match(dedupe.Side{TitleKey: c.item, Published: t0.Add(c.dt)}, dedupe.Side{TitleKey: c.cand, Published: t0}, lz)
			if err != nil || rule != c.want || ok != c.ok {
				t.Errorf("Match = %v, %v, %v; want %v, %v", rule, ok, err, c.want, c.ok)
			}
		})
	}
	t.Run("errors are passed on", func(t *testing.T) {
		boom := errors.New("boom")
		lz := dedupe.Lazy{Generic: func() (bool, error) { return false, boom }}
		if _, _, err := dedupe.Match(dedupe.Side{TitleKey: long, Published: t0}, dedupe.Side{TitleKey: long, Published: t0}, lz); !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
	})
}

func TestHead(t *testing.T) {
	for _, c := range []struct{ key, want string }{
		{"fed holds rates steady signals two", "fed holds rates steady"},
		{"fed holds rates steady", "fed holds rates steady"},
		{"fed holds rates …", ""},
		{"fed holds rates steady signals …", "fed holds rates steady"},
		{"", ""},
	} {
		if got := dedupe.Head(c.key); got != c.want {
			t.Errorf("Head(%q) = %q, want %q", c.key, got, c.want)
		}
	}
}

func TestRuleNames(t *testing.T) {
	for r := dedupe.RuleNew; r <= dedupe.RuleMerge; r++ {
		if got := dedupe.ParseRule(r.String()); got != r {
			t.Errorf("ParseRule(%q) = %v", r.String(), got)
		}
	}
}

// TestBodySimilarityBounded: a 5 MB body costs what its first words cost.
func TestBodySimilarityBounded(t *testing.T) {
	huge := strings.Repeat("<b>word</b> ", 500000)
	if s := dedupe.BodySimilarity(huge, huge); s != 1 {
		t.Errorf("similarity of a body with itself = %v", s)
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
)

// TestExplainExport: explain names every item of an article with its rule;
// export -json writes one object per article with items and related list.
func TestExplainExport(t *testing.T) {
	o := newOrigin(t, map[string]string{
		"/alpha.xml": rssDoc(
			[3]string{"a1", "Oil pipeline attacked near Kirkuk in northern Iraq", "iraq"},
			[3]string{"a2", "Iraq and Syria agree on new oil pipeline route", "iraq,syria"},
		),
		"/beta.xml": rssDoc([3]string{"b1", "Oil pipeline attacked near Kirkuk in northern Iraq", "iraq"}),
	})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, fmt.Sprintf("  - name: beta\n    url: %q\n", o.srv.URL+"/beta.xml")))
	ctx := context.Background()
	e, out, errw := testEnv()
	if got := run(ctx, e, []string{"fetch", "-config", cfg}); got != exitOK {
		t.Fatalf("fetch: %d\n%s\n%s", got, out, errw)
	}

	e, out, errw = testEnv()
	if got := run(ctx, e, []string{"export", "-json", "-config", cfg}); got != exitOK {
		t.Fatalf("export: %d %s", got, errw)
	}
	var joined int64
	n := 0
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var x exported
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		n++
		if len(x.Items) == 2 {
			joined = x.ID
			// The two sources are fetched concurrently: either may be first.
			if x.Items[0].Rule != "new" || x.Items[1].Rule != "title" || x.Items[0].Source == x.Items[1].Source || x.Items[1].GUID == "" {
				t.Errorf("items of %d: %+v", x.ID, x.Items)
			}
		}
		if x.Related == nil {
			t.Errorf("article %d: related is null, want a list", x.ID)
		}
	}
	if n != 2 || joined == 0 {
		t.Fatalf("export: %d articles, joined %d, want 2 and one carried twice:\n%s", n, joined, out)
	}

	e, out, errw = testEnv()
	if got := run(ctx, e, []string{"explain", "-config", cfg, fmt.Sprint(joined)}); got != exitOK {
		t.Fatalf("explain: %d %s", got, errw)
	}
	for _, want := range []string{"RULE", "alpha", "beta", "new", "title", "Kirkuk"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
	for _, cmd := range []string{"explain", "related"} {
		e, _, errw = testEnv()
		if got := run(ctx, e, []string{cmd, "-config", cfg, "999"}); got == exitOK || !strings.Contains(errw.String(), "article 999") {
			t.Errorf("%s of a missing article: status %d, stderr %q; want a failure naming article 999", cmd, got, errw)
		}
	}
}

// TestRelatedKeysByKind: `feedloom related` names what related posts
// compared, as RelateKeys chooses it: an article's key terms when it has
// any, else its categories and rule tags, never its source tags.
func TestRelatedKeysByKind(t *testing.T) {
	cfg := config.Default()
	cfg.Sources = []feeds.Source{{Name: "wire", URL: "https://wire.example/feed", Tags: []string{"world"}}}
	ex, err := newExplainer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	term := feeds.Term{Label: "islamic-state", Key: "islam-state"}.Encode()
	withText := feeds.Article{Terms: []string{term}, Tags: []string{"europe", "world"},
		Categories: []string{"Europe"}, Sources: []string{"wire"}}
	textless := feeds.Article{Tags: []string{"europe", "syria", "world"}, Categories: []string{"Europe"}, Sources: []string{"wire"}}
	tests := []struct {
		name string
		a, b feeds.Article
		want string
	}{
		{"terms alone, categories beside them left out", withText, withText, "terms islamic-state"},
		{"no terms: categories and rule tags, not source tags", textless, textless, "categories europe; rules syria"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sharedByKind(ex.keys(tc.a), ex.keys(tc.b)); got != tc.want {
				t.Errorf("shared = %q, want %q", got, tc.want)
			}
		})
	}
}

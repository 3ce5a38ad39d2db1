package tag_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/tag"
)

func TestZZDebugTerms(t *testing.T) {
	pat := os.Getenv("ZZ")
	if pat == "" {
		t.Skip()
	}
	var set struct {
		Articles []struct {
			Title, Summary, Content, Language, Cluster string
			Categories []string
		}
	}
	b, _ := os.ReadFile("../../testdata/related/holdout.json")
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	tg, _ := tag.New(nil, nil)
	tg = tg.WithAuto(true, 12)
	for _, a := range set.Articles {
		if !strings.Contains(a.Title, pat) && !strings.Contains(a.Cluster, pat) {
			continue
		}
		terms := tg.Terms(tag.TermText{Title: a.Title, Summary: a.Summary, Content: a.Content, Language: a.Language})
		t.Logf("%s | %s\n   terms=%v\n   keys=%v", a.Cluster, a.Title, terms, tg.RelateKeys(a.Categories, terms, nil))
	}
}

package tag_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/tag"
)

// BenchmarkTags tags a 4 KB HTML article with 20 rules of five words and
// phrases each, ten source tags and ten categories.
func BenchmarkTags(b *testing.B) {
	var rules []feeds.TagRule
	for i := range 20 {
		rules = append(rules, feeds.TagRule{
			Tag: fmt.Sprintf("topic-%d", i),
			Any: []string{fmt.Sprintf("word%d", i), fmt.Sprintf("Phrase %d here", i), "power grid", "oil", fmt.Sprintf("Ünï%d", i)},
		})
	}
	rules[3].In = []string{"title"}
	tg, err := tag.New(map[string]string{"isis": "islamic-state"}, rules)
	if err != nil {
		b.Fatal(err)
	}
	para := `<p>The <a href="https://example.com/x">Oil price</a> rose by 3&nbsp;% on Tuesday after officials ` +
		`said the power grid in Northern Region would need &ldquo;months&rdquo; of repairs; word7 appears.</p>`
	content := strings.Repeat(para, 4096/len(para)+1)[:4096]
	a := feeds.Article{Title: "Oil prices rise as grid repairs drag on", Summary: para, Content: content}
	src := []string{"world", "news", "Energy", "markets", "europe", "asia", "a", "b", "c", "d"}
	cats := []string{"Business", "Markets", "Oil & Gas", "Europe", "World News", "ISIS", "x", "y", "z", "w"}
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	for b.Loop() {
		tg.Tags(src, cats, a)
	}
}

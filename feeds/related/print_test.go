package related_test

import (
	"fmt"
	"testing"

	"github.com/feedloom/feedloom/feeds/related"
)

func TestPrintDesk(t *testing.T) {
	ix := load(related.Options{Limit: 3, Window: 720 * 3600e9})
	for _, s := range desk() {
		fmt.Printf("%d %q:", s.id, s.title)
		for _, p := range ix.Query(s.id) {
			fmt.Printf("  %d(%.3f %v)", p.ArticleID, p.Score, p.Shared)
		}
		fmt.Println()
	}
	for _, tg := range []string{"world", "syria", "geneva", "attack", "oil", "iraq", "trending-aa"} {
		fmt.Println(tg, ix.Weight(tg))
	}
}

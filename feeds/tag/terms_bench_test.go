package tag_test

import (
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/tag"
)

// BenchmarkTerms is one news article's key terms: a headline and a lead of
// about 1 KB of HTML.
func BenchmarkTerms(b *testing.B) {
	tg, _ := tag.New(nil, nil)
	txt := tag.TermText{Title: "ISIS regroups in Syria's desert as attacks rise", Content: `<p>Islamic State fighters have regrouped in the desert near Deir ez-Zor, U.S. officials said on Tuesday, as attacks on Syrian Democratic Forces rose sharply over the past month.</p><p>The militants, who once held the Hamrin Mountains in Iraq, are using old smuggling routes to move weapons and fuel, according to a report by the monitoring group. "They are back, and they are organised," said Gen. Michael Kurilla, who leads Central Command.</p><p>Kurdish-led forces say they detain dozens of suspects every week, but the camps holding families of fighters remain overcrowded and violent.</p>`}
	// A full story of a feed that carries whole articles: the lead is
	// what counts, whatever follows it.
	long := txt
	long.Content = strings.Repeat(`<p>Officials at the <a href="https://example.com/tag/syria?ref=feed&amp;utm_source=rss">Syrian</a> border said on Wednesday that convoys moved overnight along the Euphrates, carrying fuel and weapons towards camps in the east.</p>`, 20)
	for _, bc := range []struct {
		name string
		txt  tag.TermText
	}{{"lead", txt}, {"long", long}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tg.Terms(bc.txt)
			}
		})
	}
}

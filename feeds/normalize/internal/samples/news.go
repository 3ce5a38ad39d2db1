package samples

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// Words of the generated news items.
var (
	newsPlaces = []string{"Aleppo", "Mosul", "Kyiv", "Lagos", "Jakarta", "Quito", "Oslo", "Sana'a", "Tbilisi", "Manila"}
	newsNouns  = []string{"pipeline", "grid", "election", "ceasefire", "budget", "harvest", "strike", "border",
		"refinery", "court", "minister", "militia", "port", "currency", "drought", "vaccine"}
	newsVerbs = []string{"rises", "falls", "stalls", "resumes", "collapses", "expands", "splits", "holds"}
	newsAdjs  = []string{"fragile", "sudden", "long-awaited", "disputed", "regional", "record", "quiet"}
	newsFill  = []string{"after", "despite", "as", "while", "amid", "and", "the", "of", "in", "“three”", "€40m", "&amp;", "–"}
)

// newsHostile are snippets a careless or hostile feed sends inside
// otherwise ordinary articles; the sanitiser must remove them every time.
var newsHostile = []string{
	`<script>document.write("<img src=//t.example/p.gif>")</script>`,
	`<img src="https://t.example/1x1.gif" onerror="alert(1)" style="display:none">`,
	`<a href="javascript:alert(1)">Click</a>`,
	`<iframe src="https://www.youtube.com/embed/xyz" width="560" height="315" allowfullscreen></iframe>`,
	`<div class="ad" onclick="track()"><span style="color:red">Sponsored</span></div>`,
	`<p style="font-size:30px">Read <a href="https://example.org/more" target="_blank" rel="opener">more</a></p>`,
}

// News returns n news items of 1–4 KB of HTML each, the same for the
// same seed: paragraphs with absolute and relative links, emphasis,
// entities, images (absolute, relative, protocol-relative), lists, quotes,
// the odd table, and in one item of five a hostile snippet.
func News(seed uint64, n int) []feeds.Item {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	sentence := func() string {
		w := []string{pick(newsPlaces)}
		for k := 8 + r.IntN(12); len(w) < k; {
			switch r.IntN(5) {
			case 0:
				w = append(w, pick(newsVerbs))
			case 1:
				w = append(w, pick(newsAdjs))
			case 2:
				w = append(w, pick(newsFill))
			default:
				w = append(w, pick(newsNouns))
			}
		}
		return strings.Join(w, " ") + "."
	}
	items := make([]feeds.Item, n)
	for i := range items {
		site := fmt.Sprintf("news%d.example.com", r.IntN(40))
		link := fmt.Sprintf("https://%s/2025/06/%02d/story-%d.html", site, 1+r.IntN(28), i)
		if r.IntN(3) == 0 {
			link += "?utm_source=rss&utm_medium=feed"
		}
		var c strings.Builder
		size := 1024 + r.IntN(3072)
		for c.Len() < size {
			switch r.IntN(10) {
			case 0:
				c.WriteString("<ul>\n")
				for range 2 + r.IntN(3) {
					c.WriteString("  <li>" + sentence() + "</li>\n")
				}
				c.WriteString("</ul>\n")
			case 1:
				c.WriteString("<blockquote><p>" + sentence() + "</p></blockquote>\n")
			case 2:
				src := [...]string{"https://img.example.net/%d.jpg", "/images/%d.png", "//cdn.example.net/%d.webp"}[r.IntN(3)]
				fmt.Fprintf(&c, `<figure><img src="`+src+`" alt="%s" width="640" height="360"><figcaption>%s</figcaption></figure>`+"\n",
					r.IntN(1_000_000), pick(newsNouns), sentence())
			case 3:
				if r.IntN(4) == 0 {
					c.WriteString(`<table><tr><th scope="col">Year</th><th>Output</th></tr><tr><td>2024</td><td>1.2m</td></tr></table>` + "\n")
				} else {
					c.WriteString("<h2>" + pick(newsPlaces) + " " + pick(newsNouns) + "</h2>\n")
				}
			default:
				c.WriteString("<p>")
				for k := 2 + r.IntN(3); k > 0; k-- {
					s := sentence()
					switch r.IntN(5) {
					case 0:
						s += fmt.Sprintf(` <a href="https://ref.example.org/%s/%d">%s</a> <em>%s</em>.`,
							pick(newsNouns), r.IntN(100_000), pick(newsNouns), pick(newsAdjs))
					case 1:
						s += fmt.Sprintf(` See <a href="/%s/%d" title="More">our coverage</a> of the <strong>%s</strong>.`,
							pick(newsNouns), r.IntN(100_000), pick(newsNouns))
					}
					c.WriteString(s + " ")
				}
				c.WriteString("</p>\n")
			}
		}
		if r.IntN(5) == 0 {
			c.WriteString(pick(newsHostile) + "\n")
		}
		summary := sentence() + " " + sentence() // plain text, as many feeds send
		if r.IntN(2) == 0 {
			summary = "<p>" + summary + ` <a href="` + link + `">Read more</a></p>`
		}
		items[i] = feeds.Item{
			GUID:      fmt.Sprintf("urn:%s:%d", site, i),
			Link:      link,
			Title:     pick(newsPlaces) + " " + pick(newsNouns) + " " + pick(newsVerbs) + " &amp; " + pick(newsNouns),
			Summary:   summary,
			Content:   c.String(),
			Author:    "Jane Doe",
			Published: time.Date(2025, 5, 1+r.IntN(30), r.IntN(24), 0, 0, 0, time.UTC),
		}
	}
	return items
}

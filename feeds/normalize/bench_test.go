package normalize_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/mmcdole/gofeed"
)

// benchItem is a realistic item: about 2 KB of article HTML with links,
// an image, a list, entities and a tracking-laden link.
func benchItem() feeds.Item {
	para := `<p>The <a href="/markets/oil?utm_source=rss">oil price</a> rose by 3&nbsp;% on Tuesday after ` +
		`officials said the <strong>power grid</strong> would need &ldquo;months&rdquo; of repairs. ` +
		`<em>Analysts</em> expect further moves.</p>`
	content := para + `<figure><img src="/img/chart.png" alt="Chart" width="600" height="400">` +
		`<figcaption>Brent crude, 30 days</figcaption></figure><ul><li>Supply</li><li>Demand</li></ul>` +
		strings.Repeat(para, 6) + `<blockquote>We will restore power.</blockquote>`
	return feeds.Item{
		GUID:      "https://example.com/?p=12345",
		Link:      "https://www.Example.com/news/2025/06/oil-prices-rise.html?utm_source=rss&utm_medium=feed#comments",
		Title:     "Oil prices rise as grid repairs drag on &amp; markets react",
		Summary:   para,
		Content:   content,
		Author:    "Jane Doe",
		Published: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC),
	}
}

func BenchmarkArticle(b *testing.B) {
	n := normalize.New()
	it := benchItem()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(it.Summary) + len(it.Content)))
	b.ReportAllocs()
	cpu0, ok := cpuTime()
	for b.Loop() {
		n.Article(it, now)
	}
	reportCPU(b, cpu0, ok)
}

// Words of the generated news items.
var (
	benchPlaces = []string{"Aleppo", "Mosul", "Kyiv", "Lagos", "Jakarta", "Quito", "Oslo", "Sana'a", "Tbilisi", "Manila"}
	benchNouns  = []string{"pipeline", "grid", "election", "ceasefire", "budget", "harvest", "strike", "border",
		"refinery", "court", "minister", "militia", "port", "currency", "drought", "vaccine"}
	benchVerbs = []string{"rises", "falls", "stalls", "resumes", "collapses", "expands", "splits", "holds"}
	benchAdjs  = []string{"fragile", "sudden", "long-awaited", "disputed", "regional", "record", "quiet"}
	benchFill  = []string{"after", "despite", "as", "while", "amid", "and", "the", "of", "in", "“three”", "€40m", "&amp;", "–"}
)

// benchHostile are snippets a careless or hostile feed sends inside
// otherwise ordinary articles; the sanitiser must remove them every time.
var benchHostile = []string{
	`<script>document.write("<img src=//t.example/p.gif>")</script>`,
	`<img src="https://t.example/1x1.gif" onerror="alert(1)" style="display:none">`,
	`<a href="javascript:alert(1)">Click</a>`,
	`<iframe src="https://www.youtube.com/embed/xyz" width="560" height="315" allowfullscreen></iframe>`,
	`<div class="ad" onclick="track()"><span style="color:red">Sponsored</span></div>`,
	`<p style="font-size:30px">Read <a href="https://example.org/more" target="_blank" rel="opener">more</a></p>`,
}

// benchNews returns n news items of 1–4 KB of HTML each, the same for the
// same seed: paragraphs with absolute and relative links, emphasis,
// entities, images (absolute, relative, protocol-relative), lists, quotes,
// the odd table, and in one item of five a hostile snippet.
func benchNews(seed uint64, n int) []feeds.Item {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(ss []string) string { return ss[r.IntN(len(ss))] }
	sentence := func() string {
		w := []string{pick(benchPlaces)}
		for k := 8 + r.IntN(12); len(w) < k; {
			switch r.IntN(5) {
			case 0:
				w = append(w, pick(benchVerbs))
			case 1:
				w = append(w, pick(benchAdjs))
			case 2:
				w = append(w, pick(benchFill))
			default:
				w = append(w, pick(benchNouns))
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
					r.IntN(1_000_000), pick(benchNouns), sentence())
			case 3:
				if r.IntN(4) == 0 {
					c.WriteString(`<table><tr><th scope="col">Year</th><th>Output</th></tr><tr><td>2024</td><td>1.2m</td></tr></table>` + "\n")
				} else {
					c.WriteString("<h2>" + pick(benchPlaces) + " " + pick(benchNouns) + "</h2>\n")
				}
			default:
				c.WriteString("<p>")
				for k := 2 + r.IntN(3); k > 0; k-- {
					s := sentence()
					switch r.IntN(5) {
					case 0:
						s += fmt.Sprintf(` <a href="https://ref.example.org/%s/%d">%s</a> <em>%s</em>.`,
							pick(benchNouns), r.IntN(100_000), pick(benchNouns), pick(benchAdjs))
					case 1:
						s += fmt.Sprintf(` See <a href="/%s/%d" title="More">our coverage</a> of the <strong>%s</strong>.`,
							pick(benchNouns), r.IntN(100_000), pick(benchNouns))
					}
					c.WriteString(s + " ")
				}
				c.WriteString("</p>\n")
			}
		}
		if r.IntN(5) == 0 {
			c.WriteString(pick(benchHostile) + "\n")
		}
		summary := sentence() + " " + sentence() // plain text, as many feeds send
		if r.IntN(2) == 0 {
			summary = "<p>" + summary + ` <a href="` + link + `">Read more</a></p>`
		}
		items[i] = feeds.Item{
			GUID:      fmt.Sprintf("urn:%s:%d", site, i),
			Link:      link,
			Title:     pick(benchPlaces) + " " + pick(benchNouns) + " " + pick(benchVerbs) + " &amp; " + pick(benchNouns),
			Summary:   summary,
			Content:   c.String(),
			Author:    "Jane Doe",
			Published: time.Date(2025, 5, 1+r.IntN(30), r.IntN(24), 0, 0, 0, time.UTC),
		}
	}
	return items
}

// benchItems runs Article over items round robin.
func benchItems(b *testing.B, items []feeds.Item) {
	n := normalize.New()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var size int
	for _, it := range items {
		size += len(it.Summary) + len(it.Content)
	}
	b.SetBytes(int64(size / len(items)))
	b.ReportAllocs()
	cpu0, ok := cpuTime()
	i := 0
	for b.Loop() {
		n.Article(items[i%len(items)], now)
		i++
	}
	reportCPU(b, cpu0, ok)
}

// reportCPU reports the CPU time per operation since cpu0 as cpu-ns/op.
func reportCPU(b *testing.B, cpu0 time.Duration, ok bool) {
	if cpu1, ok1 := cpuTime(); ok && ok1 && b.N > 0 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkArticleNews is the bulk-ingest case: generated news items of
// 1–4 KB of HTML.
func BenchmarkArticleNews(b *testing.B) {
	benchItems(b, benchNews(1, 256))
}

// BenchmarkHTMLNews is the sanitising part of BenchmarkArticleNews alone.
func BenchmarkHTMLNews(b *testing.B) {
	n := normalize.New()
	items := benchNews(1, 256)
	b.ReportAllocs()
	cpu0, ok := cpuTime()
	i := 0
	for b.Loop() {
		it := items[i%len(items)]
		n.HTML(it.Content, it.Link)
		i++
	}
	reportCPU(b, cpu0, ok)
}

// BenchmarkArticleCorpus normalises every item of every feed of the shared
// corpus that gofeed parses (real-world markup, hostile documents included).
func BenchmarkArticleCorpus(b *testing.B) {
	items := allCorpusItems(b)
	if len(items) == 0 {
		b.Skip("no corpus items")
	}
	benchItems(b, items)
}

// allCorpusItems returns the items of every corpus document gofeed parses,
// or skips when ../shared is absent.
func allCorpusItems(tb testing.TB) []feeds.Item {
	tb.Helper()
	shared, err := findShared()
	if err != nil {
		tb.Skipf("skipping: %v", err)
	}
	var items []feeds.Item
	p := gofeed.NewParser()
	root := filepath.Join(shared, "corpus")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		feed, err := p.Parse(bytes.NewReader(data))
		if err != nil {
			return nil // unparseable documents are the parser's business
		}
		for _, it := range feed.Items {
			fi := feeds.Item{GUID: it.GUID, Link: it.Link, Title: it.Title, Summary: it.Description, Content: it.Content}
			if it.Author != nil {
				fi.Author = it.Author.Name
			}
			items = append(items, fi)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return items
}

// benchHTML runs HTML over fields round robin, each against base.
func benchHTML(b *testing.B, fields []string, base string) {
	n := normalize.New()
	var size int
	for _, f := range fields {
		size += len(f)
	}
	b.SetBytes(int64(size / len(fields)))
	b.ReportAllocs()
	cpu0, ok := cpuTime()
	i := 0
	for b.Loop() {
		n.HTML(fields[i%len(fields)], base)
		i++
	}
	reportCPU(b, cpu0, ok)
}

// BenchmarkHTMLCorpus sanitises every summary and content of the shared
// corpus that holds markup or entities (real-world HTML, hostile included).
func BenchmarkHTMLCorpus(b *testing.B) {
	var fields []string
	for _, it := range allCorpusItems(b) {
		for _, s := range []string{it.Summary, it.Content} {
			if strings.ContainsAny(s, "<&") {
				fields = append(fields, s)
			}
		}
	}
	if len(fields) == 0 {
		b.Skip("no corpus HTML")
	}
	benchHTML(b, fields, "https://example.com/news/post.html")
}

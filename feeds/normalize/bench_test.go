package normalize_test

import (
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/normalize/internal/samples"
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
	benchItems(b, samples.News(1, 256))
}

// BenchmarkHTMLNews is the sanitising part of BenchmarkArticleNews alone.
func BenchmarkHTMLNews(b *testing.B) {
	n := normalize.New()
	items := samples.News(1, 256)
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
	items := samples.Corpus(b)
	if len(items) == 0 {
		b.Skip("no corpus items")
	}
	benchItems(b, items)
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
	for _, it := range samples.Corpus(b) {
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

package normalize_test

import (
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
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
	for b.Loop() {
		n.Article(it, now)
	}
}

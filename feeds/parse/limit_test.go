package parse_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/parse"
)

// TestItemCapFormats: items beyond MaxItems are cut from the bytes in every
// XML shape (RSS 2.0, RSS 1.0, Atom, self-closed items, channel elements
// after the items), keeping the first ones and the document's tail.
func TestItemCapFormats(t *testing.T) {
	n := parse.MaxItems + 20
	many := func(format string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, format, i, i)
		}
		return b.String()
	}
	tests := []struct {
		name, doc string
		want      int
	}{
		{"rss 2.0", `<rss version="2.0"><channel><title>T</title>` +
			many(`<item><title>%d</title><guid>g%d</guid></item>`) + `<ttl>60</ttl></channel></rss>`, parse.MaxItems},
		{"rss 1.0", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>T</title></channel>` +
			many(`<item rdf:about="https://e.example/%d"><title>%d</title></item>`) + `</rdf:RDF>`, parse.MaxItems},
		{"atom", `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>` +
			many(`<entry><title>%d</title><id>urn:%d</id></entry>`) + `</feed>`, parse.MaxItems},
		{"self-closed items", `<rss version="2.0"><channel><title>T</title><item><title>0</title></item>` +
			strings.Repeat(`<item/>`, n) + `</channel></rss>`, parse.MaxItems},
		{"json feed", `{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[` +
			strings.TrimSuffix(many(`{"title":"%d","id":"urn:%d"},`), ",") + `],"home_page_url":"https://e.example/"}`, parse.MaxItems},
		{"json feed at the cap", `{"version":"https://jsonfeed.org/version/1.1","title":"T","items":[` +
			strings.TrimSuffix(strings.Repeat(`{"title":"0","id":"urn:0"},`, parse.MaxItems), ",") + `]}`, parse.MaxItems},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseSafely(t, []byte(tt.doc), "", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != tt.want || f.Title != "T" || f.Items[0].Title != "0" {
				t.Fatalf("%d items, title %q, first %q; want %d", len(f.Items), f.Title, f.Items[0].Title, tt.want)
			}
			if tt.name == "rss 2.0" && f.TTL == 0 {
				t.Error("the channel's ttl after the items was lost")
			}
			if tt.name == "json feed" && (f.Link != "https://e.example/" || f.Items[len(f.Items)-1].Title != fmt.Sprint(parse.MaxItems-1)) {
				t.Errorf("json feed: home page %q, last item %q: the tail or the order was lost", f.Link, f.Items[len(f.Items)-1].Title)
			}
		})
	}
}

// TestCostBudget: a document that would make gofeed build more than
// MaxCost elements and attributes loses its later items, or is refused when
// the cost is not in items that can be dropped.
func TestCostBudget(t *testing.T) {
	ext := func(n int) string { return strings.Repeat(`<x:e a="1"/>`, n) }
	const perItem = 100 // elements and attributes of one item below
	var b strings.Builder
	b.WriteString(`<rss version="2.0" xmlns:x="urn:x"><channel><title>T</title>`)
	for i := range 3 * parse.MaxCost / perItem {
		fmt.Fprintf(&b, `<item><title>%d</title>%s</item>`, i, ext(perItem/2-1))
	}
	b.WriteString(`</channel></rss>`)
	f, err := parseSafely(t, []byte(b.String()), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Items); n < parse.MaxCost/perItem-2 || n > parse.MaxCost/perItem || f.Items[0].Title != "0" {
		t.Errorf("kept %d items (first %q), want about %d", n, f.Items[0].Title, parse.MaxCost/perItem)
	}

	refused := []struct{ name, doc string }{
		{"one item", `<rss version="2.0" xmlns:x="urn:x"><channel><title>T</title><item><title>t</title>` +
			ext(parse.MaxCost/2+1) + `</item></channel></rss>`},
		{"channel", `<rss version="2.0" xmlns:x="urn:x"><channel><title>T</title>` + ext(parse.MaxCost/2+1) +
			`<item><title>t</title></item></channel></rss>`},
		{"attributes", `<rss version="2.0"><channel><title>T</title><item><title>t</title><x:e ` +
			strings.Repeat(`a="1" `, parse.MaxCost+1) + `/></item></channel></rss>`},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseSafely(t, []byte(tt.doc), "", "")
			if !errors.Is(err, parse.ErrMalformed) || !strings.Contains(err.Error(), "elements and attributes") {
				t.Fatalf("got %v (feed %v), want a malformed error naming the cost", err, f != nil)
			}
		})
	}
}

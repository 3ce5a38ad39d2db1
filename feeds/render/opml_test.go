package render_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

func fixtureSources() []feeds.Source {
	return []feeds.Source{
		{Name: "example-world", URL: "https://example.org/world/rss.xml", Title: "Example World", Tags: []string{"world", "news"}},
		{Name: "wire-news", URL: "https://wire.example.com/feed.atom?a=1&b=2"},
		{Name: "local-blog", URL: "file:///srv/feeds/blog.xml", Title: "Local <Blog> \x01"},
	}
}

func TestGoldenOPML(t *testing.T) {
	tests := []struct {
		name    string
		sources []feeds.Source
	}{
		{"sources", fixtureSources()},
		{"nosources", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := render.OPML(&buf, "World Desk", tt.sources); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name+".opml", buf.Bytes())
		})
	}
}

// TestOPMLRoundTrip exports sources and imports them back.
func TestOPMLRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := render.OPML(&buf, "World Desk", fixtureSources()); err != nil {
		t.Fatal(err)
	}
	got, _, err := render.ParseOPML(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := []feeds.Source{
		{Name: "example-world", URL: "https://example.org/world/rss.xml", Title: "Example World", Tags: []string{"news", "world"}},
		{Name: "wire-news", URL: "https://wire.example.com/feed.atom?a=1&b=2", Title: "wire-news"},
		{Name: "local-blog", URL: "file:///srv/feeds/blog.xml", Title: "Local <Blog>"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseOPML(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []feeds.Source
		err  error
	}{
		{
			name: "nested folders become tags",
			in: `<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>
<outline text="News"><outline text="World Politics">
  <outline type="rss" text="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml" htmlUrl="https://www.bbc.co.uk/news"/>
</outline></outline>
<outline type="rss" title="Le Monde – Économie" text="ignored" xmlurl="https://www.lemonde.fr/economie/rss_full.xml" category="/Economy,/France/Paris"/>
</body></opml>`,
			want: []feeds.Source{
				{Name: "bbc-world", URL: "https://feeds.bbci.co.uk/news/world/rss.xml", Title: "BBC World", Tags: []string{"news", "world-politics"}},
				{Name: "le-monde-economie", URL: "https://www.lemonde.fr/economie/rss_full.xml", Title: "Le Monde – Économie", Tags: []string{"economy", "france", "paris"}},
			},
		},
		{
			name: "names made unique, duplicates merged, untitled named by host",
			in: `<opml version="2.0"><body>
<outline type="rss" text="Blog" xmlUrl="https://a.example/feed"/>
<outline type="rss" text="Blog" xmlUrl="https://b.example/feed"/>
<outline text="Tech"><outline type="rss" text="Blog" xmlUrl="https://a.example/feed"/></outline>
<outline type="rss" text="Новости" xmlUrl="https://www.news.example.ru/rss"/>
<outline type="rss" text="" xmlUrl="https://c.example/rss"/>
<outline text="folder without feeds"/>
</body></opml>`,
			want: []feeds.Source{
				{Name: "blog", URL: "https://a.example/feed", Title: "Blog", Tags: []string{"tech"}},
				{Name: "blog-2", URL: "https://b.example/feed", Title: "Blog"},
				{Name: "news-example-ru", URL: "https://www.news.example.ru/rss", Title: "Новости"},
				{Name: "c-example", URL: "https://c.example/rss"},
			},
		},
		{
			name: "declared legacy charset",
			in:   "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml version=\"2.0\"><body><outline text=\"Caf\xe9\" xmlUrl=\"https://cafe.example/rss\"/></body></opml>",
			want: []feeds.Source{{Name: "cafe", URL: "https://cafe.example/rss", Title: "Café"}},
		},
		{name: "not opml", in: `<rss version="2.0"><channel/></rss>`, err: render.ErrNoOPML},
		{name: "empty body", in: `<opml version="2.0"><head/><body/></opml>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := render.ParseOPML(strings.NewReader(tt.in))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, _, err := render.ParseOPML(strings.NewReader("<opml><body><outline")); err == nil {
		t.Error("truncated document: no error")
	}
}

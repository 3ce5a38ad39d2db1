package parse_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/parse"
)

// corpusDir is ../shared/corpus beside the repository root (the directory
// holding go.mod), or $FEED_CORPUS; tests skip when it is absent.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, why := findCorpus()
	if dir == "" {
		t.Skip(why)
	}
	return dir
}

// findCorpus returns the corpus directory, or "" and why it is missing.
func findCorpus() (dir, why string) {
	if d := os.Getenv("FEED_CORPUS"); d != "" {
		return d, ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", "no working directory: " + err.Error()
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "repository root (go.mod) not found"
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(c, "MANIFEST.tsv")); err != nil {
		return "", "feed corpus not found at " + c + " (../shared is absent)"
	}
	return c, ""
}

// corpusFiles lists the feed files of the corpus with their MANIFEST
// gofeed column ("ok rss 2.0, 0 items", "fail: ...").
func corpusFiles(t testing.TB) (dir string, files map[string]string) {
	dir = corpusDir(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	files = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 5 || cols[0] == "path" {
			continue
		}
		files[cols[0]] = cols[4]
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return dir, files
}

func readCorpus(t testing.TB, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseSafely runs Parse and fails the test on a panic.
func parseSafely(t *testing.T, data []byte, contentType, feedURL string) (f *feeds.Feed, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Parse panicked: %v", r)
		}
	}()
	return parse.Parse(data, contentType, feedURL)
}

// checkUTF8 asserts every text field of f is valid UTF-8.
func checkUTF8(t *testing.T, f *feeds.Feed) {
	t.Helper()
	strs := []string{f.Title, f.Link, f.Format}
	for _, it := range f.Items {
		strs = append(strs, it.GUID, it.Link, it.Title, it.Summary, it.Content, it.Author)
		strs = append(strs, it.Categories...)
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8: %q", s[:min(len(s), 80)])
			return
		}
	}
}

func TestCorpus(t *testing.T) {
	dir, files := corpusFiles(t)
	if len(files) == 0 {
		t.Fatal("MANIFEST.tsv lists no files")
	}
	for name, gofeedSaid := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := readCorpus(t, dir, name)
			if len(data) > 512<<10 && (raceEnabled || testing.Short()) {
				t.Skip("large file: only without -race and -short")
			}
			start := time.Now()
			f, err := parseSafely(t, data, "", "https://example.org/feeds/"+filepath.Base(name))
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v", d)
			}
			if strings.HasPrefix(name, "hostile/") {
				if err != nil {
					if err.Error() == "" || !(errors.Is(err, parse.ErrNotAFeed) || errors.Is(err, parse.ErrMalformed)) {
						t.Errorf("error %q has no message or sentinel", err)
					}
					return
				}
				checkUTF8(t, f)
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkUTF8(t, f)
			if len(f.Items) == 0 && !strings.HasSuffix(gofeedSaid, ", 0 items") {
				t.Errorf("no items (gofeed: %s)", gofeedSaid)
			}
			if f.Format == "" {
				t.Errorf("no format")
			}
			for _, it := range f.Items {
				if it.Link != "" && !strings.Contains(it.Link, ":") {
					t.Errorf("relative link %q", it.Link)
				}
			}
		})
	}
}

// TestCorpusFixed: files gofeed v1.4.2 alone fails on (notes, "gofeed
// v1.4.2 on the corpus") parse now, with the right text.
func TestCorpusFixed(t *testing.T) {
	dir := corpusDir(t)
	tests := []struct {
		name        string
		format      string
		items       int
		title       string // of the feed
		itemTitle   string // of the item at index at
		at          int
		description string // of the first item
	}{
		{name: "hostile/feedparser-utf-16le-bom.xml", format: "rss"},
		{name: "hostile/feedparser-utf-32be-bom.xml", format: "rss"},
		{name: "hostile/miniflux-no_encoding_ISO-8859-1.xml", format: "rss 2.0", items: 10,
			title: "Flux RSS du magazine de psychologie Le Cercle Psy", itemTitle: "La criminalité liée surtout à... l'ennui ?", at: 2},
		{name: "hostile/rssparser-uolNoticias.rss", format: "rss", items: 15, itemTitle: "Ibope: Bolsonaro perde de Haddad, Ciro e Alckmin em simulações de 2º turno"},
		{name: "hostile/generated-control-chars.xml", format: "rss 2.0", items: 5, itemTitle: "noncharacters: [] (UTF-8 EF BF BE / EF BF BF)", at: 2},
		{name: "hostile/generated-html-entities.xml", format: "rss 2.0", items: 5},
		{name: "hostile/generated-json-bom.json", format: "json 1.1", items: 1, title: "JSON Feed with a UTF-8 BOM"},
		{name: "hostile/miniflux-invalid-prolog.xml", format: "atom", items: 1, itemTitle: "Café"},
		{name: "hostile/miniflux-utf8-incorrect-prolog.xml", format: "atom", items: 1, itemTitle: "Café"},
		{name: "hostile/miniflux-windows-1252-incorrect-prolog.xml", format: "rss 2.0", title: "Euro €"},
		{name: "hostile/feedparser-demoronize-1.xml", format: "rss 2.0", items: 1, description: "don\u2019t"},
		{name: "hostile/feedparser-bozo_bogus_encoding.xml", format: "rss"},
		{name: "rss/miniflux-encoding_ISO-8859-1.xml", format: "rss 2.0", items: 40, title: "Golem.de"},
		{name: "rss/miniflux-encoding_WINDOWS-1251.xml", format: "rss 2.0", items: 50, itemTitle: "Цитата #17703"},
		{name: "hostile/miniflux-koi8r.xml", format: "rss 2.0", items: 2, itemTitle: "Первая новость"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseSafely(t, readCorpus(t, dir, tt.name), "", "https://example.org/feed")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkUTF8(t, f)
			if f.Format != tt.format || len(f.Items) != tt.items {
				t.Errorf("format %q with %d items, want %q with %d", f.Format, len(f.Items), tt.format, tt.items)
			}
			if tt.title != "" && f.Title != tt.title {
				t.Errorf("title %q, want %q", f.Title, tt.title)
			}
			if tt.itemTitle != "" && (len(f.Items) <= tt.at || strings.TrimSpace(f.Items[tt.at].Title) != tt.itemTitle) {
				t.Errorf("item %d title wrong, want %q; items: %+v", tt.at, tt.itemTitle, f.Items)
			}
			if tt.description != "" && (len(f.Items) == 0 || f.Items[0].Summary != tt.description) {
				t.Errorf("description wrong, want %q; items: %+v", tt.description, f.Items)
			}
		})
	}
}

func TestCorpusHostileContent(t *testing.T) {
	dir := corpusDir(t)
	t.Run("html entities and forbidden references", func(t *testing.T) {
		f, err := parseSafely(t, readCorpus(t, dir, "hostile/generated-html-entities.xml"), "", "")
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Items[0].Title; !strings.HasPrefix(got, "Café — naïve … “quoted”") {
			t.Errorf("title %q", got)
		}
	})
	for _, name := range []string{"hostile/generated-xxe.xml", "hostile/generated-billion-laughs.xml"} {
		t.Run(name, func(t *testing.T) {
			f, err := parseSafely(t, readCorpus(t, dir, name), "", "")
			if err != nil {
				t.Fatal(err)
			}
			host, _ := os.ReadFile("/etc/hostname")
			for _, it := range f.Items {
				for _, s := range []string{it.Title, it.Summary, it.Content} {
					if len(s) > 1000 || (len(host) > 1 && strings.Contains(s, strings.TrimSpace(string(host)))) {
						t.Errorf("entity expanded: %q", s[:min(len(s), 100)])
					}
				}
				if !strings.HasPrefix(it.Title, "&") {
					t.Errorf("entity reference not kept literally: %q", it.Title)
				}
			}
		})
	}
	t.Run("relative links with xml:base", func(t *testing.T) {
		f, err := parseSafely(t, readCorpus(t, dir, "hostile/generated-relative-links-xml-base.xml"), "", "https://feeds.example.org/rel.xml")
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"https://cdn.example.net/posts/2006/first-post.html", "https://example.org/second",
			"https://example.org/third", "javascript:alert(1)", "https://example.org/spaced"}
		for i, w := range want {
			if f.Items[i].Link != w {
				t.Errorf("item %d link %q, want %q", i, f.Items[i].Link, w)
			}
		}
		if f.Link != "https://example.org/blog/" {
			t.Errorf("feed link %q", f.Link)
		}
	})
}

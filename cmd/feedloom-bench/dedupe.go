package main

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"path/filepath"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/parse"
	"github.com/feedloom/feedloom/storage"
)

// dedupeSets are hand-labelled sets of realistic syndication: wire copies,
// aggregators (Google News, MSN, Yahoo, Flipboard, NewsNow, Techmeme),
// FeedBurner, AMP and mobile links, outlet affixes, truncated titles, and
// hard negatives (section-page links, #brief-N fragments, generic titles,
// fragment-only posts). Each item names the story it belongs to.
// set.json is the set the matcher was tuned on (the bench reports it);
// holdout.json was written without reading the matcher, to measure it.
//
//go:embed testdata/dedupe/*.json
var dedupeSets embed.FS

// dedupeMain is the set the bench's DEDUPE line reports.
const dedupeMain = "testdata/dedupe/set.json"

// labelled is one item of dedupeSet as a feed would carry it; text fields
// are what an XML parser returns (the document escapes them once more).
type labelled struct {
	Story     string    `json:"story"`
	Source    string    `json:"source"`
	FeedTitle string    `json:"feed_title"`
	GUID      string    `json:"guid"`
	Link      string    `json:"link"`
	OrigLink  string    `json:"orig_link"` // feedburner:origLink
	Outlet    string    `json:"outlet"`    // Google News <source>
	Title     string    `json:"title"`
	Summary   string    `json:"summary"`
	Published time.Time `json:"published"`
}

// dedupeScore is how a store grouped dedupeSet's items, pair by pair.
type dedupeScore struct {
	Items     int      `json:"items"`
	Stories   int      `json:"stories"`
	Articles  int      `json:"articles"`
	Lost      int      `json:"lost"` // items no article carries
	Precision float64  `json:"precision"`
	Recall    float64  `json:"recall"`
	Wrong     []string `json:"mixed,omitempty"` // articles that mix stories
	Merged    []string `json:"-"`               // pairs of two stories one article carries
	Missed    []string `json:"-"`               // pairs of one story two articles carry
}

// loadDedupeSet decodes the embedded set at name (a path in dedupeSets).
func loadDedupeSet(name string) ([]labelled, error) {
	data, err := dedupeSets.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("dedupe set: %w", err)
	}
	var set struct{ Items []labelled }
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("decode dedupe set %s: %w", name, err)
	}
	return set.Items, nil
}

// rssOf renders one source's items as the RSS 2.0 document it would serve.
func rssOf(items []labelled) []byte {
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s)) // a bytes.Buffer never fails
		return e.String()
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>`)
	fmt.Fprintf(&b, "<title>%s</title><link>https://example.org/</link>\n", esc(items[0].FeedTitle))
	for _, it := range items {
		b.WriteString("<item>")
		if it.Title != "" {
			fmt.Fprintf(&b, "<title>%s</title>", esc(it.Title))
		}
		fmt.Fprintf(&b, "<link>%s</link><guid isPermaLink=\"false\">%s</guid>", esc(it.Link), esc(it.GUID))
		fmt.Fprintf(&b, "<pubDate>%s</pubDate><description>%s</description>",
			it.Published.UTC().Format(time.RFC1123Z), esc(it.Summary))
		if it.OrigLink != "" {
			fmt.Fprintf(&b, "<feedburner:origLink>%s</feedburner:origLink>", esc(it.OrigLink))
		}
		if it.Outlet != "" {
			fmt.Fprintf(&b, `<source url="https://example.org/outlet">%s</source>`, esc(it.Outlet))
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return b.Bytes()
}

// scoreDedupe stores the set at name (a path in dedupeSets), one document
// per source in the set's order, in a new store under dir through the path
// a fetch takes (parse, normalise, storage.Ingest), and scores the articles
// it made.
func scoreDedupe(ctx context.Context, dir, name string) (dedupeScore, error) {
	set, err := loadDedupeSet(name)
	if err != nil {
		return dedupeScore{}, err
	}
	path := filepath.Join(dir, "dedupe.db")
	db, err := storage.Open(ctx, path)
	if err != nil {
		return dedupeScore{}, err
	}
	defer func() { _ = db.Close() }()
	var order []string
	bySource := make(map[string][]int) // source -> indexes in set
	for i, it := range set {
		if _, ok := bySource[it.Source]; !ok {
			order = append(order, it.Source)
		}
		bySource[it.Source] = append(bySource[it.Source], i)
	}
	now := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	n := normalize.New()
	keyOf := make(map[[2]string]int) // (source, item key) -> index in set
	for _, src := range order {
		items := make([]labelled, 0, len(bySource[src]))
		for _, i := range bySource[src] {
			items = append(items, set[i])
		}
		feed, err := parse.Parse(rssOf(items), "application/rss+xml", "https://example.org/"+src+".rss")
		if err != nil {
			return dedupeScore{}, fmt.Errorf("parse %s: %w", src, err)
		}
		if len(feed.Items) != len(items) {
			return dedupeScore{}, fmt.Errorf("parse %s: %d items of %d", src, len(feed.Items), len(items))
		}
		arts := n.Articles(feed, now)
		for j := range arts {
			keyOf[[2]string{src, arts[j].ItemKey}] = bySource[src][j]
		}
		if _, err := db.Ingest(ctx, src, feeds.SourceState{URL: "https://example.org/" + src + ".rss"}, arts, now); err != nil {
			return dedupeScore{}, err
		}
	}
	articleOf, err := carriedBy(ctx, path, keyOf)
	if err != nil {
		return dedupeScore{}, err
	}
	return score(set, articleOf), nil
}

// carriedBy reads which article carries each item of the set.
func carriedBy(ctx context.Context, path string, keyOf map[[2]string]int) (map[int]int64, error) {
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	defer func() { _ = ro.Close() }()
	rows, err := ro.QueryContext(ctx, `SELECT s.name, c.item_key, c.article_id FROM carriages c JOIN sources s ON s.id = c.source_id`)
	if err != nil {
		return nil, fmt.Errorf("read carriages: %w", err)
	}
	defer func() { _ = rows.Close() }()
	articleOf := make(map[int]int64)
	for rows.Next() {
		var src, key string
		var id int64
		if err := rows.Scan(&src, &key, &id); err != nil {
			return nil, fmt.Errorf("read carriages: %w", err)
		}
		if i, ok := keyOf[[2]string{src, key}]; ok {
			articleOf[i] = id
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read carriages: %w", err)
	}
	return articleOf, nil
}

// score counts item pairs: a pair is predicted when one article carries
// both, true when the set gives both one story.
func score(set []labelled, articleOf map[int]int64) dedupeScore {
	s := dedupeScore{Items: len(set)}
	stories := make(map[string]bool)
	articles := make(map[int64]map[string]bool)
	for i, it := range set {
		stories[it.Story] = true
		id, ok := articleOf[i]
		if !ok {
			s.Lost++
			continue
		}
		if articles[id] == nil {
			articles[id] = make(map[string]bool)
		}
		articles[id][it.Story] = true
	}
	s.Stories, s.Articles = len(stories), len(articles)
	var tp, fp, fn int
	for i := range set {
		for j := i + 1; j < len(set); j++ {
			ai, oki := articleOf[i]
			aj, okj := articleOf[j]
			same := oki && okj && ai == aj
			truth := set[i].Story == set[j].Story
			switch {
			case same && truth:
				tp++
			case same:
				fp++
				s.Merged = append(s.Merged, pairOf(set[i], set[j]))
			case truth:
				fn++
				s.Missed = append(s.Missed, pairOf(set[i], set[j]))
			}
		}
	}
	s.Precision, s.Recall = ratioOf(tp, tp+fp), ratioOf(tp, tp+fn)
	for id, st := range articles {
		if len(st) > 1 {
			s.Wrong = append(s.Wrong, fmt.Sprintf("article %d: %v", id, keys(st)))
		}
	}
	return s
}

// pairOf names two items of a pair for a log.
func pairOf(a, b labelled) string {
	return fmt.Sprintf("%s %s/%q <%s> | %s %s/%q <%s>", a.Story, a.Source, a.Title, a.Link, b.Story, b.Source, b.Title, b.Link)
}

func ratioOf(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

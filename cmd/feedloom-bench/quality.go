package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

// A labelled news set (testdata/related): articles of several outlets in
// story clusters, with near-topic distractors, for scoring related posts
// the way a reader judges them.
type qualitySet struct {
	Name     string      `json:"name"`
	Articles []qualityAr `json:"articles"`
}

type qualityAr struct {
	ID         string    `json:"id"`
	Cluster    string    `json:"cluster"`
	Domain     string    `json:"domain"`
	Outlet     string    `json:"outlet"`
	Language   string    `json:"language"`
	Published  time.Time `json:"published"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary"`
	Content    string    `json:"content"`
	Categories []string  `json:"categories"`
}

func loadQualitySet(path string) (qualitySet, error) {
	var s qualitySet
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%s: %w", path, err)
	}
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return s, nil
}

// A quality setup is how a new user might configure feedloom for the set.
type qualitySetup struct {
	Name       string
	Categories bool     // the outlets' own categories are in the feeds
	SourceTags []string // given to every source
	Shipped    bool     // the shipped config.yaml's tags section (aliases and rules)
}

var qualitySetups = []qualitySetup{
	{Name: "outlets' categories", Categories: true},
	{Name: "no categories, no tags, no rules"},
	{Name: "source tags [world]", SourceTags: []string{"world"}},
	{Name: "shipped config.yaml", SourceTags: []string{"world"}, Shipped: true},
}

// qualityScore is what a reader sees of one setup.
type qualityScore struct {
	Set        string  `json:"set"`
	Setup      string  `json:"setup"`
	Articles   int     `json:"articles"`
	Coverage   float64 `json:"coverage"`       // articles with at least one related post, of those whose story has another article
	Precision3 float64 `json:"precision_at_3"` // top-3 entries of the same story, of those shown
	OffDomain  float64 `json:"off_domain"`     // top-3 entries of another domain, of those shown
	Shown      int     `json:"shown"`          // top-3 entries in all
}

// scoreQuality ingests the set through the real pipeline (storage,
// scheduler, file:// sources, one per outlet) under setup and scores the
// related lists it stored. shipped is the path of the shipped config.yaml.
func scoreQuality(ctx context.Context, set qualitySet, setup qualitySetup, shipped, dir string) (qualityScore, error) {
	cfg := config.Default()
	cfg.Database = filepath.Join(dir, "feedloom.db")
	// One fetch at a time, in the sources' order: the same set scores the
	// same every run (concurrent ingest orders ids and ties differently).
	cfg.Fetch.Concurrency = 1
	if setup.Shipped {
		sc, err := config.Load(shipped)
		if err != nil {
			return qualityScore{}, fmt.Errorf("shipped config: %w", err)
		}
		cfg.Tags = sc.Tags
		cfg.Related = sc.Related
	}
	byOutlet := map[string][]qualityAr{}
	for _, a := range set.Articles {
		byOutlet[a.Outlet] = append(byOutlet[a.Outlet], a)
	}
	// The set's dates are moved so that its newest article is an hour old:
	// items older than retention.max_age are not stored.
	var newest time.Time
	for _, a := range set.Articles {
		if a.Published.After(newest) {
			newest = a.Published
		}
	}
	shift := time.Now().Add(-time.Hour).Sub(newest)
	for _, outlet := range slices.Sorted(maps.Keys(byOutlet)) {
		path := filepath.Join(dir, outlet+".xml")
		if err := writeQualityFeed(path, outlet, byOutlet[outlet], setup.Categories, shift); err != nil {
			return qualityScore{}, err
		}
		cfg.Sources = append(cfg.Sources, feeds.Source{Name: outlet, URL: "file://" + path,
			Tags: setup.SourceTags, Schedule: cfg.Fetch.Schedule})
	}
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return qualityScore{}, err
	}
	defer db.Close()
	sched, err := newScheduler(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return qualityScore{}, err
	}
	results, err := sched.RunOnce(ctx, nil, false, nil)
	if err != nil {
		return qualityScore{}, err
	}
	for _, r := range results {
		if r.Err != nil {
			return qualityScore{}, fmt.Errorf("source %s: %w", r.Source, r.Err)
		}
	}
	label := map[int64]qualityAr{}
	byLink := map[string]qualityAr{}
	for _, a := range set.Articles {
		byLink[qualityLink(a)] = a
	}
	var ids []int64
	err = db.EachArticle(ctx, func(a feeds.Article) error {
		if q, ok := byLink[a.Link]; ok {
			label[a.ID] = q
			ids = append(ids, a.ID)
		}
		return nil
	})
	if err != nil {
		return qualityScore{}, err
	}
	sc := qualityScore{Set: set.Name, Setup: setup.Name, Articles: len(ids)}
	// Coverage counts the articles that have a related post to show:
	// those whose story another article of the set tells. A singleton
	// given a list is wrong, and counted so in precision, not as covered.
	size := map[string]int{}
	for _, id := range ids {
		size[label[id].Cluster]++
	}
	covered, coverable, same, off := 0, 0, 0, 0
	for _, id := range ids {
		posts, err := db.Related(ctx, id)
		if err != nil {
			return qualityScore{}, err
		}
		a := label[id]
		if size[a.Cluster] > 1 {
			coverable++
			if len(posts) > 0 {
				covered++
			}
		}
		for _, p := range posts[:min(3, len(posts))] {
			b := label[p.ArticleID]
			sc.Shown++
			if b.Cluster == a.Cluster {
				same++
			}
			if b.Domain != a.Domain {
				off++
			}
		}
	}
	if coverable > 0 {
		sc.Coverage = float64(covered) / float64(coverable)
	}
	if sc.Shown > 0 {
		sc.Precision3 = float64(same) / float64(sc.Shown)
		sc.OffDomain = float64(off) / float64(sc.Shown)
	}
	return sc, nil
}

// qualityLink is the article's link in its outlet's feed.
func qualityLink(a qualityAr) string {
	return "https://" + a.Outlet + ".example/news/" + a.ID
}

// writeQualityFeed writes one outlet's articles as an RSS 2.0 document.
func writeQualityFeed(path, outlet string, arts []qualityAr, categories bool, shift time.Duration) error {
	type item struct {
		Title      string   `xml:"title"`
		Link       string   `xml:"link"`
		GUID       string   `xml:"guid"`
		PubDate    string   `xml:"pubDate"`
		Desc       string   `xml:"description,omitempty"`
		Content    string   `xml:"content:encoded,omitempty"`
		Categories []string `xml:"category"`
	}
	type channel struct {
		Title    string `xml:"title"`
		Link     string `xml:"link"`
		Language string `xml:"language,omitempty"`
		Items    []item `xml:"item"`
	}
	type rss struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Content string   `xml:"xmlns:content,attr"`
		Channel channel  `xml:"channel"`
	}
	doc := rss{Version: "2.0", Content: "http://purl.org/rss/1.0/modules/content/",
		Channel: channel{Title: outlet, Link: "https://" + outlet + ".example/"}}
	langs := map[string]int{}
	for _, a := range arts {
		it := item{Title: a.Title, Link: qualityLink(a), GUID: qualityLink(a),
			PubDate: a.Published.Add(shift).UTC().Format(time.RFC1123Z), Desc: a.Summary, Content: a.Content}
		if categories {
			it.Categories = a.Categories
		}
		langs[a.Language]++
		doc.Channel.Items = append(doc.Channel.Items, it)
	}
	// An outlet that writes in one language says so, as a real feed does.
	if len(langs) == 1 {
		for l := range langs {
			doc.Channel.Language = l
		}
	}
	b, err := xml.MarshalIndent(doc, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), b...), 0o644)
}

// measureQuality scores every set in dir under every setup.
func measureQuality(ctx context.Context, dir, shipped string, progress func(string)) ([]qualityScore, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []qualityScore
	for _, p := range paths {
		set, err := loadQualitySet(p)
		if err != nil {
			return nil, err
		}
		for _, setup := range qualitySetups {
			tmp, err := os.MkdirTemp("", "feedloom-quality-")
			if err != nil {
				return nil, err
			}
			sc, err := scoreQuality(ctx, set, setup, shipped, tmp)
			os.RemoveAll(tmp)
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", set.Name, setup.Name, err)
			}
			progress(fmt.Sprintf("quality %s, %s: precision@3 %.2f, off-domain %.0f%%, coverage %.2f",
				set.Name, setup.Name, sc.Precision3, 100*sc.OffDomain, sc.Coverage))
			out = append(out, sc)
		}
	}
	return out, nil
}

// corpusCoverage ingests every feed of a corpus folder (../shared/corpus:
// real feeds of every kind) as one source each, and reports the share of
// articles with at least one related post and, of the related posts shown,
// the share from another feed than the article's.
type corpusCoverage struct {
	Feeds        int     `json:"feeds"`
	Articles     int     `json:"articles"`
	Covered      float64 `json:"covered"`
	OtherSources float64 `json:"other_sources"`
}

func measureCorpusCoverage(ctx context.Context, corpus, dir string) (corpusCoverage, error) {
	var paths []string
	for _, sub := range []string{"rss", "atom", "json"} {
		ps, err := filepath.Glob(filepath.Join(corpus, sub, "*"))
		if err != nil {
			return corpusCoverage{}, err
		}
		paths = append(paths, ps...)
	}
	if len(paths) == 0 {
		return corpusCoverage{}, fmt.Errorf("no feeds under %s", corpus)
	}
	cfg := config.Default()
	cfg.Database = filepath.Join(dir, "feedloom.db")
	cfg.Retention.MaxAge = 0 // the corpus is old
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return corpusCoverage{}, err
		}
		cfg.Sources = append(cfg.Sources, feeds.Source{Name: fmt.Sprintf("feed-%d", i), URL: "file://" + abs,
			Schedule: cfg.Fetch.Schedule})
	}
	// The corpus spans decades: no window, so that coverage measures the
	// text, not the dates.
	cfg.Related.Window = 100 * 365 * 24 * time.Hour
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return corpusCoverage{}, err
	}
	defer db.Close()
	sched, err := newScheduler(cfg, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return corpusCoverage{}, err
	}
	if _, err := sched.RunOnce(ctx, nil, false, nil); err != nil {
		return corpusCoverage{}, err
	}
	cov := corpusCoverage{Feeds: len(paths)}
	sources := map[int64][]string{}
	err = db.EachArticle(ctx, func(a feeds.Article) error {
		sources[a.ID] = a.Sources
		return nil
	})
	if err != nil {
		return corpusCoverage{}, err
	}
	covered, shown, other := 0, 0, 0
	for id, srcs := range sources {
		posts, err := db.Related(ctx, id)
		if err != nil {
			return corpusCoverage{}, err
		}
		if len(posts) > 0 {
			covered++
		}
		for _, p := range posts {
			shown++
			if !slices.Equal(sources[p.ArticleID], srcs) {
				other++
			}
		}
	}
	cov.Articles = len(sources)
	if cov.Articles > 0 {
		cov.Covered = float64(covered) / float64(cov.Articles)
	}
	if shown > 0 {
		cov.OtherSources = float64(other) / float64(shown)
	}
	return cov, nil
}

// measureSharedCorpus is measureCorpusCoverage in a temporary folder.
func measureSharedCorpus(ctx context.Context, corpus string) (corpusCoverage, error) {
	if _, err := os.Stat(corpus); err != nil {
		return corpusCoverage{}, err
	}
	tmp, err := os.MkdirTemp("", "feedloom-corpus-")
	if err != nil {
		return corpusCoverage{}, err
	}
	defer os.RemoveAll(tmp)
	return measureCorpusCoverage(ctx, corpus, tmp)
}

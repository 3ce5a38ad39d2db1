package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// DefaultEpoch is the newest publication date of a corpus: the start of
// the current UTC day. Dates must be recent (feedloom does not store items
// older than retention.max_age, 90 days by default) and never in the future
// (replaced by first-seen), so the epoch moves with the calendar: the same
// seed and epoch (-epoch) give the same bytes.
func DefaultEpoch(now time.Time) time.Time { return now.UTC().Truncate(24 * time.Hour) }

// Shape of the synthetic corpus.
const (
	storySpan       = 14 * 24 * time.Hour // stories are published within this before the epoch
	syndicatedShare = 0.07                // items that are copies of another source's story (issue: 5–10%)
	copiesPerStory  = 2.5                 // a syndicated story is carried by this many other sources on average
	categoryCount   = 400                 // distinct categories, drawn with a Zipf distribution
	minContent      = 1024                // bytes of HTML per item: 1–4 KB
	maxContent      = 4096
)

// Syndicated copies come in three kinds, chosen so that each exercises one
// dedupe rule of SPEC.md step 4.
const (
	copyTracked   = iota // same link plus utm_* parameters, same title: one canonical link
	copyRetitled         // same link plus utm_* parameters, another title: one canonical link
	copySameTitle        // the copier's own link, same title, a few hours later: one title within 48h
)

// story is one news story; its original item is carried by its owner feed.
type story struct {
	id         int
	owner      int
	title      string
	link       string
	published  time.Time
	categories []string
	summary    string
	content    string
}

// item is one story as one feed carries it.
type item struct {
	story     *story
	guid      string
	title     string
	link      string
	published time.Time
	copyKind  int // -1 for the original
}

// feedDoc is one generated feed document and the validators it is served with.
type feedDoc struct {
	Path         string // URL path on the origin
	Body         []byte
	ContentType  string
	ETag         string
	LastModified string
	Atom         bool
	Items        int
}

// Corpus is a generated set of feeds and what a perfect ingest must store.
type Corpus struct {
	Feeds       []*feedDoc
	Items       int   // items served in all (= carriages expected)
	Stories     int   // distinct articles expected after dedupe
	Syndicated  int   // items that are copies of another feed's story
	Bytes       int64 // total size of the documents
	AtomFeeds   int
	CopiesKinds [3]int // how many copies of each kind
}

// generator holds the random source and vocabulary of one corpus.
type generator struct {
	epoch  time.Time
	span   time.Duration // stories are published within this before epoch
	r      *rand.Rand
	cat    *rand.Zipf
	cats   []string
	titles map[string]bool
}

func newGenerator(seed uint64, epoch time.Time, span time.Duration) *generator {
	r := rand.New(rand.NewPCG(seed, 0xfeed100d))
	g := &generator{epoch: epoch, span: span, r: r, cat: rand.NewZipf(r, 1.2, 1, categoryCount-1), titles: map[string]bool{}}
	g.cats = categoryNames(categoryCount)
	return g
}

// GenerateCorpus builds nFeeds feeds of nItems items each, deterministically
// from seed and epoch (the newest date): RSS 2.0 and Atom mixed, 1–4 KB of HTML per item, Zipf
// categories, and about 7% of the items copies of other feeds' stories
// (tracking parameters, a new title, or the same title under another link).
func GenerateCorpus(seed uint64, epoch time.Time, nFeeds, nItems int) *Corpus {
	return GenerateCorpusSpan(seed, epoch, storySpan, nFeeds, nItems)
}

// GenerateCorpusSpan is GenerateCorpus with the stories published within
// span before epoch instead of storySpan: the scale part spreads its
// batches over the retention window.
func GenerateCorpusSpan(seed uint64, epoch time.Time, span time.Duration, nFeeds, nItems int) *Corpus {
	g := newGenerator(seed, epoch, span)
	c := &Corpus{}
	slots := make([][]item, nFeeds)
	var stories []*story
	// First the originals: every slot that is not a copy is a new story.
	isCopy := make([][]bool, nFeeds)
	for f := range nFeeds {
		isCopy[f] = make([]bool, nItems)
		for j := range nItems {
			isCopy[f][j] = nFeeds > 1 && g.r.Float64() < syndicatedShare
		}
		for j := range nItems {
			if isCopy[f][j] {
				continue
			}
			s := g.story(len(stories), f)
			stories = append(stories, s)
			slots[f] = append(slots[f], item{story: s, guid: s.link, title: s.title, link: s.link,
				published: s.published, copyKind: -1})
		}
	}
	// Then the copies, drawn from a pool of popular stories so that a
	// syndicated story is carried by several feeds.
	copies := 0
	for f := range nFeeds {
		for j := range nItems {
			if isCopy[f][j] {
				copies++
			}
		}
	}
	pool := max(1, int(float64(copies)/copiesPerStory))
	for f := range nFeeds {
		carried := map[int]bool{}
		for _, it := range slots[f] {
			carried[it.story.id] = true
		}
		for j := range nItems {
			if !isCopy[f][j] {
				continue
			}
			var s *story
			for range 100 { // a story from another feed that f does not carry yet
				p := min(pool, len(stories)) // pool stories spread over every owner
				cand := stories[g.r.IntN(p)*len(stories)/p]
				if cand.owner != f && !carried[cand.id] {
					s = cand
					break
				}
			}
			if s == nil { // tiny corpora: fall back to a story of f's own
				s = g.story(len(stories), f)
				stories = append(stories, s)
				slots[f] = append(slots[f], item{story: s, guid: s.link, title: s.title, link: s.link,
					published: s.published, copyKind: -1})
				continue
			}
			carried[s.id] = true
			it := g.copyOf(s, f, j)
			c.CopiesKinds[it.copyKind]++
			c.Syndicated++
			slots[f] = append(slots[f], it)
		}
	}
	c.Stories = len(stories)
	for f := range nFeeds {
		d := g.document(f, slots[f])
		c.Feeds = append(c.Feeds, d)
		c.Items += d.Items
		c.Bytes += int64(len(d.Body))
		if d.Atom {
			c.AtomFeeds++
		}
	}
	return c
}

// story makes a new original story owned by feed f.
func (g *generator) story(id, f int) *story {
	title := g.title()
	pub := g.epoch.Add(-time.Duration(g.r.Int64N(int64(g.span)))).Truncate(time.Second)
	s := &story{id: id, owner: f, title: title, published: pub}
	s.link = fmt.Sprintf("https://%s/%s/%s-%d.html", siteOf(f), pub.Format("2006/01/02"), slug(title), id)
	for k := 1 + g.r.IntN(4); len(s.categories) < k; {
		c := g.cats[g.cat.Uint64()]
		if !slices.Contains(s.categories, c) {
			s.categories = append(s.categories, c)
		}
	}
	s.summary = g.sentence() + " " + g.sentence()
	s.content = g.html(minContent + g.r.IntN(maxContent-minContent+1))
	return s
}

// copyOf is story s as feed f (not its owner) carries it in slot j.
func (g *generator) copyOf(s *story, f, j int) item {
	it := item{story: s, guid: fmt.Sprintf("urn:%s:syndicated:%d:%d", siteOf(f), s.id, j),
		title: s.title, published: s.published}
	tracked := fmt.Sprintf("%s?utm_source=%s&utm_medium=rss&utm_campaign=syndication", s.link, siteOf(f))
	switch k := g.r.IntN(10); {
	case k < 4:
		it.copyKind, it.link = copyTracked, tracked
	case k < 7:
		it.copyKind, it.link, it.title = copyRetitled, tracked, g.title()
	default:
		it.copyKind = copySameTitle
		it.link = fmt.Sprintf("https://%s/wire/%d.html", siteOf(f), s.id)
		// Never after the epoch: the bench may run minutes after it.
		it.published = s.published.Add(time.Duration(10+g.r.IntN(350)) * time.Minute)
		if it.published.After(g.epoch) {
			it.published = g.epoch
		}
	}
	return it
}

// title is a unique news-like headline of 6–10 words.
func (g *generator) title() string {
	for {
		w := []string{pick(g.r, places), pick(g.r, nouns), pick(g.r, verbs)}
		for n := 3 + g.r.IntN(5); n > 0; n-- {
			switch g.r.IntN(4) {
			case 0:
				w = append(w, pick(g.r, adjectives))
			case 1:
				w = append(w, pick(g.r, fillers))
			default:
				w = append(w, pick(g.r, nouns))
			}
		}
		w[len(w)-1] = pick(g.r, nouns) // end on a noun, as headlines do
		t := strings.Join(w, " ")
		if !g.titles[t] {
			g.titles[t] = true
			return t
		}
	}
}

// sentence is 8–20 words starting with a capital and ending with a full stop.
func (g *generator) sentence() string {
	n := 8 + g.r.IntN(13)
	w := make([]string, 0, n)
	w = append(w, pick(g.r, places))
	for len(w) < n {
		switch g.r.IntN(5) {
		case 0:
			w = append(w, pick(g.r, verbs))
		case 1:
			w = append(w, pick(g.r, adjectives))
		case 2:
			w = append(w, pick(g.r, fillers))
		default:
			w = append(w, pick(g.r, nouns))
		}
	}
	return strings.Join(w, " ") + "."
}

// html is an article body of about size bytes: paragraphs with links and
// emphasis, now and then a list, a quote or a figure.
func (g *generator) html(size int) string {
	var b strings.Builder
	for b.Len() < size {
		switch g.r.IntN(8) {
		case 0:
			b.WriteString("<ul>")
			for range 2 + g.r.IntN(3) {
				b.WriteString("<li>" + g.sentence() + "</li>")
			}
			b.WriteString("</ul>\n")
		case 1:
			b.WriteString("<blockquote><p>" + g.sentence() + "</p></blockquote>\n")
		case 2:
			fmt.Fprintf(&b, `<figure><img src="https://img.example.net/%d.jpg" alt="%s" width="640" height="360"><figcaption>%s</figcaption></figure>`+"\n",
				g.r.IntN(1_000_000), pick(g.r, nouns), g.sentence())
		default:
			b.WriteString("<p>")
			for k := 2 + g.r.IntN(3); k > 0; k-- {
				s := g.sentence()
				if g.r.IntN(3) == 0 {
					w := pick(g.r, nouns)
					s += fmt.Sprintf(` <a href="https://ref.example.org/%s/%d">%s</a> <em>%s</em>.`, w, g.r.IntN(100_000), w, pick(g.r, adjectives))
				}
				b.WriteString(s + " ")
			}
			b.WriteString("</p>\n")
		}
	}
	return b.String()
}

// document renders feed f's items, newest first, as RSS 2.0 or Atom 1.0.
func (g *generator) document(f int, items []item) *feedDoc {
	sortItems(items)
	d := &feedDoc{Path: fmt.Sprintf("/feeds/%04d.xml", f), Items: len(items), Atom: g.r.IntN(5) < 2,
		LastModified: g.epoch.Format(httpTime)}
	var b bytes.Buffer
	b.Grow(len(items) * 3500)
	site := siteOf(f)
	if d.Atom {
		d.ContentType = "application/atom+xml; charset=utf-8"
		fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"+
			"<title>%s</title>\n<id>https://%s/</id>\n<link rel=\"alternate\" href=\"https://%s/\"/>\n<updated>%s</updated>\n",
			esc(site+" news"), site, site, g.epoch.Format(time.RFC3339))
		for _, it := range items {
			fmt.Fprintf(&b, "<entry>\n<title>%s</title>\n<id>%s</id>\n<link rel=\"alternate\" href=\"%s\"/>\n"+
				"<published>%s</published>\n<updated>%s</updated>\n<author><name>%s</name></author>\n",
				esc(it.title), esc(it.guid), esc(it.link), it.published.Format(time.RFC3339), it.published.Format(time.RFC3339),
				esc(pick(g.r, authors)))
			for _, c := range it.story.categories {
				fmt.Fprintf(&b, "<category term=\"%s\"/>\n", esc(c))
			}
			fmt.Fprintf(&b, "<summary type=\"html\">%s</summary>\n<content type=\"html\">%s</content>\n</entry>\n",
				esc(it.story.summary), esc(it.story.content))
		}
		b.WriteString("</feed>\n")
	} else {
		d.ContentType = "application/rss+xml; charset=utf-8"
		fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n"+
			"<channel>\n<title>%s</title>\n<link>https://%s/</link>\n<description>Latest news from %s</description>\n",
			esc(site+" news"), site, site)
		for _, it := range items {
			fmt.Fprintf(&b, "<item>\n<title>%s</title>\n<link>%s</link>\n<guid isPermaLink=\"false\">%s</guid>\n<pubDate>%s</pubDate>\n",
				esc(it.title), esc(it.link), esc(it.guid), it.published.Format(time.RFC1123Z))
			for _, c := range it.story.categories {
				fmt.Fprintf(&b, "<category>%s</category>\n", esc(c))
			}
			fmt.Fprintf(&b, "<description>%s</description>\n<content:encoded><![CDATA[%s]]></content:encoded>\n</item>\n",
				esc(it.story.summary), it.story.content)
		}
		b.WriteString("</channel>\n</rss>\n")
	}
	d.Body = b.Bytes()
	d.ETag = fmt.Sprintf("\"%016x\"", fnv64(d.Body))
	return d
}

// httpTime is the format of Last-Modified (http.TimeFormat).
const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

// sortItems orders a feed newest first, ties by guid (unique in a feed), so
// that a seed always gives the same bytes.
func sortItems(items []item) {
	slices.SortFunc(items, func(a, b item) int {
		if c := b.published.Compare(a.published); c != 0 {
			return c
		}
		return strings.Compare(a.guid, b.guid)
	})
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}

func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func pick(r *rand.Rand, list []string) string { return list[r.IntN(len(list))] }

func slug(title string) string {
	return strings.ToLower(strings.ReplaceAll(title, " ", "-"))
}

// siteOf is feed f's web site.
func siteOf(f int) string {
	return fmt.Sprintf("%s-%s-%d.example.com", strings.ToLower(places[f%len(places)]), outlets[f%len(outlets)], f)
}

// categoryNames gives n category names, the common ones first (the Zipf
// draw favours low indexes): topics, then places, then topic-place pairs.
func categoryNames(n int) []string {
	out := slices.Clone(topics)
	for _, p := range places {
		out = append(out, strings.ToLower(p))
	}
	for i := 0; len(out) < n; i++ {
		out = append(out, topics[i%len(topics)]+"-"+strings.ToLower(places[(i/len(topics))%len(places)]))
	}
	return out[:n]
}

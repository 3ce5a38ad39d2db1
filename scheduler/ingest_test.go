package scheduler_test

import (
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/scheduler"
)

// Every corpus document is ingested or fails with an error recorded on its
// source; nothing panics and nothing is left without a related list.
// Under -short or -race a sample is used (see below).
func TestCorpus(t *testing.T) {
	corpus := filepath.Join(sharedDir(t), "corpus")
	o := newOrigin(t)
	var sources []feeds.Source
	seen := 0
	err := filepath.WalkDir(corpus, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(corpus, path)
		dir := strings.Split(rel, string(filepath.Separator))[0]
		if dir != "rss" && dir != "atom" && dir != "json" && dir != "hostile" {
			return nil
		}
		seen++
		if sample := testing.Short() || raceEnabled; sample {
			// A quarter of the corpus, hostile files included, without the
			// few big podcasts whose cost is all SQLite; the full corpus
			// runs without -short and -race.
			if info, err := d.Info(); err != nil || info.Size() > 256<<10 || seen%4 != 0 {
				return err
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		p := "/" + filepath.ToSlash(rel)
		ct := mime.TypeByExtension(filepath.Ext(path))
		o.handle(p, func(w http.ResponseWriter, r *http.Request) {
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			_, _ = w.Write(data)
		})
		sources = append(sources, src(strings.NewReplacer("/", "-", ".", "-", "_", "-").Replace(strings.ToLower(rel)), o.URL+p))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sources) == 0 {
		t.Skip("corpus is empty")
	}
	e := newEnv(t, sources, func(_ *scheduler.Options, s *scheduler.Settings, _ *fetch.Options) {
		s.Concurrency, s.PerHost = 8, 8
	})
	res := e.once(false)
	ok, failed := 0, 0
	for _, s := range sources {
		r, found := res[s.Name]
		if !found {
			t.Errorf("%s: no result", s.Name)
			continue
		}
		st := e.state(s.Name)
		if r.Err != nil {
			failed++
			t.Logf("%s: %v", s.Name, r.Err)
			if st.LastError == "" || st.Failures != 1 {
				t.Errorf("%s failed (%v) but its state says error %q, failures %d", s.Name, r.Err, st.LastError, st.Failures)
			}
			continue
		}
		ok++
		if st.LastError != "" || st.LastStatus != http.StatusOK {
			t.Errorf("%s: ingested but state has status %d, error %q", s.Name, st.LastStatus, st.LastError)
		}
		if st.ItemCount != r.New+r.Updated+r.Duplicate {
			t.Errorf("%s: %d items parsed, but new+updated+duplicate = %d", s.Name, st.ItemCount, r.New+r.Updated+r.Duplicate)
		}
	}
	t.Logf("corpus: %d ingested, %d failed with an error on the source", ok, failed)
	if ok < len(sources)/2 {
		t.Errorf("only %d of %d corpus feeds ingested", ok, len(sources))
	}
	pending, err := e.db.PendingRelated(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 0 {
		t.Errorf("%d articles left without a related list", len(pending))
	}
}

// The second pass sends the validators, gets 304 and writes no article.
func TestConditionalGet(t *testing.T) {
	o := newOrigin(t)
	doc := rss("A", item{GUID: "1", Link: "https://a.example/1", Title: "Oil prices climb after pipeline attack", Published: base.Add(-time.Hour)})
	o.handle("/feed", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", "Mon, 02 Jun 2025 10:00:00 GMT")
		serveDoc(doc, `"v1"`)(w, r)
	})
	e := newEnv(t, []feeds.Source{src("a", o.URL+"/feed")})

	first := e.once(false)["a"]
	if first.Err != nil || first.Status != 200 || first.New != 1 {
		t.Fatalf("first pass = %+v, want 200 with 1 new", first)
	}
	before := e.stats()
	second := e.once(true)["a"] // force: no max-age here, but be explicit
	if second.Err != nil || second.Status != http.StatusNotModified || second.New+second.Updated+second.Duplicate != 0 {
		t.Fatalf("second pass = %+v, want a bare 304", second)
	}
	req := o.last("/feed")
	if got := req.Header.Get("If-None-Match"); got != `"v1"` {
		t.Errorf("If-None-Match = %q, want %q", got, `"v1"`)
	}
	if got := req.Header.Get("If-Modified-Since"); got != "Mon, 02 Jun 2025 10:00:00 GMT" {
		t.Errorf("If-Modified-Since = %q", got)
	}
	after := e.stats()
	if before.Articles != after.Articles || before.Carriages != after.Carriages {
		t.Errorf("a 304 changed the store: %+v -> %+v", before, after)
	}
	if st := e.state("a"); st.LastStatus != 304 || st.Failures != 0 || st.ETag != `"v1"` {
		t.Errorf("state after 304 = %+v", st)
	}
}

// The same story in three feeds ends as the expected rows, every carrier
// recorded; an edited item updates its one row.
func TestDedupeAcrossSources(t *testing.T) {
	o := newOrigin(t)
	title := "Militants attack oil pipeline in northern Iraq"
	a := []item{{GUID: "a-1", Link: "https://news.example/iraq/pipeline?utm_source=rss&utm_medium=feed", Title: title,
		Desc: "First report.", Published: base.Add(-3 * time.Hour), Categories: []string{"Iraq"}}}
	b := []item{
		{GUID: "b-77", Link: "https://NEWS.example/iraq/pipeline?fbclid=xyz#top", Title: "Pipeline attacked", Desc: "Wire copy.",
			Published: base.Add(-2 * time.Hour), Categories: []string{"Energy"}},
	}
	c := []item{
		{GUID: "c-5", Link: "https://other.example/stories/5", Title: "MILITANTS ATTACK OIL PIPELINE IN NORTHERN IRAQ!",
			Desc: "Re-titled copy.", Published: base.Add(-time.Hour)},
		{GUID: "c-old", Link: "https://other.example/stories/old", Title: "Militants attack oil pipeline in northern Iraq (archive)",
			Desc: "Old copy.", Published: base.Add(-5 * 24 * time.Hour)},
	}
	d := []item{{GUID: "d-1", Link: "https://far.example/x", Title: title, Desc: "Same title, days later.",
		Published: base.Add(-4 * 24 * time.Hour)}}
	for p, items := range map[string][]item{"/a": a, "/b": b, "/c": c, "/d": d} {
		o.handle(p, serveDoc(rss(p, items...), ""))
	}
	e := newEnv(t, []feeds.Source{src("a", o.URL+"/a", "world"), src("b", o.URL+"/b"), src("c", o.URL+"/c"), src("d", o.URL+"/d")})
	for _, name := range []string{"a", "b", "c", "d"} { // in order: dedupe depends on who came first
		if r := e.once(false, name)[name]; r.Err != nil {
			t.Fatalf("%s: %v", name, r.Err)
		}
	}
	arts := e.articles()
	byLink := map[string]feeds.Article{}
	for _, a := range arts {
		byLink[a.Link] = a
	}
	story, ok := byLink["https://news.example/iraq/pipeline"]
	if !ok {
		t.Fatalf("no row with the canonical link; rows: %v", links(arts))
	}
	if want := []string{"a", "b", "c"}; !slices.Equal(story.Sources, want) {
		t.Errorf("story sources = %v, want %v", story.Sources, want)
	}
	for _, tg := range []string{"world", "iraq", "energy"} {
		if !slices.Contains(story.Tags, tg) {
			t.Errorf("story tags %v lack %q (tags of every carrier are merged)", story.Tags, tg)
		}
	}
	if want := []string{"Iraq", "Energy"}; !slices.Equal(story.Categories, want) {
		t.Errorf("story categories = %q, want %q (as received, every carrier's, for retag)", story.Categories, want)
	}
	if len(arts) != 3 {
		t.Errorf("%d rows, want 3 (the story, c's old copy, d's copy outside 48h): %v", len(arts), links(arts))
	}
	if _, ok := byLink["https://far.example/x"]; !ok {
		t.Errorf("the copy published outside 48h was merged; rows: %v", links(arts))
	}

	// An edit: a's item changes text; one row is updated, no row added.
	a[0].Desc = "First report, updated with casualty figures."
	o.handle("/a", serveDoc(rss("/a", a...), ""))
	r := e.once(true, "a")["a"]
	if r.Err != nil || r.Updated != 1 || r.New != 0 {
		t.Fatalf("edited pass = %+v, want 1 updated", r)
	}
	if got := len(e.articles()); got != 3 {
		t.Errorf("after the edit %d rows, want 3", got)
	}
}

func links(as []feeds.Article) []string {
	var l []string
	for _, a := range as {
		l = append(l, a.Link)
	}
	return l
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// One log line per fetch; a feed that suddenly has no items is a warning.
func TestLogs(t *testing.T) {
	o := newOrigin(t)
	o.handle("/f", serveDoc(okDoc(), ""))
	var logs syncBuffer
	e := newEnv(t, []feeds.Source{src("f", o.URL+"/f")}, func(opt *scheduler.Options, _ *scheduler.Settings, _ *fetch.Options) {
		opt.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	if r := e.once(false)["f"]; r.Err != nil || r.New != 1 {
		t.Fatalf("first pass: %+v", r)
	}
	o.handle("/f", serveDoc(rss("empty"), ""))
	if r := e.once(true)["f"]; r.Err != nil {
		t.Fatalf("empty pass: %+v", r)
	}
	var fetchLines, warn int
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "msg=fetch ") && strings.Contains(line, "source=f ") {
			fetchLines++
			for _, k := range []string{"status=200", "new=", "updated=", "duplicate=", "duration="} {
				if !strings.Contains(line, k) {
					t.Errorf("fetch line lacks %s: %s", k, line)
				}
			}
		}
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "no items") {
			warn++
		}
	}
	if fetchLines != 2 || warn != 1 {
		t.Errorf("%d fetch lines and %d zero-item warnings, want 2 and 1:\n%s", fetchLines, warn, logs.String())
	}
	if st := e.state("f"); st.ItemCount != 0 || st.LastError != "" {
		t.Errorf("state after an empty document: %+v", st)
	}
}

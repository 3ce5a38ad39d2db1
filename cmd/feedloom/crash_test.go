package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/storage/storagetest"
	_ "modernc.org/sqlite"
)

// Crash-test shape: crashFeeds feeds of crashItems items from a loopback
// origin, crashKills kill -9 at points chosen with a fixed seed. Each run's
// feeds slide crashSlide items on, so every run has new articles to insert
// when it is killed.
const (
	crashFeeds = 100
	crashItems = 50
	crashKills = 10
	crashSlide = 10
)

// TestCrashSafety runs `feedloom fetch` over many feeds and kills it with
// SIGKILL when the origin has seen a random number of requests (fixed
// seed), ten times, then lets a last run complete. After every kill the
// database passes integrity_check, holds every (source, item) it held
// before (a commit is never lost), and holds no article twice; the
// complete run ends with every item of its feeds present exactly once.
// Budget: ~15 s (the build from the cache included).
//
// Under -race it is skipped: the binary under test is built without the
// race detector anyway, and the detector makes the test's own SQLite checks
// (modernc, pure Go) ~20x slower, 40 s instead of 2. .ci/run runs it
// without -race.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the binary ten times; skipped with -short")
	}
	if raceEnabled() {
		t.Skip("skipped under -race (see the doc comment); .ci/run runs it without")
	}
	bin := buildFeedloom(t)
	dir := t.TempDir()
	o := newCrashOrigin(t)
	cfg := filepath.Join(dir, "config.yaml")
	var b strings.Builder
	fmt.Fprintf(&b, "database: %s\nlog_level: warn\nfetch:\n  concurrency: 8\n  per_host: 8\n  timeout: 20s\nsources:\n", filepath.Join(dir, "feedloom.db"))
	for i := range crashFeeds {
		fmt.Fprintf(&b, "  - name: feed-%03d\n    url: %s/f/%d\n", i, o.srv.URL, i)
	}
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(20250602, 9))
	have := map[string]bool{}
	killed := 0
	for run := range crashKills {
		at := 1 + int(rng.IntN(crashFeeds)) // kill when the origin sees its at-th request of this run
		cmd := exec.Command(bin, "fetch", "-force", "-q", "-config", cfg)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		o.arm(at, run)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		o.attach(cmd.Process)
		err := cmd.Wait()
		o.disarm()
		if st, ok := cmd.ProcessState.Sys().(interface{ Signaled() bool }); ok && st.Signaled() {
			killed++
		} else {
			t.Logf("run %d finished before the kill at request %d: %v\n%s", run, at, err, out.String())
		}
		have = checkCrashDB(t, filepath.Join(dir, "feedloom.db"), have, fmt.Sprintf("after kill %d (request %d)", run, at))
		t.Logf("kill %d at request %d: %d items stored", run, at, len(have))
	}
	if killed < crashKills/2 {
		t.Errorf("only %d of %d runs were killed mid-ingest", killed, crashKills)
	}

	o.arm(0, crashKills)
	out, err := exec.Command(bin, "fetch", "-force", "-q", "-config", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("complete run: %v\n%s", err, out)
	}
	have = checkCrashDB(t, filepath.Join(dir, "feedloom.db"), have, "after the complete run")
	missing := 0
	for i := range crashFeeds {
		for j := crashKills * crashSlide; j < crashKills*crashSlide+crashItems; j++ {
			if !have[fmt.Sprintf("feed-%03d g:f%d-i%d", i, i, j)] {
				missing++
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d items of the complete run are missing (%d stored in all)", missing, len(have))
	}
}

// checkCrashDB opens the database as the next start would, and checks it:
// integrity, no lost commit (every key of prev still there), no duplicate
// article. It returns the (source, item key) pairs present.
func checkCrashDB(t *testing.T, path string, prev map[string]bool, when string) map[string]bool {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var integrity string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("%s: integrity_check = %q, %v", when, integrity, err)
	}
	storagetest.CheckForeignKeys(t, path)
	now := map[string]bool{}
	rows, err := db.Query(`SELECT s.name, c.item_key FROM carriages c JOIN sources s ON s.id = c.source_id`)
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	for rows.Next() {
		var src, key string
		if err := rows.Scan(&src, &key); err != nil {
			t.Fatal(err)
		}
		now[src+" "+key] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	_ = rows.Close()
	lost := 0
	for k := range prev {
		if !now[k] {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%s: %d items committed before are gone", when, lost)
	}
	var articles, links, carriages, carried int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM articles), (SELECT count(DISTINCT link) FROM articles),
		(SELECT count(*) FROM carriages), (SELECT count(DISTINCT article_id) FROM carriages)`).Scan(&articles, &links, &carriages, &carried); err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	if articles != links || carriages != articles || carried != articles || len(now) != carriages {
		t.Errorf("%s: %d articles with %d distinct links, %d carriages of %d articles: duplicates", when, articles, links, carriages, carried)
	}
	return now
}

// crashOrigin serves crashFeeds feeds and kills the armed process when it
// sees the armed request number.
type crashOrigin struct {
	srv *httptest.Server
	mu  sync.Mutex
	p   *os.Process // killed at the at-th request
	at  int
	n   int
	gen int // which window of items the feeds serve
}

func newCrashOrigin(t *testing.T) *crashOrigin {
	o := &crashOrigin{}
	now := time.Now().UTC()
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/f/"))
		if err != nil || i < 0 || i >= crashFeeds {
			http.NotFound(w, r)
			return
		}
		o.mu.Lock()
		o.n++
		if o.p != nil && o.n == o.at {
			_ = o.p.Kill() // SIGKILL
		}
		gen := o.gen
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(crashFeed(i, gen, now)))
	}))
	t.Cleanup(o.srv.Close)
	return o
}

// arm counts requests from zero, makes the feeds serve window gen and the
// at-th request kill the process attached next (0: none).
func (o *crashOrigin) arm(at, gen int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.p, o.at, o.n, o.gen = nil, at, 0, gen
}

// attach names the process to kill, at once if its at-th request has
// already come.
func (o *crashOrigin) attach(p *os.Process) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.p = p
	if o.at > 0 && o.n >= o.at {
		_ = p.Kill()
	}
}

func (o *crashOrigin) disarm() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.p = nil
}

// crashFeed is feed i in window gen: crashItems items from number
// gen*crashSlide on, with unique guids, links and titles (so no two are one
// article), each with some HTML and categories.
func crashFeed(i, gen int, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed %d</title><link>https://crash.example/%d/</link><description>d</description>`, i, i)
	for j := gen * crashSlide; j < gen*crashSlide+crashItems; j++ {
		fmt.Fprintf(&b, `<item><guid>f%d-i%d</guid><link>https://crash.example/%d/%d</link><title>Crash feed %d reports story %d today</title>`+
			`<description>&lt;p&gt;Story %d of feed %d, %s.&lt;/p&gt;</description><pubDate>%s</pubDate><category>c%d</category><category>topic-%d</category></item>`,
			i, j, i, j, i, j, j, i, strings.Repeat("with some words ", 4), now.Add(-time.Duration(i*crashItems+j)*time.Minute).Format(time.RFC1123Z), j%7, i%5)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/feedloom/feedloom/storage/storagetest"
	_ "modernc.org/sqlite"
)

// logWatch is a stderr that tests can wait on: it signals every line that
// contains a wanted substring. Waiting on the daemon's own log lines is how
// these tests synchronise, never by sleeping.
type logWatch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	waits []*logWait
}

type logWait struct {
	substr string
	ch     chan string
}

func (l *logWatch) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for _, line := range strings.Split(string(p), "\n") {
		kept := l.waits[:0]
		for _, w := range l.waits {
			if strings.Contains(line, w.substr) {
				w.ch <- line
				continue
			}
			kept = append(kept, w)
		}
		l.waits = kept
	}
	return len(p), nil
}

// await registers interest in a line containing substr before the action
// that produces it; the returned function blocks until it is seen.
func (l *logWatch) await(t *testing.T, substr string) func() string {
	t.Helper()
	w := &logWait{substr: substr, ch: make(chan string, 1)}
	l.mu.Lock()
	l.waits = append(l.waits, w)
	l.mu.Unlock()
	return func() string {
		t.Helper()
		select {
		case line := <-w.ch:
			return line
		case <-time.After(30 * time.Second):
			t.Fatalf("no log line with %q; log so far:\n%s", substr, l.String())
			return ""
		}
	}
}

func (l *logWatch) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func testEnv() (*env, *bytes.Buffer, *logWatch) {
	out := &bytes.Buffer{}
	errw := &logWatch{}
	return &env{stdin: strings.NewReader(""), stdout: out, stderr: errw, getenv: func(string) string { return "" }}, out, errw
}

// rssDoc builds a small RSS feed; items are (guid, title, categories).
func rssDoc(items ...[3]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Origin</title><link>https://origin.example/</link><description>d</description>`)
	for i, it := range items {
		fmt.Fprintf(&b, `<item><guid>%s</guid><title>%s</title><link>https://origin.example/%s?utm_source=x</link><description>&lt;p&gt;Story %d about %s.&lt;/p&gt;</description><pubDate>%s</pubDate>`,
			it[0], it[1], it[0], i, it[1], time.Now().Add(-time.Duration(i+1)*time.Hour).UTC().Format(time.RFC1123Z))
		for _, c := range strings.Split(it[2], ",") {
			if c != "" {
				fmt.Fprintf(&b, `<category>%s</category>`, c)
			}
		}
		b.WriteString(`</item>`)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// origin serves named documents from a map that tests may change.
type origin struct {
	mu   sync.Mutex
	docs map[string]string
	srv  *httptest.Server
}

func newOrigin(t *testing.T, docs map[string]string) *origin {
	o := &origin{docs: docs}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		doc, ok := o.docs[r.URL.Path]
		o.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, doc)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func baseConfig(dir, originURL string, extraSources string) string {
	return fmt.Sprintf(`title: "Test Desk"
base_url: "http://desk.example/"
listen: "127.0.0.1:0"
database: %q
log_level: info
fetch:
  schedule: "@every 1h"
  on_start: true
tags:
  rules:
    - tag: energy
      any: ["oil", "pipeline"]
sources:
  - name: alpha
    url: %q
    tags: [world]
%s
outputs:
  - name: mideast
    tags_any: [syria, iraq]
`, filepath.Join(dir, "feedloom.db"), originURL+"/alpha.xml", extraSources)
}

func TestUsageAndExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		status int
		want   string
	}{
		{"no command", nil, exitUsage, "Commands:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"help", []string{"help"}, exitOK, "Commands:"},
		{"help command", []string{"help", "fetch"}, exitOK, "-force"},
		{"command -h", []string{"stats", "-h"}, exitOK, "-json"},
		{"unknown flag", []string{"check", "-bogus"}, exitUsage, "flag provided but not defined"},
		{"version", []string{"version"}, exitOK, "feedloom "},
		{"related needs an id", []string{"related"}, exitUsage, "want one argument"},
		{"related bad id", []string{"related", "abc"}, exitUsage, "not a positive integer"},
		{"backup needs a file", []string{"backup"}, exitUsage, "want one argument"},
		{"opml needs a verb", []string{"opml"}, exitUsage, "want 'export' or 'import FILE'"},
		{"missing config", []string{"check", "-config", "/nonexistent/config.yaml"}, exitFailure, "/nonexistent/config.yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errw := testEnv()
			got := run(context.Background(), e, tc.args)
			if got != tc.status {
				t.Errorf("status %d, want %d\nstdout: %s\nstderr: %s", got, tc.status, out, errw)
			}
			if all := out.String() + errw.String(); !strings.Contains(all, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, all)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Run("shipped config", func(t *testing.T) {
		e, out, errw := testEnv()
		if got := run(context.Background(), e, []string{"check", "-config", "../../config.yaml"}); got != exitOK {
			t.Fatalf("status %d: %s", got, errw)
		}
		if !strings.Contains(out.String(), "sources") || !strings.Contains(out.String(), "outputs") {
			t.Errorf("summary missing: %q", out)
		}
	})
	t.Run("env config", func(t *testing.T) {
		e, _, errw := testEnv()
		e.getenv = func(k string) string {
			if k == "FEEDLOOM_CONFIG" {
				return "../../config.yaml"
			}
			return ""
		}
		if got := run(context.Background(), e, []string{"check"}); got != exitOK {
			t.Fatalf("status %d: %s", got, errw)
		}
	})
	t.Run("bad config lists every problem", func(t *testing.T) {
		dir := t.TempDir()
		path := writeConfig(t, dir, "listen: 12\nfetch:\n  schedule: \"*/61 * * * *\"\n  tiemout: 3s\nsources:\n  - name: Bad Name\n    url: /relative\n")
		e, _, errw := testEnv()
		if got := run(context.Background(), e, []string{"check", "-config", path}); got != exitFailure {
			t.Fatalf("status %d, want 1", got)
		}
		for _, want := range []string{
			path + ":3: fetch.schedule:",
			path + ":4: fetch.tiemout:",
			path + ":6: sources[0].name:",
			path + ":7: sources[0].url:",
		} {
			if !strings.Contains(errw.String(), want) {
				t.Errorf("missing %q in:\n%s", want, errw)
			}
		}
	})
}

// newDeskOrigin serves two small feeds: alpha (two Iraq/Syria energy
// stories and a sport one) and beta (one Syria story).
func newDeskOrigin(t *testing.T) *origin {
	o := newOrigin(t, map[string]string{
		"/alpha.xml": rssDoc(
			[3]string{"a1", "Oil pipeline attacked near Kirkuk in northern Iraq", "iraq"},
			[3]string{"a2", "Iraq and Syria agree on new oil pipeline route", "iraq,syria"},
			[3]string{"a3", "Football final ends in penalty shoot-out drama", "sport"},
		),
		"/beta.xml": rssDoc([3]string{"b1", "Syria talks resume in Geneva after long pause", "syria"}),
	})
	return o
}

func TestFetchStatsRelatedBackup(t *testing.T) {
	o := newDeskOrigin(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, fmt.Sprintf("  - name: beta\n    url: %q\n  - name: broken\n    url: %q\n", o.srv.URL+"/beta.xml", o.srv.URL+"/missing.xml")))
	ctx := context.Background()

	e, out, errw := testEnv()
	if got := run(ctx, e, []string{"fetch", "-config", cfg}); got != exitFailure {
		t.Fatalf("fetch with a 404 source: status %d, want 1\n%s\n%s", got, out, errw)
	}
	table := out.String()
	for _, want := range []string{"SOURCE", "alpha", "beta", "broken", "404"} {
		if !strings.Contains(table, want) {
			t.Errorf("summary lacks %q:\n%s", want, table)
		}
	}

	e, out, errw = testEnv()
	if got := run(ctx, e, []string{"stats", "-json", "-config", cfg}); got != exitOK {
		t.Fatalf("stats: %d %s", got, errw)
	}
	var st map[string]int64
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("stats -json: %v\n%s", err, out)
	}
	for _, k := range []string{"sources", "sources_failing", "articles", "carriages", "tags", "related_lists", "db_bytes"} {
		if _, ok := st[k]; !ok {
			t.Errorf("stats -json lacks key %q: %s", k, out)
		}
	}
	if st["articles"] != 4 || st["sources"] != 3 || st["sources_failing"] != 1 {
		t.Errorf("stats = %v, want 4 articles, 3 sources, 1 failing", st)
	}

	// Fetching again sends validators or re-reads the same items: nothing new.
	e, out, _ = testEnv()
	run(ctx, e, []string{"fetch", "-config", cfg, "alpha"})
	if !strings.Contains(out.String(), "0 new articles") {
		t.Errorf("second fetch should add nothing:\n%s", out)
	}

	e, out, errw = testEnv()
	if got := run(ctx, e, []string{"related", "-config", cfg, "1"}); got != exitOK {
		t.Fatalf("related: %d %s", got, errw)
	}
	if !strings.Contains(out.String(), "shared: ") {
		t.Errorf("related output lacks the table:\n%s", out)
	}

	backup := filepath.Join(dir, "backup.db")
	e, _, errw = testEnv()
	if got := run(ctx, e, []string{"backup", "-config", cfg, backup}); got != exitOK {
		t.Fatalf("backup: %d %s", got, errw)
	}
	integrity(t, backup)
	e, _, errw = testEnv()
	if got := run(ctx, e, []string{"backup", "-config", cfg, backup}); got != exitFailure {
		t.Errorf("backup over an existing file: status %d, want 1 (%s)", got, errw)
	}

	e, out, errw = testEnv()
	if got := run(ctx, e, []string{"opml", "export", "-config", cfg}); got != exitOK {
		t.Fatalf("opml export: %d %s", got, errw)
	}
	opml := filepath.Join(dir, "subs.opml")
	if err := os.WriteFile(opml, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	e, out, errw = testEnv()
	if got := run(ctx, e, []string{"opml", "-config", cfg, "import", opml}); got != exitOK {
		t.Fatalf("opml import: %d %s", got, errw)
	}
	if !strings.Contains(out.String(), "sources:") || !strings.Contains(out.String(), o.srv.URL+"/beta.xml") {
		t.Errorf("opml import output:\n%s", out)
	}

	// A new tag rule reaches stored articles through retag: -n counts,
	// the real run changes, a second run finds nothing left to do.
	body, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	withRule := strings.Replace(string(body), "tags:\n  rules:\n", "tags:\n  rules:\n    - tag: geneva\n      any: [\"geneva\"]\n", 1)
	if withRule == string(body) {
		t.Fatal("test config has no tags.rules to extend")
	}
	writeConfig(t, dir, withRule)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"retag", "-n", "-config", cfg}, "would retag 1 of 4 articles"},
		{[]string{"retag", "-config", cfg}, "retagged 1 of 4 articles"},
		{[]string{"retag", "-config", cfg}, "retagged 0 of 4 articles"},
	} {
		e, out, errw = testEnv()
		if got := run(ctx, e, tc.args); got != exitOK || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%v: status %d, output %q, want %q (%s)", tc.args, got, out, tc.want, errw)
		}
	}
}

func integrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check of %s: %s", path, res)
	}
	storagetest.CheckForeignKeys(t, path)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestServeEndToEnd runs the daemon through run(): origin → serve on
// 127.0.0.1:0 → fetch → the articles appear in the right outputs, tag feeds
// and pages with their related posts; SIGHUP reloads good and bad configs;
// cancelling the context stops it cleanly.
func TestServeEndToEnd(t *testing.T) {
	o := newDeskOrigin(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, ""))

	e, _, logs := testEnv()
	hup := make(chan os.Signal, 1)
	e.signals = hup
	addrc := make(chan string, 1)
	e.ready = func(addr string) { addrc <- addr }
	fetched := logs.await(t, "source=alpha")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "-config", cfg}) }()
	var base string
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case st := <-done:
		t.Fatalf("serve exited with %d:\n%s", st, logs)
	}
	fetched()

	code, body := get(t, base+"/feeds/all.atom")
	if code != 200 || strings.Count(body, "<entry>") != 3 {
		t.Fatalf("/feeds/all.atom: %d with %d entries\n%s", code, strings.Count(body, "<entry>"), body)
	}
	code, body = get(t, base+"/feeds/mideast.json")
	var jf struct {
		Items []struct {
			Title    string `json:"title"`
			Feedloom struct {
				Related []struct {
					Article int64 `json:"article"`
				} `json:"related"`
			} `json:"_feedloom"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(body), &jf); code != 200 || err != nil {
		t.Fatalf("/feeds/mideast.json: %d %v\n%s", code, err, body)
	}
	if len(jf.Items) != 2 {
		t.Errorf("mideast.json has %d items, want the 2 Iraq/Syria stories:\n%s", len(jf.Items), body)
	}
	for _, it := range jf.Items {
		if strings.Contains(it.Title, "Football") {
			t.Errorf("sport story in the mideast output: %q", it.Title)
		}
		if len(it.Feedloom.Related) == 0 {
			t.Errorf("item %q has no related posts", it.Title)
		}
	}
	code, body = get(t, base+"/tags/energy.rss")
	if code != 200 || !strings.Contains(body, "Oil pipeline attacked") {
		t.Errorf("/tags/energy.rss (tag from a rule): %d\n%s", code, body)
	}
	code, body = get(t, base+"/articles/1")
	if code != 200 || !strings.Contains(body, "Related posts") {
		t.Errorf("/articles/1: %d\n%s", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d", code)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "feedloom_fetches_total") {
		t.Errorf("/metrics: %d, lacks feedloom_fetches_total", code)
	}

	// A good reload adds a source, which is fetched and published.
	writeConfig(t, dir, baseConfig(dir, o.srv.URL, fmt.Sprintf("  - name: beta\n    url: %q\n", o.srv.URL+"/beta.xml")))
	reloaded := logs.await(t, "config reloaded")
	betaFetched := logs.await(t, "source=beta")
	hup <- os.Interrupt
	reloaded()
	betaFetched()
	_, body = get(t, base+"/sources.json")
	if !strings.Contains(body, `"beta"`) {
		t.Errorf("/sources.json lacks the new source:\n%s", body)
	}
	_, body = get(t, base+"/feeds/mideast.atom")
	if !strings.Contains(body, "Syria talks resume") {
		t.Errorf("new source's article missing from mideast.atom:\n%s", body)
	}

	// A bad reload keeps the running config and logs every problem.
	writeConfig(t, dir, "sources:\n  - name: x\n    url: ftp://nope\n    bogus: 1\n")
	failed := logs.await(t, "reload failed")
	hup <- os.Interrupt
	failed()
	if !strings.Contains(logs.String(), "sources[0].url") || !strings.Contains(logs.String(), "sources[0].bogus") {
		t.Errorf("problems not logged:\n%s", logs)
	}
	if code, _ := get(t, base+"/feeds/mideast.atom"); code != 200 {
		t.Errorf("after a bad reload the output is gone: %d", code)
	}

	cancel()
	if st := <-done; st != exitOK {
		t.Fatalf("serve exit status %d:\n%s", st, logs)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") && !strings.Contains(line, "config problem") && !strings.Contains(line, "reload failed") {
			t.Errorf("unexpected error in the log: %s", line)
		}
	}
	integrity(t, filepath.Join(dir, "feedloom.db"))
}

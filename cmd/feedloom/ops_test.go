package main

// End-to-end tests of the real binary, run the way systemd runs it: a
// NOTIFY_SOCKET the test listens on, WATCHDOG_USEC, signals, JSON logs on
// stderr and the exit status. They synchronise on sd_notify datagrams, log
// lines, the origin's requests and HTTP polls, each with a deadline.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// opsWait bounds every wait on the daemon; the whole test takes a few
// seconds when things work.
const opsWait = 15 * time.Second

// TestDaemonOps builds the binary once and runs it through its life under
// a fake systemd. Budget: about 10 s (the build, from the cache, included).
func TestDaemonOps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the feedloom binary; skipped with -short")
	}
	bin := buildFeedloom(t)
	t.Run("check", func(t *testing.T) { testOpsCheck(t, bin) })
	t.Run("lifecycle", func(t *testing.T) { testOpsLifecycle(t, bin) })
	t.Run("sigterm in flight", func(t *testing.T) { testOpsSIGTERM(t, bin) })
	t.Run("second signal", func(t *testing.T) { testOpsSecondSignal(t, bin) })
}

// buildFeedloom builds this package with the test's environment (GOFLAGS
// included) into a temporary directory.
func buildFeedloom(t *testing.T) string {
	t.Helper()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "feedloom")
	out, err := exec.CommandContext(t.Context(), gocmd, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// testOpsCheck is a smoke test of `feedloom check` as a process: the
// exit status and FILE:LINE lines (run() tests cover the details).
func testOpsCheck(t *testing.T, bin string) {
	out, err := exec.Command(bin, "check", "-config", "../../config.yaml").CombinedOutput()
	if err != nil {
		t.Fatalf("check of the shipped config: %v\n%s", err, out)
	}
	bad := writeConfig(t, t.TempDir(), "fetch:\n  schedule: \"*/61 * * * *\"\nsources:\n  - name: Bad Name\n    url: /relative\n")
	out, err = exec.Command(bin, "check", "-config", bad).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitFailure {
		t.Fatalf("check of a broken config: %v, want exit status 1\n%s", err, out)
	}
	for _, line := range []string{":2: fetch.schedule:", ":4: sources[0].name:", ":5: sources[0].url:"} {
		if !strings.Contains(string(out), bad+line) {
			t.Errorf("check output lacks %q:\n%s", bad+line, out)
		}
	}
}

// testOpsLifecycle: READY once it serves, watchdog pings, metrics after a
// fetch, a good reload (a source added and fetched, one removed and no
// longer scheduled, an output added), a bad one (everything kept, every
// problem logged), then a clean stop; and the log has one line per event.
func testOpsLifecycle(t *testing.T, bin string) {
	o := newOpsOrigin(t, map[string]http.HandlerFunc{
		"/keep.xml": serveFeed(opsFeed("keep", 2)),
		"/gone.xml": serveFeed(opsFeed("gone", 2)),
		"/beta.xml": serveFeed(opsFeed("beta", 2)),
	})
	dir := t.TempDir()
	db := filepath.Join(dir, "feedloom.db")
	src := func(name, schedule string) string {
		return fmt.Sprintf("  - name: %s\n    url: %q\n    tags: [world]\n    schedule: %q\n", name, o.srv.URL+"/"+name+".xml", schedule)
	}
	cfg := writeConfig(t, dir, opsConfig(db, src("keep", "@every 1s")+src("gone", "@every 1s"), "world"))
	d := startFeedloom(t, bin, cfg, "WATCHDOG_USEC=200000")

	d.logs.await(t, 0, "the watchdog enabled line", func(l logLine) bool { return l.msg() == "systemd watchdog enabled" })
	at := d.notes.mark()
	for range 3 {
		at, _ = d.notes.await(t, at, "WATCHDOG=1", hasState("WATCHDOG=1"))
		at++
	}

	d.logs.await(t, 0, "the first fetch of keep", isFetch("keep"))
	if code, body := get(t, d.base+"/feeds/world.atom"); code != 200 || !strings.Contains(body, "Story 1 from keep") {
		t.Errorf("/feeds/world.atom: %d\n%s", code, body)
	}
	get(t, d.base+"/metrics") // so that it counts itself next time
	_, metrics := get(t, d.base+"/metrics")
	for _, re := range []string{
		`(?m)^feedloom_fetches_total\{[^}]*outcome="200"[^}]*source="keep"[^}]*\} [1-9]`,
		`(?m)^feedloom_fetch_duration_seconds_count(\{[^}]*\})? [1-9]`,
		`(?m)^feedloom_articles_total\{result="new"\} [1-9]`,
		`(?m)^feedloom_http_requests_total\{[^}]*route="/metrics"[^}]*\} [1-9]`,
		`(?m)^feedloom_http_request_duration_seconds_bucket\{`,
		`(?m)^feedloom_config_last_reload_successful 1$`,
		`(?m)^feedloom_config_last_reload_success_timestamp_seconds [1-9]`,
	} {
		if !regexp.MustCompile(re).MatchString(metrics) {
			t.Errorf("/metrics lacks %s", re)
		}
	}
	if code, body := get(t, d.base+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}

	// A good reload: gone removed, beta and the output "extra" added.
	writeConfig(t, dir, opsConfig(db, src("keep", "@every 1s")+src("beta", "@every 1h"), "world", "extra"))
	d.reload(t)
	ready := o.hits.mark()
	d.logs.await(t, 0, "the fetch of the added source", isFetch("beta"))
	var sj struct {
		Sources []struct{ Name string } `json:"sources"`
	}
	_, body := get(t, d.base+"/sources.json")
	if err := json.Unmarshal([]byte(body), &sj); err != nil {
		t.Fatalf("/sources.json: %v\n%s", err, body)
	}
	var names []string
	for _, s := range sj.Sources {
		names = append(names, s.Name)
	}
	if !slices.Equal(names, []string{"beta", "keep"}) {
		t.Errorf("/sources.json after the reload lists %v, want [beta keep]", names)
	}
	if code, _ := get(t, d.base+"/feeds/extra.atom"); code != 200 {
		t.Errorf("/feeds/extra.atom, added by the reload: %d", code)
	}
	// keep and gone both ran every second; between two firings of keep
	// after the reload, gone would have fired once if it were scheduled.
	// (The first interval is skipped: a fetch of gone begun before the
	// swap may still be on its way.)
	isKeep := func(p string) bool { return p == "/keep.xml" }
	first, _ := o.hits.await(t, ready, "keep fetched after the reload", isKeep)
	first, _ = o.hits.await(t, first+1, "keep fetched again", isKeep)
	second, _ := o.hits.await(t, first+1, "keep fetched a third time", isKeep)
	if between := o.hits.all()[first:second]; slices.Contains(between, "/gone.xml") {
		t.Errorf("removed source still fetched after the reload: %v", between)
	}
	if !strings.Contains(metricsOf(t, d), "feedloom_config_last_reload_successful 1\n") {
		t.Error("feedloom_config_last_reload_successful is not 1 after a good reload")
	}

	// A bad reload: every problem logged, the running config kept.
	writeConfig(t, dir, "log_format: json\nfetch:\n  schedule: \"*/61 * * * *\"\n  tiemout: 3s\nsources:\n  - name: Bad Name\n    url: /relative\n")
	d.reload(t)
	for _, field := range []string{"fetch.schedule", "fetch.tiemout", "sources[0].name", "sources[0].url"} {
		d.logs.await(t, 0, "the problem with "+field, func(l logLine) bool {
			return l.msg() == "config problem" && l.level() == "ERROR" && strings.Contains(l.attr("problem"), field)
		})
	}
	if code, _ := get(t, d.base+"/feeds/extra.atom"); code != 200 {
		t.Errorf("/feeds/extra.atom after a bad reload: %d", code)
	}
	if _, body := get(t, d.base+"/sources.json"); !strings.Contains(body, `"beta"`) || strings.Contains(body, "Bad Name") {
		t.Errorf("/sources.json after a bad reload:\n%s", body)
	}
	if !strings.Contains(metricsOf(t, d), "feedloom_config_last_reload_successful 0\n") {
		t.Error("feedloom_config_last_reload_successful is not 0 after a bad reload")
	}

	d.stop(t)
	// One line per fetch, per reload, per error; none per request.
	if n, hits := d.count(isFetch("beta")), o.count("/beta.xml"); n != 1 || hits != 1 {
		t.Errorf("%d fetch lines for beta, %d requests for it: want 1 and 1", n, hits)
	}
	if n := d.count(func(l logLine) bool { return l.msg() == "config reloaded" }); n != 1 {
		t.Errorf("%d \"config reloaded\" lines, want 1", n)
	}
	if n := d.count(func(l logLine) bool { return l.level() == "ERROR" && l.msg() != "config problem" }); n != 1 {
		t.Errorf("%d error lines besides the problems, want 1 (reload failed)", n)
	}
	for _, l := range d.logs.all() {
		for _, path := range []string{"/feeds/", "/sources.json", "/metrics", "/healthz"} {
			if strings.Contains(l.raw, path) {
				t.Errorf("a request was logged: %s", l.raw)
			}
		}
	}
}

// testOpsSIGTERM: SIGTERM while fetches are half-way through their bodies
// and clients poll feeds over keep-alive connections. STOPPING=1, feeds
// served while the fetches finish, SIGHUP ignored, every poll answered in
// full or refused a connection after SIGTERM (never reset, never cut
// short), exit 0 within the grace budget, no error in the log, and a
// database that passes integrity_check with everything the in-flight
// fetches brought.
//
// (A request whose header is still arriving when the listener closes is
// dropped by net/http's Shutdown, by design; clients retry those.)
func testOpsSIGTERM(t *testing.T, bin string) {
	release := make(chan struct{})
	slow := []string{"slow-a", "slow-b", "slow-c"}
	routes := map[string]http.HandlerFunc{"/fast.xml": serveFeed(opsFeed("fast", 2))}
	for _, name := range slow {
		routes["/"+name+".xml"] = trickleFeed(opsFeed(name, 2), release)
	}
	o := newOpsOrigin(t, routes)
	dir := t.TempDir()
	db := filepath.Join(dir, "feedloom.db")
	var sources strings.Builder
	for _, name := range append([]string{"fast"}, slow...) {
		fmt.Fprintf(&sources, "  - name: %s\n    url: %q\n    tags: [world]\n", name, o.srv.URL+"/"+name+".xml")
	}
	cfg := writeConfig(t, dir, opsConfig(db, sources.String(), "world"))
	d := startFeedloom(t, bin, cfg)
	d.logs.await(t, 0, "the fetch of fast", isFetch("fast"))
	for _, name := range slow {
		o.hits.await(t, 0, name+" in flight", func(p string) bool { return p == "/"+name+".xml" })
	}

	// Clients polling feeds over keep-alive connections, until refused.
	var termSent atomic.Bool
	var (
		mu            sync.Mutex
		problems      []string
		answered      int
		answeredAfter int
		unanswered    []string
		wg            sync.WaitGroup
	)
	stopPolling := make(chan struct{})
	warm := make(chan struct{}, 4)
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: opsWait}
	for i, path := range []string{"/feeds/all.atom", "/feeds/world.json", "/", "/sources.json"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stopPolling:
					return
				default:
				}
				resp, err := client.Get(d.base + path)
				if err != nil {
					// No answer began. Refused is the rule once the listener
					// closed (the transport retries a reused connection the
					// server closed while idle); net/http also drops a
					// request whose header is read after Shutdown began.
					mu.Lock()
					switch {
					case !termSent.Load():
						problems = append(problems, fmt.Sprintf("client %d: GET %s before SIGTERM: %v", i, path, err))
					case !errors.Is(err, syscall.ECONNREFUSED):
						unanswered = append(unanswered, err.Error())
					}
					mu.Unlock()
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				if err != nil || resp.StatusCode != 200 {
					problems = append(problems, fmt.Sprintf("client %d: GET %s: %d, body: %v", i, path, resp.StatusCode, err))
				}
				answered++
				if termSent.Load() {
					answeredAfter++
				}
				mu.Unlock()
				if n == 0 {
					warm <- struct{}{}
				}
			}
		}()
	}
	for range 4 {
		select {
		case <-warm:
		case <-time.After(opsWait):
			t.Fatal("the polling clients got no answer")
		}
	}

	notes := d.notes.mark()
	termSent.Store(true)
	sent := time.Now()
	d.signal(t, syscall.SIGTERM)
	stopping, _ := d.notes.await(t, notes, "STOPPING=1", hasState("STOPPING=1"))
	d.signal(t, syscall.SIGHUP) // ignored during shutdown
	// The fetches are still held by the origin: the scheduler waits for
	// them, and feeds are still served meanwhile.
	if code, _ := get(t, d.base+"/feeds/all.atom"); code != 200 {
		t.Errorf("/feeds/all.atom while fetches finish: %d", code)
	}
	close(release)
	code := d.waitExit(t, fetchGrace+httpGrace)
	took := time.Since(sent)
	close(stopPolling)
	wg.Wait()
	if code != exitOK {
		t.Errorf("exit status %d after SIGTERM, want 0\n%s", code, d.logText())
	}
	t.Logf("stopped %v after SIGTERM; %d polls answered, %d of them after SIGTERM", took.Round(time.Millisecond), answered, answeredAfter)
	for _, p := range problems {
		t.Error(p)
	}
	if len(unanswered) > 0 {
		t.Logf("polls that got no answer after SIGTERM (not refused): %q", unanswered)
	}
	if after := d.notes.all()[stopping:]; slices.ContainsFunc(after, hasState("RELOADING=1")) {
		t.Errorf("reloaded during shutdown: %q", after)
	}
	for _, name := range slow {
		_, l := d.logs.await(t, 0, "the fetch of "+name, isFetch(name))
		if l.attr("status") != "200" || l.attr("new") != "2" {
			t.Errorf("in-flight fetch of %s did not finish during the grace period: %s", name, l.raw)
		}
	}
	if n := d.count(func(l logLine) bool { return l.level() == "ERROR" }); n != 0 {
		t.Errorf("%d error lines in the log:\n%s", n, d.logText())
	}
	d.checkStopLines(t)
	integrity(t, db)
	out, err := exec.Command(bin, "stats", "-json", "-config", cfg).Output()
	var st map[string]int64
	if err != nil || json.Unmarshal(out, &st) != nil || st["articles"] != 8 {
		t.Errorf("stats after the shutdown: %v %s, want 8 articles", err, out)
	}
}

// testOpsSecondSignal: a second SIGTERM while the first one's shutdown
// waits for a fetch that never ends exits at once, non-zero, and leaves a
// sound database.
func testOpsSecondSignal(t *testing.T, bin string) {
	o := newOpsOrigin(t, map[string]http.HandlerFunc{
		"/fast.xml": serveFeed(opsFeed("fast", 1)),
		"/hang.xml": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
	})
	dir := t.TempDir()
	db := filepath.Join(dir, "feedloom.db")
	sources := fmt.Sprintf("  - name: fast\n    url: %q\n  - name: hang\n    url: %q\n", o.srv.URL+"/fast.xml", o.srv.URL+"/hang.xml")
	cfg := writeConfig(t, dir, strings.Replace(opsConfig(db, sources, "world"), "fetch:\n", "fetch:\n  timeout: 2m\n", 1))
	d := startFeedloom(t, bin, cfg)
	d.logs.await(t, 0, "the fetch of fast", isFetch("fast"))
	o.hits.await(t, 0, "hang in flight", func(p string) bool { return p == "/hang.xml" })

	at := d.notes.mark()
	d.signal(t, syscall.SIGTERM)
	d.notes.await(t, at, "STOPPING=1", hasState("STOPPING=1"))
	sent := time.Now()
	d.signal(t, syscall.SIGTERM)
	// Without the second signal it would wait out the fetch grace period.
	code := d.waitExit(t, fetchGrace)
	took := time.Since(sent)
	t.Logf("exited %v after the second SIGTERM", took.Round(time.Millisecond))
	if code != exitFailure || took >= fetchGrace {
		t.Errorf("second SIGTERM: exit status %d after %v, want 1 at once\n%s", code, took, d.logText())
	}
	d.logs.await(t, 0, "the second signal line", func(l logLine) bool { return l.msg() == "second signal, exiting now" })
	integrity(t, db)
}

// opsConfig is a config with the given sources and outputs (tags_any world).
func opsConfig(db, sources string, outputs ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "title: \"Ops Desk\"\nbase_url: \"http://desk.example/\"\nlisten: \"127.0.0.1:0\"\ndatabase: %q\n", db)
	b.WriteString("log_level: info\nlog_format: json\nfetch:\n  schedule: \"@every 1h\"\n  per_host: 4\nsources:\n")
	b.WriteString(sources)
	b.WriteString("outputs:\n")
	for _, o := range outputs {
		fmt.Fprintf(&b, "  - name: %s\n    tags_any: [world]\n", o)
	}
	return b.String()
}

// opsFeed is an RSS feed of n stories unique to name.
func opsFeed(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>https://%s.example/</link><description>d</description>`, name, name)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `<item><guid>%s-%d</guid><title>Story %d from %s</title><link>https://%s.example/story/%d</link><description>Body %d of %s, padded so that the document is worth trickling.</description><pubDate>%s</pubDate></item>`,
			name, i, i, name, name, i, i, name, time.Now().Add(-time.Duration(i)*time.Hour).UTC().Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

func serveFeed(doc string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, doc)
	}
}

// trickleFeed sends half of doc, then the rest once release is closed: a
// fetch in flight for as long as the test wants.
func trickleFeed(doc string, release <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		io.WriteString(w, doc[:len(doc)/2])
		w.(http.Flusher).Flush()
		select {
		case <-release:
			io.WriteString(w, doc[len(doc)/2:])
		case <-r.Context().Done():
		}
	}
}

// opsOrigin serves feeds and records every request path in arrival order.
type opsOrigin struct {
	srv  *httptest.Server
	hits *events[string]
}

func newOpsOrigin(t *testing.T, routes map[string]http.HandlerFunc) *opsOrigin {
	o := &opsOrigin{hits: newEvents[string]()}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.hits.add(r.URL.Path)
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *opsOrigin) count(path string) int {
	n := 0
	for _, p := range o.hits.all() {
		if p == path {
			n++
		}
	}
	return n
}

// events is an append-only list that tests wait on.
type events[T any] struct {
	mu      sync.Mutex
	items   []T
	changed chan struct{} // closed and replaced on every add
}

func newEvents[T any]() *events[T] { return &events[T]{changed: make(chan struct{})} }

func (ev *events[T]) add(x T) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.items = append(ev.items, x)
	close(ev.changed)
	ev.changed = make(chan struct{})
}

func (ev *events[T]) all() []T {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return slices.Clone(ev.items)
}

// mark is the index the next item will have.
func (ev *events[T]) mark() int {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return len(ev.items)
}

// await returns the first item at index from or later that matches,
// waiting up to opsWait for it.
func (ev *events[T]) await(t *testing.T, from int, what string, match func(T) bool) (int, T) {
	t.Helper()
	deadline := time.NewTimer(opsWait)
	defer deadline.Stop()
	for {
		ev.mu.Lock()
		for i := from; i < len(ev.items); i++ {
			if match(ev.items[i]) {
				x := ev.items[i]
				ev.mu.Unlock()
				return i, x
			}
		}
		from = max(from, len(ev.items))
		changed := ev.changed
		ev.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			var zero T
			t.Fatalf("waited %v for %s; got %v", opsWait, what, ev.all())
			return 0, zero
		}
	}
}

// logLine is one line of the daemon's stderr, a JSON object if all is well.
type logLine struct {
	raw string
	rec map[string]any // nil when the line is not JSON
}

func (l logLine) attr(k string) string {
	v, ok := l.rec[k]
	if !ok {
		return ""
	}
	return fmt.Sprint(v)
}
func (l logLine) msg() string    { return l.attr("msg") }
func (l logLine) level() string  { return l.attr("level") }
func (l logLine) String() string { return l.raw }

func isFetch(source string) func(logLine) bool {
	return func(l logLine) bool { return l.msg() == "fetch" && l.attr("source") == source }
}

// hasState matches an sd_notify datagram carrying the assignment kv.
func hasState(kv string) func(string) bool {
	return func(dgram string) bool { return slices.Contains(strings.Split(dgram, "\n"), kv) }
}

// feedloomProc is `feedloom serve` running as a child process.
type feedloomProc struct {
	cmd    *exec.Cmd
	logs   *events[logLine]
	notes  *events[string] // sd_notify datagrams
	exited chan struct{}   // closed once cmd.Wait returned
	base   string          // http://127.0.0.1:PORT
}

// startFeedloom starts serve on cfg with NOTIFY_SOCKET set and env added,
// and returns once READY=1 arrived. Cleanup kills it if it still runs.
func startFeedloom(t *testing.T, bin, cfg string, env ...string) *feedloomProc {
	t.Helper()
	sockDir, err := os.MkdirTemp("", "fl") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	d := &feedloomProc{logs: newEvents[logLine](), notes: newEvents[string](), exited: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			d.notes.add(string(buf[:n]))
		}
	}()

	d.cmd = exec.Command(bin, "serve", "-config", cfg)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains([]string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "FEEDLOOM_CONFIG"}, k) {
			d.cmd.Env = append(d.cmd.Env, kv)
		}
	}
	d.cmd.Env = append(append(d.cmd.Env, "NOTIFY_SOCKET="+sock), env...)
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l := logLine{raw: sc.Text()}
			if json.Unmarshal(sc.Bytes(), &l.rec) != nil {
				l.rec = nil
			}
			d.logs.add(l)
		}
		d.cmd.Wait()
		close(d.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			d.cmd.Process.Kill()
			<-d.exited
		}
		conn.Close()
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.logText())
		}
	})

	d.notes.await(t, 0, "READY=1", hasState("READY=1"))
	// The line was written before READY=1 was sent, but its pipe and the
	// socket are read apart.
	_, l := d.logs.await(t, 0, "the serving line", func(l logLine) bool { return l.msg() == "serving" })
	d.base = "http://" + l.attr("addr")
	// READY=1 means the listener is up: the first request is answered.
	if code, _ := get(t, d.base+"/healthz"); code != 200 {
		t.Fatalf("/healthz right after READY=1: %d", code)
	}
	return d
}

func (d *feedloomProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("send %v: %v", sig, err)
	}
}

// reload sends SIGHUP and waits for RELOADING=1 with a plausible
// MONOTONIC_USEC, then READY=1.
func (d *feedloomProc) reload(t *testing.T) {
	t.Helper()
	at := d.notes.mark()
	d.signal(t, syscall.SIGHUP)
	i, dgram := d.notes.await(t, at, "RELOADING=1", hasState("RELOADING=1"))
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	now := ts.Nano() / 1000
	var usec int64 = -1
	for _, kv := range strings.Split(dgram, "\n") {
		if v, ok := strings.CutPrefix(kv, "MONOTONIC_USEC="); ok {
			usec, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	if usec <= 0 || usec > now || now-usec > opsWait.Microseconds() {
		t.Errorf("RELOADING=1 datagram %q: want MONOTONIC_USEC shortly before %d", dgram, now)
	}
	d.notes.await(t, i+1, "READY=1 after RELOADING=1", hasState("READY=1"))
}

// stop sends SIGTERM and checks a clean stop: STOPPING=1, exit status 0,
// and the closing lines.
func (d *feedloomProc) stop(t *testing.T) {
	t.Helper()
	at := d.notes.mark()
	d.signal(t, syscall.SIGTERM)
	d.notes.await(t, at, "STOPPING=1", hasState("STOPPING=1"))
	if code := d.waitExit(t, fetchGrace+httpGrace); code != exitOK {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	d.checkStopLines(t)
}

// checkStopLines checks that the log is all JSON and ends with "database
// closed" and "stopped".
func (d *feedloomProc) checkStopLines(t *testing.T) {
	t.Helper()
	lines := d.logs.all()
	for _, l := range lines {
		if l.rec == nil {
			t.Errorf("not a JSON log line: %s", l.raw)
		}
	}
	if n := len(lines); n < 2 || lines[n-2].msg() != "database closed" || lines[n-1].msg() != "stopped" {
		t.Errorf("the log does not end with \"database closed\", \"stopped\":\n%s", d.logText())
	}
}

// waitExit waits up to limit for the process to exit and returns its
// status (-1 when a signal killed it).
func (d *feedloomProc) waitExit(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-d.exited:
	case <-time.After(limit):
		t.Fatalf("still running %v after the signal", limit)
	}
	return d.cmd.ProcessState.ExitCode()
}

func (d *feedloomProc) count(match func(logLine) bool) int {
	n := 0
	for _, l := range d.logs.all() {
		if match(l) {
			n++
		}
	}
	return n
}

func (d *feedloomProc) logText() string {
	var b strings.Builder
	for _, l := range d.logs.all() {
		b.WriteString(l.raw)
		b.WriteByte('\n')
	}
	return b.String()
}

func metricsOf(t *testing.T, d *feedloomProc) string {
	t.Helper()
	code, body := get(t, d.base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	return body
}

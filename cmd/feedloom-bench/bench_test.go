package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the bench's child process, as the
// bench binary does: measurements re-execute os.Executable.
func TestMain(m *testing.M) {
	if job := os.Getenv(childEnv); job != "" {
		os.Exit(childMain(job))
	}
	os.Exit(m.Run())
}

// TestQuickRun runs the -quick preset end to end (children, origin, floors,
// feedloom's cold and warm pass, related, the serve child's 200/304 check)
// without wrk and nginx, so CI keeps the harness working. It takes a few
// seconds (more under -race).
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end bench run; skipped with -short")
	}
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var out, errs bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Smaller than -quick itself: the children are this test binary, which
	// CI builds with -race.
	args := []string{"-quick", "-sizes", "16x10", "-related-sizes", "2000", "-serve-corpus", "6x10",
		"-wrk", "", "-nginx", "", "-install=false", "-json", jsonPath}
	if code := run(ctx, args, &out, &errs); code != 0 {
		t.Fatalf("run exited %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errs.String())
	}
	t.Logf("\n%s", out.String())
	for _, want := range []string{"INGEST", "floor (a) fetch+parse", "floor (b) +SQLite", "feedloom cold", "feedloom warm",
		"RELATED", "SERVE", "wrk not available", "SOURCES"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var res Results
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("json: %v", err)
	}
	if len(res.Ingest) != 1 || len(res.Related) != 1 || res.Serve == nil {
		t.Fatalf("json holds %d ingest, %d related, serve %v", len(res.Ingest), len(res.Related), res.Serve != nil)
	}
	f := res.Ingest[0]
	checks := []struct {
		name      string
		got, want int
	}{
		{"items served", f.ItemsServed, 16 * 10},
		{"floor (a) items parsed", f.FloorParse.Items, f.ItemsServed},
		{"floor (b) rows", f.FloorRows, f.ItemsServed},
		{"feedloom carriages (no item lost)", f.StoredCarriages, f.ItemsServed},
		{"feedloom cold 200s", f.Cold.Status200, f.Feeds},
		{"feedloom warm 304s", f.Warm.Status304, f.Feeds},
		{"origin full bodies in the warm pass", int(f.Warm.Origin200), 0},
		{"errors", f.FloorParse.Errors + f.FloorSQLite.Errors + f.Cold.Errors + f.Warm.Errors, 0},
		{"served entries", res.Serve.Entries, 50},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	// Dedupe may leave a few copies unmerged (see docs/performance.md), never merge
	// distinct stories.
	if f.StoredArticles < f.ExpectedArticles || f.StoredArticles > f.ItemsServed {
		t.Errorf("stored %d articles for %d stories and %d items", f.StoredArticles, f.ExpectedArticles, f.ItemsServed)
	}
	for _, p := range []*PassFigures{f.FloorParse, f.FloorSQLite, f.Cold} {
		if p.WallSeconds <= 0 || p.CPUSeconds <= 0 || p.PeakRSSBytes <= 0 {
			t.Errorf("implausible figures %+v", p.passResult)
		}
	}
	if r := res.Related[0]; r.Articles != 2000 || r.InsertMedianUs <= 0 || r.PeakRSSBytes <= 0 {
		t.Errorf("related figures %+v", r)
	}
}

func TestCorpus(t *testing.T) {
	epoch := DefaultEpoch(time.Now())
	a, b := GenerateCorpus(7, epoch, 40, 25), GenerateCorpus(7, epoch, 40, 25)
	for i := range a.Feeds {
		if !bytes.Equal(a.Feeds[i].Body, b.Feeds[i].Body) {
			t.Fatalf("feed %d differs between two runs with the same seed", i)
		}
	}
	if c := GenerateCorpus(8, epoch, 40, 25); bytes.Equal(c.Feeds[0].Body, a.Feeds[0].Body) {
		t.Error("another seed gives the same bytes")
	}
	if a.Items != 40*25 {
		t.Errorf("items %d, want %d", a.Items, 40*25)
	}
	share := float64(a.Syndicated) / float64(a.Items)
	if share < 0.04 || share > 0.11 {
		t.Errorf("syndicated share %.3f, want about 0.07", share)
	}
	if a.Stories+a.Syndicated != a.Items {
		t.Errorf("stories %d + copies %d != items %d", a.Stories, a.Syndicated, a.Items)
	}
	if a.AtomFeeds == 0 || a.AtomFeeds == len(a.Feeds) {
		t.Errorf("%d Atom feeds of %d: want both formats", a.AtomFeeds, len(a.Feeds))
	}
	for k, n := range a.CopiesKinds {
		if n == 0 {
			t.Errorf("no copy of kind %d", k)
		}
	}
	perItem := float64(a.Bytes) / float64(a.Items)
	if perItem < 1500 || perItem > 6000 {
		t.Errorf("%.0f bytes per item, want 1–4 KB of HTML plus markup", perItem)
	}
}

func TestOriginConditional(t *testing.T) {
	epoch := DefaultEpoch(time.Now())
	c := GenerateCorpus(1, epoch, 3, 2)
	o, err := startOrigin(c)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	url := o.URLs(c)[1]
	cases := []struct {
		name   string
		header string
		value  string
		want   int
	}{
		{"plain", "", "", 200},
		{"matching etag", "If-None-Match", c.Feeds[1].ETag, 304},
		{"weak etag", "If-None-Match", "W/" + c.Feeds[1].ETag, 304},
		{"other etag", "If-None-Match", `"nope"`, 200},
		{"not modified since", "If-Modified-Since", c.Feeds[1].LastModified, 304},
		{"modified since", "If-Modified-Since", epoch.Add(-time.Hour).Format(httpTime), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if tc.header != "" {
				req.Header.Set(tc.header, tc.value)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want || resp.Header.Get("ETag") != c.Feeds[1].ETag {
				t.Errorf("status %d ETag %q, want %d %q", resp.StatusCode, resp.Header.Get("ETag"), tc.want, c.Feeds[1].ETag)
			}
		})
	}
}

func TestParseWrk(t *testing.T) {
	const out = `Running 10s test @ http://127.0.0.1:8080/feeds/all.atom
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.05ms  40.12ms   90.00%
    Req/Sec    15.32k     1.02k   17.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    2.50ms
     90%    3.10ms
     99%    1.20s
  304912 requests in 10.00s, 1.20GB read
  Socket errors: connect 0, read 3, write 0, timeout 1
  Non-2xx or 3xx responses: 7
Requests/sec:  30487.15
Transfer/sec:    123.00MB
`
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := ServeRow{ReqPerSec: 30487.15, P50Ms: 0.812, P99Ms: 1200, Requests: 304912, Bad: 7, ReadBytes: 1.2 * (1 << 30),
		SocketErrs: "connect 0, read 3, write 0, timeout 1"}
	if r != want {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused\n"); err == nil {
		t.Error("no error for output without figures")
	}
}

func TestParseFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		ok   bool
	}{
		{"defaults", nil, true},
		{"quick", []string{"-quick"}, true},
		{"sizes", []string{"-sizes", "10x5, 20x5"}, true},
		{"bad size", []string{"-sizes", "10by5"}, false},
		{"bad skip", []string{"-skip", "everything"}, false},
		{"bad related", []string{"-related-sizes", "-3"}, false},
		{"epoch", []string{"-epoch", "2026-01-02"}, true},
		{"bad epoch", []string{"-epoch", "yesterday"}, false},
		{"argument", []string{"extra"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(tc.args, &bytes.Buffer{})
			if (err == nil) != tc.ok {
				t.Errorf("err %v, want ok=%v", err, tc.ok)
			}
		})
	}
	o, _ := parseFlags([]string{"-quick", "-serve-duration", "3s"}, &bytes.Buffer{})
	if len(o.sizes) != 1 || o.sizes[0] != (size{50, 20}) || o.serveDuration != 3*time.Second || o.relatedSizes[0] != 10000 {
		t.Errorf("-quick with an explicit flag: %+v", o)
	}
}

package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
)

// repoRoot walks up from the test's working directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// mustParse parses in and fails the test on any problem.
func mustParse(t *testing.T, in string) *config.Config {
	t.Helper()
	c, err := config.Parse("config.yaml", []byte(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestShippedConfig(t *testing.T) {
	path := filepath.Join(repoRoot(t), "config.yaml")
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("shipped config.yaml is invalid:\n%v", err)
	}
	if c.Path != path {
		t.Errorf("Path = %q, want %q", c.Path, path)
	}
	if n := len(c.Sources); n < 6 || n > 10 {
		t.Errorf("%d sources, want 6-10", n)
	}
	if n := len(c.Outputs); n < 2 || n > 3 {
		t.Errorf("%d outputs, want 2-3", n)
	}
	// Every tag an output asks for must be one something can produce, or the
	// output would stay empty forever.
	produced := map[string]bool{}
	for _, s := range c.Sources {
		for _, tag := range s.Tags {
			produced[tag] = true
		}
		if !strings.HasPrefix(s.URL, "https://") {
			t.Errorf("source %s: %q is not https", s.Name, s.URL)
		}
	}
	for _, r := range c.Tags.Rules {
		produced[r.Tag] = true
	}
	for _, canonical := range c.Tags.Aliases {
		produced[canonical] = true
	}
	for _, o := range c.Outputs {
		if len(o.TagsAny) == 0 {
			t.Errorf("output %s selects no tags", o.Name)
		}
		for _, tag := range o.TagsAny {
			if !produced[tag] {
				t.Errorf("output %s wants tag %q, which no source, rule or alias produces", o.Name, tag)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, src)
	want := config.Default()
	want.Path = "config.yaml"
	want.Sources = []feeds.Source{{Name: "a", URL: "https://example.org/feed.xml", Schedule: "*/15 * * * *"}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got  %+v\nwant %+v", c, want)
	}
	// The values SPEC.md documents, spelled out so a changed constant is noticed.
	checks := []struct {
		name      string
		got, want any
	}{
		{"title", c.Title, "feedloom"},
		{"base_url", c.BaseURL, "http://127.0.0.1:8080/"},
		{"listen", c.Listen, "127.0.0.1:8080"},
		{"database", c.Database, "feedloom.db"},
		{"log_level", c.LogLevel, "info"},
		{"log_format", c.LogFormat, "text"},
		{"fetch.schedule", c.Fetch.Schedule, "*/15 * * * *"},
		{"fetch.timeout", c.Fetch.Timeout, 30 * time.Second},
		{"fetch.concurrency", c.Fetch.Concurrency, 16},
		{"fetch.per_host", c.Fetch.PerHost, 2},
		{"fetch.max_body", c.Fetch.MaxBody, int64(10_000_000)},
		{"fetch.user_agent", c.Fetch.UserAgent, "feedloom/VERSION (+BASE_URL)"},
		{"fetch.on_start", c.Fetch.OnStart, true},
		{"fetch.allow_private_redirects", c.Fetch.AllowPrivateRedirects, false},
		{"retention.max_age", c.Retention.MaxAge, 2160 * time.Hour},
		{"retention.max_per_source", c.Retention.MaxPerSource, 5000},
		{"related.limit", c.Related.Limit, 5},
		{"related.min_shared", c.Related.MinShared, 1},
		{"related.window", c.Related.Window, 720 * time.Hour},
		{"tags.aliases", len(c.Tags.Aliases), 0},
		{"tags.rules", len(c.Tags.Rules), 0},
		{"outputs", len(c.Outputs), 0},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			if !reflect.DeepEqual(ch.got, ch.want) {
				t.Errorf("got %v, want %v", ch.got, ch.want)
			}
		})
	}
}

func TestValuesAndNormalising(t *testing.T) {
	c := mustParse(t, `
title: World Desk
base_url: https://news.example.org/desk
listen: ":9090"
log_level: debug
log_format: json
fetch:
  schedule: "@every 10m"
  timeout: 90s
  max_body: 512KiB
  on_start: false
  allow_private_redirects: true
retention: {max_age: 0, max_per_source: 0}
tags:
  aliases: {" ISIS ": Islamic-State}
  rules:
    - tag: " Energy "
      any: [" oil ", power grid]
      in: [title]
related: {limit: 10, min_shared: 2, window: 48h}
sources:
  - name: own
    url: https://example.org/a.xml
    schedule: "@hourly"
    title: Own
    tags: [World, " Middle-East "]
  - name: local
    url: file:///srv/feeds/local.xml
outputs:
  - name: me
    tags_any: [Middle-East]
    sources: [own]
    limit: 20
`)
	if c.BaseURL != "https://news.example.org/desk/" {
		t.Errorf("BaseURL = %q, want a trailing slash added", c.BaseURL)
	}
	if c.Listen != ":9090" || c.LogLevel != "debug" || c.LogFormat != "json" {
		t.Errorf("listen/log: %q %q %q", c.Listen, c.LogLevel, c.LogFormat)
	}
	wantFetch := config.Fetch{Schedule: "@every 10m", Timeout: 90 * time.Second, Concurrency: 16, PerHost: 2,
		MaxBody: 512 * 1024, UserAgent: "feedloom/VERSION (+BASE_URL)", AllowPrivateRedirects: true}
	if c.Fetch != wantFetch {
		t.Errorf("Fetch = %+v\nwant    %+v", c.Fetch, wantFetch)
	}
	if (c.Retention != config.Retention{}) {
		t.Errorf("Retention = %+v, want zeros (keep everything)", c.Retention)
	}
	if want := (config.Related{Limit: 10, MinShared: 2, MinScore: config.DefaultMinScore, Window: 48 * time.Hour}); c.Related != want {
		t.Errorf("Related = %+v, want %+v", c.Related, want)
	}
	if want := map[string]string{"isis": "islamic-state"}; !reflect.DeepEqual(c.Tags.Aliases, want) {
		t.Errorf("Aliases = %v, want %v", c.Tags.Aliases, want)
	}
	wantRules := []feeds.TagRule{{Tag: "energy", Any: []string{"oil", "power grid"}, In: []string{"title"}}}
	if !reflect.DeepEqual(c.Tags.Rules, wantRules) {
		t.Errorf("Rules = %+v, want %+v", c.Tags.Rules, wantRules)
	}
	wantSources := []feeds.Source{
		{Name: "own", URL: "https://example.org/a.xml", Title: "Own", Tags: []string{"world", "middle-east"}, Schedule: "@hourly"},
		{Name: "local", URL: "file:///srv/feeds/local.xml", Schedule: "@every 10m"},
	}
	if !reflect.DeepEqual(c.Sources, wantSources) {
		t.Errorf("Sources = %+v\nwant %+v", c.Sources, wantSources)
	}
	wantOutputs := []feeds.Output{{Name: "me", Title: "me", Filter: feeds.Filter{
		TagsAny: []string{"middle-east"}, Sources: []string{"own"}, Limit: 20}}}
	if !reflect.DeepEqual(c.Outputs, wantOutputs) {
		t.Errorf("Outputs = %+v\nwant %+v", c.Outputs, wantOutputs)
	}
}

func TestBaseURLFollowsListen(t *testing.T) {
	tests := []struct{ listen, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{":9000", "http://127.0.0.1:9000/"},
		{"0.0.0.0:80", "http://127.0.0.1:80/"},
		{"[::]:8080", "http://127.0.0.1:8080/"},
		{"[::1]:8080", "http://[::1]:8080/"},
		{"news.local:8081", "http://news.local:8081/"},
	}
	for _, tc := range tests {
		t.Run(tc.listen, func(t *testing.T) {
			c := mustParse(t, "listen: \""+tc.listen+"\"\n"+src)
			if c.BaseURL != tc.want {
				t.Errorf("BaseURL = %q, want %q", c.BaseURL, tc.want)
			}
		})
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1", 1},
		{"1048576", 1 << 20},
		{"100B", 100},
		{"1KB", 1000},
		{"10MB", 10_000_000},
		{"1GB", 1_000_000_000},
		{"512KiB", 512 << 10},
		{"2MiB", 2 << 20},
		{"1GiB", 1 << 30},
		{"10mb", 10_000_000},
		{"64 kib", 64 << 10},
		{`"10 MB"`, 10_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			c := mustParse(t, "fetch:\n  max_body: "+tc.in+"\n"+src)
			if c.Fetch.MaxBody != tc.want {
				t.Errorf("max_body %s = %d, want %d", tc.in, c.Fetch.MaxBody, tc.want)
			}
		})
	}
}

func TestManyProblemsAllReported(t *testing.T) {
	in := `titel: World Desk
log_level: loud
fetch:
  schedule: "*/61 * * * *"
  timeout: -1s
  colour: blue
tags:
  rules:
    - tag: security
      any: bomb
      when: always
sources:
  - name: Bad Name
    url: /relative.xml
    schedule: "@daily"
  - name: ok
    url: https://example.org/rss
    extra: 1
outputs:
  - name: all
    sources: [missing]
    limit: abc
    filter: x
`
	_, err := config.Parse("config.yaml", []byte(in))
	var errs config.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want config.Errors, got %T: %v", err, err)
	}
	want := []string{
		"config.yaml:1: titel: unknown key",
		"config.yaml:2: log_level: ",
		"config.yaml:4: fetch.schedule: invalid cron spec",
		"config.yaml:5: fetch.timeout: must not be negative",
		"config.yaml:6: fetch.colour: unknown key",
		"config.yaml:10: tags.rules[0].any: expected a list",
		"config.yaml:11: tags.rules[0].when: unknown key",
		"config.yaml:13: sources[0].name: invalid name",
		"config.yaml:14: sources[0].url: ",
		"config.yaml:18: sources[1].extra: unknown key",
		"config.yaml:20: outputs[0].name: ",
		"config.yaml:21: outputs[0].sources[0]: unknown source \"missing\"",
		"config.yaml:22: outputs[0].limit: expected an integer",
		"config.yaml:23: outputs[0].filter: unknown key",
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if got := errs[i].Error(); !strings.HasPrefix(got, w) {
			t.Errorf("problem %d = %q, want prefix %q", i, got, w)
		}
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(want) {
		t.Errorf("Error() has %d lines, want one per problem", len(lines))
	}
	// Each problem is also reachable on its own through errors.As.
	var one *config.Error
	if !errors.As(err, &one) || one.Line != 1 || one.Field != "titel" || one.File != "config.yaml" {
		t.Errorf("errors.As(*Error) = %+v", one)
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		err  config.Error
		want string
	}{
		{config.Error{File: "c.yaml", Line: 14, Field: "sources[2].schedule", Msg: "bad"}, "c.yaml:14: sources[2].schedule: bad"},
		{config.Error{File: "c.yaml", Line: 3, Msg: "invalid YAML: x"}, "c.yaml:3: invalid YAML: x"},
		{config.Error{File: "c.yaml", Msg: "invalid YAML: x"}, "c.yaml: invalid YAML: x"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feedloom.yaml")
	if err := os.WriteFile(path, []byte("log_level: loud\n"+src), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := config.Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+":1: log_level: ") {
		t.Errorf("Load error = %v, want it to name %s:1", err, path)
	}
	_, err = config.Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file = %v, want os.ErrNotExist", err)
	}
}

func TestUserAgentFor(t *testing.T) {
	c := mustParse(t, "base_url: https://news.example.org\n"+src)
	if got, want := c.UserAgentFor("1.2.3"), "feedloom/1.2.3 (+https://news.example.org/)"; got != want {
		t.Errorf("UserAgentFor = %q, want %q", got, want)
	}
	c = mustParse(t, "fetch: {user_agent: MyBot}\n"+src)
	if got := c.UserAgentFor("1.2.3"); got != "MyBot" {
		t.Errorf("UserAgentFor = %q, want the configured agent unchanged", got)
	}
}

func TestLookups(t *testing.T) {
	c := mustParse(t, src+"  - name: b\n    url: https://example.org/b\noutputs:\n  - name: o\n    title: O\n")
	if s, ok := c.Source("b"); !ok || s.URL != "https://example.org/b" {
		t.Errorf("Source(b) = %+v, %v", s, ok)
	}
	if _, ok := c.Source("nope"); ok {
		t.Error("Source(nope) found")
	}
	if o, ok := c.Output("o"); !ok || o.Title != "O" || o.Limit != 50 {
		t.Errorf("Output(o) = %+v, %v", o, ok)
	}
	if _, ok := c.Output("all"); ok {
		t.Error(`Output("all") found; the built-in feed is not a configured output`)
	}
}

// TestSpecExample parses the config.yaml example of SPEC.md: the documented
// example must stay valid.
func TestSpecExample(t *testing.T) {
	spec := filepath.Join(repoRoot(t), "..", "shared", "SPEC.md")
	data, err := os.ReadFile(spec)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s is absent; skipping the SPEC.md example check", spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## config.yaml.*?```yaml\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Skip("SPEC.md has no config.yaml example")
	}
	c, err := config.Parse("SPEC.md", m[1])
	if err != nil {
		t.Fatalf("the SPEC.md example is invalid:\n%v", err)
	}
	if !slices.ContainsFunc(c.Outputs, func(o feeds.Output) bool { return o.Name == "middle-east" }) {
		t.Errorf("outputs = %+v", c.Outputs)
	}
}

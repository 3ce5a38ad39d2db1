package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The tests of this file are issue 19's "first hour of a new user": what an
// admin meets running the commands for the first time.

// TestMaintenanceNeedsDatabase: only serve and fetch create a database;
// every other command run where there is none fails, names the absolute
// path it looked at with a hint, and leaves no file behind.
func TestMaintenanceNeedsDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "feedloom.db")
	cfg := writeConfig(t, dir, baseConfig(dir, "http://127.0.0.1:1", ""))
	cases := []struct {
		name string
		args []string
	}{
		{"stats", []string{"stats"}},
		{"related", []string{"related", "1"}},
		{"backup", []string{"backup", filepath.Join(dir, "copy.db")}},
		{"prune", []string{"prune"}},
		{"retag", []string{"retag", "-n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, out, errw := testEnv()
			got := run(context.Background(), e, append(tc.args, "-config", cfg))
			if got != exitFailure {
				t.Errorf("status %d, want %d\nstdout: %s\nstderr: %s", got, exitFailure, out, errw)
			}
			msg := errw.String()
			for _, want := range []string{"no database at " + db, "feedloom fetch"} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr lacks %q:\n%s", want, msg)
				}
			}
			for _, f := range []string{db, filepath.Join(dir, "copy.db")} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s was created", f)
				}
			}
		})
	}
	t.Run("relative path names the working directory", func(t *testing.T) {
		work := t.TempDir()
		rel := writeConfig(t, t.TempDir(), "database: \"desk.db\"\nsources:\n  - name: a\n    url: \"http://127.0.0.1:1/a.xml\"\n")
		t.Chdir(work)
		e, _, errw := testEnv()
		if got := run(context.Background(), e, []string{"stats", "-config", rel}); got != exitFailure {
			t.Fatalf("status %d, want 1: %s", got, errw)
		}
		for _, want := range []string{filepath.Join(work, "desk.db"), `database: "desk.db" in ` + rel, "relative to the working directory " + work} {
			if !strings.Contains(errw.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, errw)
			}
		}
		if _, err := os.Stat(filepath.Join(work, "desk.db")); err == nil {
			t.Error("stats created desk.db")
		}
	})
}

// TestBackupOfEmptyStore: a backup of a database without articles says so.
func TestBackupOfEmptyStore(t *testing.T) {
	o := newOrigin(t, map[string]string{"/alpha.xml": rssDoc()})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, ""))
	ctx := context.Background()
	e, out, errw := testEnv()
	if got := run(ctx, e, []string{"fetch", "-q", "-config", cfg}); got != exitOK {
		t.Fatalf("fetch: %d\n%s\n%s", got, out, errw)
	}
	for _, tc := range []struct {
		name, doc string
		empty     bool
	}{
		{"empty", rssDoc(), true},
		{"with articles", rssDoc([3]string{"a1", "Oil pipeline attacked", "iraq"}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o.mu.Lock()
			o.docs["/alpha.xml"] = tc.doc
			o.mu.Unlock()
			e, out, errw := testEnv()
			if got := run(ctx, e, []string{"fetch", "-q", "-force", "-config", cfg}); got != exitOK {
				t.Fatalf("fetch: %d\n%s\n%s", got, out, errw)
			}
			e, out, errw = testEnv()
			dest := filepath.Join(t.TempDir(), "copy.db")
			if got := run(ctx, e, []string{"backup", "-config", cfg, dest}); got != exitOK {
				t.Fatalf("backup: %d %s", got, errw)
			}
			if !strings.Contains(out.String(), "backup written to "+dest) {
				t.Errorf("stdout: %s", out)
			}
			if said := strings.Contains(errw.String(), "has no articles"); said != tc.empty {
				t.Errorf("stderr says the store is empty: %v, want %v:\n%s", said, tc.empty, errw)
			}
		})
	}
}

// TestFetchStaysFailing: a source that failed stays failing (in the table
// and the exit status) while it backs off, until an attempt succeeds; -q
// prints no log lines.
func TestFetchStaysFailing(t *testing.T) {
	o := newDeskOrigin(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, fmt.Sprintf("  - name: broken\n    url: %q\n", o.srv.URL+"/broken.xml")))
	ctx := context.Background()
	steps := []struct {
		name   string
		args   []string
		fix    bool // the origin serves /broken.xml from this step on
		status int
		row    string // the start of broken's row in the table
		quiet  bool
	}{
		{"first failure", []string{"fetch"}, false, exitFailure, "broken 404", false},
		{"backing off is still failing", []string{"fetch", "-q"}, false, exitFailure, "broken failing (404)", true},
		{"again", []string{"fetch", "-q"}, false, exitFailure, "broken failing (404)", true},
		{"fixed, retried with -force", []string{"fetch", "-q", "-force"}, true, exitOK, "broken 200", true},
		{"ok afterwards", []string{"fetch", "-q"}, true, exitOK, "broken", true},
	}
	for _, st := range steps {
		if st.fix {
			o.mu.Lock()
			o.docs["/broken.xml"] = rssDoc([3]string{"x1", "Mended at last", ""})
			o.mu.Unlock()
		}
		e, out, errw := testEnv()
		got := run(ctx, e, append(st.args, "-config", cfg))
		if got != st.status {
			t.Errorf("%s: status %d, want %d\n%s\n%s", st.name, got, st.status, out, errw)
		}
		var row string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.HasPrefix(l, "broken ") {
				row = strings.Join(strings.Fields(l), " ")
			}
		}
		if !strings.HasPrefix(row, st.row) {
			t.Errorf("%s: broken's row is %q, want it to start with %q\n%s", st.name, row, st.row, out)
		}
		if st.status == exitFailure && !strings.Contains(row, "404") {
			t.Errorf("%s: the row does not say what is wrong: %q", st.name, row)
		}
		logged := strings.Contains(errw.String(), "level=WARN") || strings.Contains(errw.String(), "[1/")
		if logged == st.quiet {
			t.Errorf("%s: log or progress lines on stderr: %v, want %v:\n%s", st.name, logged, !st.quiet, errw)
		}
	}
}

// TestHelpOnStdout: `CMD -h` and `help CMD` print the same help on stdout
// and exit 0; a wrong flag is an error on stderr.
func TestHelpOnStdout(t *testing.T) {
	for _, c := range commands() {
		if c.name == "help" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			e, out, errw := testEnv()
			if got := run(context.Background(), e, []string{c.name, "-h"}); got != exitOK {
				t.Errorf("%s -h: status %d", c.name, got)
			}
			if errw.String() != "" || !strings.Contains(out.String(), "Usage: feedloom "+c.name) || !strings.Contains(out.String(), "-config") {
				t.Errorf("%s -h: stdout %q, stderr %q", c.name, out, errw)
			}
			e2, out2, _ := testEnv()
			if got := run(context.Background(), e2, []string{"help", c.name}); got != exitOK || out2.String() != out.String() {
				t.Errorf("help %s: status %d, output differs from -h:\n%s\n---\n%s", c.name, got, out2, out)
			}
			e3, out3, errw3 := testEnv()
			if got := run(context.Background(), e3, []string{c.name, "-bogus"}); got != exitUsage || out3.String() != "" ||
				!strings.Contains(errw3.String(), "feedloom "+c.name+" -h") {
				t.Errorf("%s -bogus: status %d, stdout %q, stderr %q", c.name, got, out3, errw3)
			}
		})
	}
}

// repeated returns the first context of msg ("a: b: c") that repeats the
// one before it, or begins with the word the one before it ends with
// ("feedloom backup: backup: ..."), else "".
func repeated(msg string) string {
	parts := strings.Split(msg, ": ")
	for i := 1; i < len(parts); i++ {
		prev := strings.Fields(parts[i-1])
		cur := strings.Fields(parts[i])
		if len(prev) > 0 && len(cur) > 0 && (parts[i] == parts[i-1] || cur[0] == prev[len(prev)-1]) {
			return parts[i-1] + ": " + parts[i]
		}
	}
	return ""
}

// TestMessagesSayThingsOnce: error messages carry each context once.
func TestMessagesSayThingsOnce(t *testing.T) {
	o := newDeskOrigin(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, ""))
	ctx := context.Background()
	if e, out, errw := testEnv(); run(ctx, e, []string{"fetch", "-q", "-config", cfg}) != exitOK {
		t.Fatalf("fetch:\n%s\n%s", out, errw)
	}
	existing := filepath.Join(dir, "exists.db")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	notDB := filepath.Join(dir, "garbage.yaml")
	if err := os.WriteFile(notDB, []byte(strings.Replace(baseConfig(dir, o.srv.URL, ""), filepath.Join(dir, "feedloom.db"), existing+"x", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(existing+"x", []byte("not a database, not at all, not even close to one.................................................................."), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown article", []string{"related", "-config", cfg, "999999"}, "article 999999"},
		{"backup over a file", []string{"backup", "-config", cfg, existing}, existing},
		{"not a database", []string{"stats", "-config", notDB}, existing + "x"},
		{"no opml file", []string{"opml", "-config", cfg, "import", filepath.Join(dir, "none.opml")}, "none.opml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, errw := testEnv()
			if got := run(ctx, e, tc.args); got != exitFailure {
				t.Errorf("status %d, want 1: %s", got, errw)
			}
			msg := strings.TrimSpace(errw.String())
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message lacks %q: %s", tc.want, msg)
			}
			if r := repeated(msg); r != "" {
				t.Errorf("message repeats itself (%q): %s", r, msg)
			}
		})
	}
}

// TestOPMLImportReportsSkipped: what an OPML file holds that the printed
// sources do not is listed on stderr; stdout stays pasteable YAML.
func TestOPMLImportReportsSkipped(t *testing.T) {
	dir := t.TempDir()
	opml := filepath.Join(dir, "subs.opml")
	doc := `<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="News">
  <outline text="Alpha" type="rss" xmlUrl="https://a.example/feed.xml"/>
  <outline text="Alpha again" type="rss" xmlUrl="https://a.example/feed.xml"/>
  <outline text="Just a website" htmlUrl="https://site.example/"/>
</outline>
<outline text="Beta" type="rss" xmlUrl="https://b.example/rss"/>
</body></opml>`
	if err := os.WriteFile(opml, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	e, out, errw := testEnv()
	if got := run(context.Background(), e, []string{"opml", "import", opml}); got != exitOK {
		t.Fatalf("status %d: %s", got, errw)
	}
	for _, want := range []string{
		`skipped "Alpha again" (https://a.example/feed.xml): duplicate of alpha`,
		`skipped "Just a website" (https://site.example/): no feed URL (xmlUrl)`,
		"2 outline(s) skipped, 2 source(s) printed",
	} {
		if !strings.Contains(errw.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errw)
		}
	}
	if strings.Contains(out.String(), "skipped") || !strings.Contains(out.String(), "https://b.example/rss") {
		t.Errorf("stdout:\n%s", out)
	}
}

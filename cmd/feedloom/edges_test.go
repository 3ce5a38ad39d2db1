package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/storage/storagetest"
)

// startServe runs `serve` on cfg until the returned stop is called; it
// fails the test when serve exits before it is ready.
func startServe(t *testing.T, cfg string) (base string, logs *logWatch, stop func() int) {
	t.Helper()
	e, _, logs := testEnv()
	e.signals = make(chan os.Signal, 1)
	addrc := make(chan string, 1)
	e.ready = func(addr string) { addrc <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "-config", cfg}) }()
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case st := <-done:
		cancel()
		t.Fatalf("serve exited with %d:\n%s", st, logs)
	}
	return base, logs, func() int { cancel(); return <-done }
}

// A second daemon on the same database is refused with a clear error while
// the first serves; once the first has stopped, a new one starts.
func TestSecondServeRefused(t *testing.T) {
	o := newDeskOrigin(t)
	dir := t.TempDir()
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, ""))
	_, _, stop := startServe(t, cfg)

	e, _, logs := testEnv()
	if got := run(context.Background(), e, []string{"serve", "-config", cfg}); got != exitFailure {
		t.Errorf("second serve: status %d, want 1", got)
	}
	if msg := logs.String(); !strings.Contains(msg, "already served by another feedloom (pid ") ||
		!strings.Contains(msg, "feedloom.db.lock") || !strings.Contains(msg, "PostgreSQL") {
		t.Errorf("second serve's error does not explain itself:\n%s", msg)
	}
	if st := stop(); st != exitOK {
		t.Fatalf("first serve: status %d", st)
	}
	_, _, stop = startServe(t, cfg)
	if st := stop(); st != exitOK {
		t.Fatalf("serve after the first stopped: status %d", st)
	}
}

// `check -db` checks the database read-only: ok on a sound store, exit 1
// saying "malformed" on a damaged one; stats still reads a damaged one's
// header, and serve starts on it but /healthz answers 503 with the reason
// and the fault metric says corrupt.
func TestCorruptDatabaseIsVisible(t *testing.T) {
	// Long bodies, so that the damage in the middle of the file falls on
	// article rows, as in a real store, rather than on every index.
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Origin</title><link>https://origin.example/</link><description>d</description>`)
	for i := range 300 {
		fmt.Fprintf(&doc, `<item><guid>g%d</guid><title>Story number %d of the day</title><link>https://origin.example/%d</link><description>%s</description><pubDate>%s</pubDate></item>`,
			i, i, i, strings.Repeat(fmt.Sprintf("Paragraph of story %d. ", i), 150), time.Now().Add(-time.Duration(i+1)*time.Minute).UTC().Format(time.RFC1123Z))
	}
	doc.WriteString(`</channel></rss>`)
	o := newOrigin(t, map[string]string{"/alpha.xml": doc.String()})
	dir := t.TempDir()
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, ""))
	ctx := context.Background()
	e, out, errw := testEnv()
	if got := run(ctx, e, []string{"fetch", "-config", cfg}); got != exitOK {
		t.Fatalf("fetch: %d\n%s\n%s", got, out, errw)
	}
	e, out, errw = testEnv()
	if got := run(ctx, e, []string{"check", "-db", "-config", cfg}); got != exitOK || !strings.Contains(out.String(), "feedloom.db: ok") {
		t.Fatalf("check -db of a sound store: %d\n%s\n%s", got, out, errw)
	}
	db := filepath.Join(dir, "feedloom.db")
	storagetest.DamageMiddle(t, db)
	e, out, errw = testEnv()
	if got := run(ctx, e, []string{"check", "-db", "-config", cfg}); got != exitFailure || !strings.Contains(errw.String(), "malformed") {
		t.Fatalf("check -db of a damaged store: %d, want 1 saying malformed\n%s\n%s", got, out, errw)
	}

	base, logs, stop := startServe(t, cfg)
	defer stop()
	if !strings.Contains(logs.String(), "database is damaged") {
		t.Errorf("serve did not log the damage found at start:\n%s", logs)
	}
	code, body := get(t, base+"/healthz")
	if code != 503 || !strings.Contains(body, "malformed") {
		t.Errorf("/healthz of a damaged store: %d %q, want 503 saying malformed", code, body)
	}
	if _, m := get(t, base+"/metrics"); !strings.Contains(m, `feedloom_database_fault{kind="corrupt"} 1`) {
		t.Errorf("/metrics lacks the corrupt fault:\n%.2000s", m)
	}
}

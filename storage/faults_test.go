package storage_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
	"github.com/feedloom/feedloom/storage/storagetest"
)

// bulk is n articles with bodies of a few KB, to give a store some pages.
func bulk(prefix string, n int) []feeds.Article {
	arts := make([]feeds.Article, n)
	for i := range arts {
		key := fmt.Sprintf("%s-%d", prefix, i)
		a := art(key, "https://x.example/"+key, "Story "+key, t0.Add(-time.Duration(i)*time.Minute), "h"+key, "world")
		a.Content = "<p>" + strings.Repeat("A paragraph of the story "+key+". ", 60) + "</p>"
		arts[i] = a
	}
	return arts
}

// A full disk is a local fault: the write fails with ErrDiskFull (also a
// feeds.ErrStoreFault, which the scheduler branches on), Ping reports it
// for /healthz until a write succeeds again, and nothing is half stored.
func TestDiskFullIsAStoreFault(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	ingest(t, db, "a", t0, bulk("a", 5)...)
	if err := storage.SetMaxPageCount(db, 1); err != nil { // clamps to the current size
		t.Fatal(err)
	}
	_, err := db.Ingest(ctx, "a", feeds.SourceState{Name: "a", URL: "https://a.example/feed"}, bulk("b", 50), t0)
	switch {
	case err == nil:
		t.Fatal("Ingest on a full disk succeeded")
	case !errors.Is(err, storage.ErrDiskFull) || !errors.Is(err, feeds.ErrStoreFault):
		t.Fatalf("Ingest error %v is not ErrDiskFull and ErrStoreFault", err)
	case !strings.Contains(err.Error(), "disk full"):
		t.Errorf("error %q does not say disk full", err)
	}
	perr := db.Ping(ctx)
	if !errors.Is(perr, storage.ErrDiskFull) || !strings.Contains(perr.Error(), "disk full") {
		t.Errorf("Ping on a full disk = %v, want the disk-full fault", perr)
	}
	if !errors.Is(db.Fault(), storage.ErrDiskFull) {
		t.Errorf("Fault = %v", db.Fault())
	}
	if n := len(allArticles(t, db)); n != 5 {
		t.Errorf("%d articles after the failed write, want the 5 stored before", n)
	}
	// Space is freed: the next write succeeds and clears the fault.
	if err := storage.SetMaxPageCount(db, 1<<30); err != nil {
		t.Fatal(err)
	}
	ingest(t, db, "a", t0, bulk("b", 50)...)
	if err := db.Ping(ctx); err != nil || db.Fault() != nil {
		t.Errorf("after a successful write: Ping = %v, Fault = %v; want both nil", err, db.Fault())
	}
}

// OpenReadOnly reads a store without writing anything (stats on a full
// disk), and its writes fail saying "read-only", classified as such.
func TestReadOnlyOpen(t *testing.T) {
	db, path := openDB(t)
	ctx := context.Background()
	ingest(t, db, "a", t0, bulk("a", 3)...)
	ro, err := storage.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer func() {
		if err := ro.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	st, err := ro.Stats(ctx)
	if err != nil || st.Articles != 3 {
		t.Fatalf("Stats = %+v, %v; want 3 articles", st, err)
	}
	err = ro.SaveFetchState(ctx, feeds.SourceState{Name: "a", URL: "https://a.example/feed", LastStatus: 200})
	if !errors.Is(err, storage.ErrReadOnly) || !errors.Is(err, feeds.ErrStoreFault) || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a write through a read-only store = %v, want ErrReadOnly saying read-only", err)
	}
	if _, err := storage.OpenReadOnly(ctx, filepath.Join(t.TempDir(), "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReadOnly of a missing file = %v, want not-exist (and no file created)", err)
	}
}

// 64 KB overwritten in the middle of the file: QuickCheck says malformed
// (ErrCorrupt), and from then on Ping does too, as does a read that meets
// the damage.
func TestCorruptionIsVisible(t *testing.T) {
	path := filepath.Join(t.TempDir(), "feedloom.db")
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		ingest(t, db, "a", t0, bulk(fmt.Sprintf("p%d", i), 40)...)
	}
	if err := db.QuickCheck(ctx); err != nil {
		t.Fatalf("QuickCheck of a sound store: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	storagetest.DamageMiddle(t, path)

	db, err = storage.Open(ctx, path)
	if err != nil {
		if !errors.Is(err, storage.ErrCorrupt) {
			t.Fatalf("Open of a damaged store = %v, want ErrCorrupt if it fails", err)
		}
		return
	}
	defer db.Close()
	// A read over every article meets the damage: from then on the store
	// reports it, before any check.
	err = db.EachArticle(ctx, func(feeds.Article) error { return nil })
	if !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("reading every article of a damaged store = %v, want ErrCorrupt", err)
	}
	if err := db.Ping(ctx); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("Ping after a read met the damage = %v, want the corruption", err)
	}
	err = db.QuickCheck(ctx)
	if !errors.Is(err, storage.ErrCorrupt) || !errors.Is(err, feeds.ErrStoreFault) || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("QuickCheck of a damaged store = %v, want ErrCorrupt saying malformed", err)
	}
	if err := db.Ping(ctx); !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "malformed") {
		t.Errorf("Ping after the check = %v, want the corruption", err)
	}
	// Corruption stays reported: a successful write does not clear it.
	_ = db.SaveFetchState(ctx, feeds.SourceState{Name: "a", URL: "https://a.example/feed"})
	if !errors.Is(db.Fault(), storage.ErrCorrupt) {
		t.Errorf("Fault after a write = %v, want the corruption still", db.Fault())
	}
}

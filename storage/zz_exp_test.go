package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/storage"
)

func TestZZFrames(t *testing.T) {
	drops := strings.Split(os.Getenv("DROPS"), ",")
	path := filepath.Join("/dev/shm", fmt.Sprint("exp", time.Now().UnixNano(), ".db"))
	defer os.Remove(path)
	defer os.Remove(path + "-wal")
	defer os.Remove(path + "-shm")
	ctx := context.Background()
	db, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, _ := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=wal_autocheckpoint(0)")
	defer raw.Close()
	for _, d := range drops {
		if d != "" {
			if _, err := raw.Exec(d); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	for f := 0; f < 600; f++ {
		if f == 500 {
			raw.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			start = time.Now()
		}
		if _, err := db.Ingest(ctx, fmt.Sprint("src-", f%100), feeds.SourceState{}, bulkFeed(f, 50, 2048), t0); err != nil {
			t.Fatal(err)
		}
	}
	el := time.Since(start)
	fi, _ := os.Stat(path + "-wal")
	t.Logf("%v: 100 feeds: wal %d KB = %.0f pages/feed, %v/feed", drops, fi.Size()/1024, float64(fi.Size())/4120/100, el/100)
}

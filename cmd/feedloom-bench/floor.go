package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"
	_ "modernc.org/sqlite" // the same driver feedloom uses
)

// The floor is what ingest costs without feedloom's work: (a) download and
// parse with gofeed, with the same number of fetches in flight; (b) the same
// plus inserting every item into a plain SQLite table (WAL, one transaction
// per feed, writes serialised on one connection as SQLite allows one
// writer). No normalising, sanitising, dedupe across feeds, tagging or
// related posts: feedloom / floor is the price of those.

// floorSchema is the plain table of floor (b): one row per item, unique
// per feed and guid so that a re-fetch would not duplicate.
const floorSchema = `CREATE TABLE articles (
	id INTEGER PRIMARY KEY,
	feed TEXT NOT NULL,
	guid TEXT NOT NULL,
	link TEXT,
	title TEXT,
	published INTEGER,
	author TEXT,
	categories TEXT,
	summary TEXT,
	content TEXT,
	UNIQUE (feed, guid)
)`

// runFloor is the child side of floor (a) and (b).
func runFloor(ctx context.Context, job childJob) (ingestResult, error) {
	var db *sql.DB
	if job.Kind == jobFloorSQLite {
		var err error
		dsn := "file:" + filepath.Join(job.Dir, "floor.db") + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)"
		if db, err = sql.Open("sqlite", dsn); err != nil {
			return ingestResult{}, fmt.Errorf("open floor db: %w", err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		if _, err := db.ExecContext(ctx, floorSchema); err != nil {
			return ingestResult{}, fmt.Errorf("floor schema: %w", err)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second,
	}}
	var (
		mu  sync.Mutex
		res passResult
	)
	urls := make(chan string)
	wall, cpu, peak, err := measure(job.CPUProfile, func() error {
		var wg sync.WaitGroup
		for range max(1, job.Concurrency) {
			wg.Go(func() {
				parser := gofeed.NewParser()
				for u := range urls {
					n, status, err := floorOne(ctx, client, parser, db, u)
					mu.Lock()
					res.Fetches++
					res.Items += n
					if status == http.StatusOK {
						res.Status200++
					}
					if err != nil {
						res.Errors++
						if res.FirstError == "" {
							res.FirstError = err.Error()
						}
					}
					mu.Unlock()
				}
			})
		}
		for _, u := range job.URLs {
			urls <- u
		}
		close(urls)
		wg.Wait()
		return nil
	})
	if err != nil {
		return ingestResult{}, err
	}
	res.WallSeconds, res.CPUSeconds, res.PeakRSSBytes = wall.Seconds(), cpu.Seconds(), peak
	out := ingestResult{Cold: res}
	if db != nil {
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM articles").Scan(&out.Articles); err != nil {
			return out, fmt.Errorf("count rows: %w", err)
		}
		out.Carriages = out.Articles
	}
	return out, nil
}

// floorOne downloads and parses one feed, and inserts its items when db is
// not nil. It returns the items parsed and the HTTP status.
func floorOne(ctx context.Context, client *http.Client, parser *gofeed.Parser, db *sql.DB, url string) (int, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, resp.StatusCode, fmt.Errorf("%s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, resp.StatusCode, fmt.Errorf("%s: status %d", url, resp.StatusCode)
	}
	feed, err := parser.Parse(bytes.NewReader(body))
	if err != nil {
		return 0, resp.StatusCode, fmt.Errorf("%s: parse: %w", url, err)
	}
	if db == nil {
		return len(feed.Items), resp.StatusCode, nil
	}
	if err := floorInsert(ctx, db, url, feed.Items); err != nil {
		return 0, resp.StatusCode, fmt.Errorf("%s: %w", url, err)
	}
	return len(feed.Items), resp.StatusCode, nil
}

// floorInsert stores one feed's items in one transaction.
func floorInsert(ctx context.Context, db *sql.DB, feedURL string, items []*gofeed.Item) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback() // the error that made us roll back is the one to report
		}
	}()
	st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO articles
		(feed, guid, link, title, published, author, categories, summary, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer st.Close()
	for _, it := range items {
		guid := it.GUID
		if guid == "" {
			guid = it.Link
		}
		var pub int64
		if it.PublishedParsed != nil {
			pub = it.PublishedParsed.UnixMilli()
		}
		var author string
		if it.Author != nil {
			author = it.Author.Name
		}
		if _, err := st.ExecContext(ctx, feedURL, guid, it.Link, it.Title, pub, author,
			strings.Join(it.Categories, ","), it.Description, it.Content); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

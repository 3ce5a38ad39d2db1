package storage_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// bulkFeed returns n articles of feed f with about size bytes of HTML each,
// deterministic. Tags as feeds have them: two the source gives every item
// ("world" and one of 20 regions) and 2-4 categories drawn Zipf-like from a
// pool of 2,000.
func bulkFeed(f, n, size int) []feeds.Article {
	rng := rand.New(rand.NewPCG(uint64(f), 7))
	zipf := rand.NewZipf(rng, 1.1, 4, 1999)
	words := []string{"government", "attack", "oil", "election", "minister", "border", "talks", "market", "storm", "court"}
	arts := make([]feeds.Article, n)
	for i := range arts {
		var b strings.Builder
		for b.Len() < size {
			b.WriteString("<p>")
			for range 12 {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteByte(' ')
			}
			b.WriteString("</p>")
		}
		k := fmt.Sprintf("f%d-item-%d", f, i)
		tags := []string{"world", fmt.Sprintf("region-%d", f%20)}
		for range 2 + rng.IntN(3) {
			tags = append(tags, fmt.Sprintf("tag-%d", zipf.Uint64()))
		}
		title := fmt.Sprintf("%s %s %s report %d %d", words[rng.IntN(10)], words[rng.IntN(10)], words[rng.IntN(10)], f, i)
		arts[i] = art(k, "https://bench.example/"+k, title, t0.Add(-time.Duration(rng.IntN(1000))*time.Minute), fmt.Sprint("h", f, i), tags...)
		arts[i].Content = b.String()
	}
	return arts
}

// BenchmarkIngest stores one fetched feed of 50 ~2 KB articles per
// iteration into a growing database.
//
//	go test -run '^$' -bench 'Ingest' -benchtime 1000x ./storage/
func BenchmarkIngest(b *testing.B) {
	db, _ := openDB(b)
	ctx := context.Background()
	f := 0
	for b.Loop() {
		arts := bulkFeed(f, 50, 2048)
		if _, err := db.Ingest(ctx, fmt.Sprint("src-", f%100), feeds.SourceState{}, arts, t0); err != nil {
			b.Fatal(err)
		}
		f++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*50), "µs/article")
}

// BenchmarkIngestFloor is the naive floor for BenchmarkIngest: the same
// rows inserted into one plain table, one transaction per feed, same pragmas.
func BenchmarkIngestFloor(b *testing.B) {
	path := filepath.Join(b.TempDir(), "floor.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, source TEXT, guid TEXT, link TEXT,
		title TEXT, summary TEXT, content TEXT, author TEXT, published INTEGER, tags TEXT)`); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	f := 0
	for b.Loop() {
		arts := bulkFeed(f, 50, 2048)
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range arts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO items (source, guid, link, title, summary, content, author, published, tags)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprint("src-", f%100), a.GUID, a.Link, a.Title, a.Summary, a.Content,
				a.Author, a.Published.Unix(), strings.Join(a.Tags, ",")); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		f++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*50), "µs/article")
}

// BenchmarkRelatedRead reads one stored related list with its titles,
// links and shared tags, as /articles/{id} does, from a store of 20,000
// articles (400 feeds × 50) each with a list of 5. The query is one indexed
// lookup, so its cost grows with log N only.
//
//	go test -run '^$' -bench 'RelatedRead' ./storage/
func BenchmarkRelatedRead(b *testing.B) {
	db, _ := openDB(b)
	ctx := context.Background()
	const nFeeds, perFeed = 400, 50
	for f := range nFeeds {
		if _, err := db.Ingest(ctx, fmt.Sprint("src-", f%100), feeds.SourceState{}, bulkFeed(f, perFeed, 512), t0); err != nil {
			b.Fatal(err)
		}
	}
	n := int64(nFeeds * perFeed)
	lists := make(map[int64][]feeds.RelatedPost, 1000)
	for id := int64(1); id <= n; id++ {
		var l []feeds.RelatedPost
		for k := int64(1); k <= 5; k++ {
			l = append(l, feeds.RelatedPost{ArticleID: (id+k*97)%n + 1, Score: 1 / float64(k)})
		}
		lists[id] = l
		if len(lists) == 1000 || id == n {
			if err := db.SaveRelated(ctx, lists); err != nil {
				b.Fatal(err)
			}
			clear(lists)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		posts, err := db.Related(ctx, rng.Int64N(n)+1)
		if err != nil || len(posts) != 5 {
			b.Fatalf("related: %d posts, %v", len(posts), err)
		}
	}
}

package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/feedloom/feedloom/feeds/dedupe"
)

// Carried is one item an article holds: what one source sent and the
// dedupe rule that joined it to the article (`feedloom explain`, export).
type Carried struct {
	Source    string    `json:"source"`
	GUID      string    `json:"guid"`
	Link      string    `json:"link"`
	Title     string    `json:"title"`
	Published time.Time `json:"published"`
	Rule      string    `json:"rule"` // a dedupe.Rule's name; "unknown" for items stored before rules were kept
}

// carriedSQL reads carriages with their item. The creator's item is the
// article's own (Ingest does not write it twice; a merge copies it into
// the carriage); rows stored before migration 0009 kept no item either.
const carriedSQL = `SELECT c.article_id, s.name,
	CASE WHEN c.creator = 1 THEN a.guid ELSE c.guid END,
	CASE WHEN c.creator = 1 THEN a.link ELSE c.link END,
	CASE WHEN c.creator = 1 THEN a.title ELSE c.title END,
	c.published, c.rule, c.creator
	FROM carriages c JOIN sources s ON s.id = c.source_id JOIN articles a ON a.id = c.article_id
	WHERE c.article_id IN `

// CarriedFor returns the items each of ids holds, first carrier first;
// ids without an article are absent.
func (db *DB) CarriedFor(ctx context.Context, ids []int64) (map[int64][]Carried, error) {
	out := make(map[int64][]Carried)
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		return chunks(ids, func(part []int64) (err error) {
			args := make([]any, len(part))
			for i, id := range part {
				args[i] = id
			}
			rows, err := tx.QueryContext(ctx, carriedSQL+`(`+placeholders(len(part))+`)
				ORDER BY c.article_id, c.creator DESC, c.first_seen, s.id`, args...)
			if err != nil {
				return err
			}
			defer closeRows(rows, &err)
			for rows.Next() {
				var id, published int64
				var c Carried
				var creator bool
				if err := rows.Scan(&id, &c.Source, &c.GUID, &c.Link, &c.Title, &published, &c.Rule, &creator); err != nil {
					return err
				}
				c.Published = fromMS(published)
				if c.Rule == "" {
					c.Rule = "unknown"
					if creator {
						c.Rule = dedupe.RuleNew.String()
					}
				}
				out[id] = append(out[id], c)
			}
			return rows.Err()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("carried items: %w", err)
	}
	return out, nil
}

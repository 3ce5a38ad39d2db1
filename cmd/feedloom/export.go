package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

// exported is one article as `feedloom export -json` writes it, one JSON
// object a line: a stable interface for scripts (fields are only added).
type exported struct {
	ID        int64             `json:"id"`
	Title     string            `json:"title"`
	Link      string            `json:"link"`
	Published time.Time         `json:"published"`
	Items     []storage.Carried `json:"items"`
	Related   []exportedRelated `json:"related"`
}

// exportedRelated is one entry of an article's related list.
type exportedRelated struct {
	ID    int64   `json:"id"`
	Score float64 `json:"score"`
}

// exportBatch is how many articles are read before their items and lists.
const exportBatch = 500

// runExport writes every article with its carried items and related list.
func runExport(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	asJSON := fs.Bool("json", false, "one JSON object per article and line (JSON Lines)")
	if ok, st := c.noArgs(e, fs, args); !ok {
		return st
	}
	return withStore(ctx, e, c, *cfgPath, false, func(_ *config.Config, db *storage.DB) int {
		var batch []exported
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			ids := make([]int64, len(batch))
			for i, x := range batch {
				ids[i] = x.ID
			}
			carried, err := db.CarriedFor(ctx, ids)
			if err != nil {
				return err
			}
			related, err := db.RelatedFor(ctx, ids)
			if err != nil {
				return err
			}
			for i := range batch {
				x := &batch[i]
				x.Items = carried[x.ID]
				x.Related = []exportedRelated{}
				for _, r := range related[x.ID] {
					x.Related = append(x.Related, exportedRelated{ID: r.ArticleID, Score: r.Score})
				}
				if err := writeExported(e.stdout, x, *asJSON); err != nil {
					return err
				}
			}
			batch = batch[:0]
			return nil
		}
		err := db.EachArticle(ctx, func(a feeds.Article) error {
			batch = append(batch, exported{ID: a.ID, Title: a.Title, Link: a.Link, Published: a.Published.UTC()})
			if len(batch) < exportBatch {
				return nil
			}
			return flush()
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return fail(e, c, fmt.Errorf("export: %w", err))
		}
		return exitOK
	})
}

// writeExported writes one article as a JSON line or as a text block.
func writeExported(w io.Writer, x *exported, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(x)
	}
	if _, err := fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", x.ID, x.Published.Format(time.RFC3339), x.Title, x.Link); err != nil {
		return err
	}
	for _, it := range x.Items {
		if _, err := fmt.Fprintf(w, "\titem\t%s\t%s\t%s\t%s\t%s\n", it.Rule, it.Source, it.GUID, it.Link, it.Title); err != nil {
			return err
		}
	}
	for _, r := range x.Related {
		if _, err := fmt.Fprintf(w, "\trelated\t%d\t%.3f\n", r.ID, r.Score); err != nil {
			return err
		}
	}
	return nil
}

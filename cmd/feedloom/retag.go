package main

import (
	"context"
	"fmt"
	"slices"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/tag"
	"github.com/feedloom/feedloom/storage"
)

func runRetag(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	dry := fs.Bool("n", false, "dry run: count the articles whose tags would change, change nothing")
	if ok, st := c.noArgs(e, fs, args); !ok {
		return st
	}
	return withStore(ctx, e, c, *cfgPath, false, func(cfg *config.Config, db *storage.DB) int {
		tagger, err := tag.New(cfg.Tags.Aliases, cfg.Tags.Rules)
		if err != nil {
			return fail(e, c, err)
		}
		sourceTags := map[string][]string{}
		for _, s := range cfg.Sources {
			sourceTags[s.Name] = s.Tags
		}
		// Collect first: writing while the read cursor is open would hold
		// the read transaction across writes.
		type change struct {
			id   int64
			tags []string
		}
		var changes []change
		seen := 0
		err = db.EachArticle(ctx, func(a feeds.Article) error {
			seen++
			var st []string
			for _, name := range a.Sources {
				st = append(st, sourceTags[name]...)
			}
			tags := tagger.Tags(st, a.Categories, a)
			if !slices.Equal(tags, a.Tags) {
				changes = append(changes, change{a.ID, tags})
			}
			return nil
		})
		if err != nil {
			return fail(e, c, err)
		}
		if !*dry {
			for i, ch := range changes {
				if err := db.SetTags(ctx, ch.id, ch.tags); err != nil {
					return fail(e, c, err)
				}
				if (i+1)%1000 == 0 {
					fmt.Fprintf(e.stderr, "retagged %d/%d\n", i+1, len(changes))
				}
			}
		}
		verb := "retagged"
		if *dry {
			verb = "would retag"
		}
		fmt.Fprintf(e.stdout, "%s %d of %d articles\n", verb, len(changes), seen)
		if len(changes) > 0 && !*dry {
			fmt.Fprintln(e.stdout, "related lists of changed articles are recomputed by the next serve or fetch")
		}
		return exitOK
	})
}

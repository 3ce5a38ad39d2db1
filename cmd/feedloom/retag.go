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
		tagger, err := newTagger(cfg)
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
			id          int64
			tags, terms []string
			tagsChanged bool
			termsMoved  bool
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
			// Key terms are re-derived from the text; the feed's declared
			// language is not stored, so the language is detected.
			terms := tagger.Terms(tag.TermText{Title: a.Title, Summary: a.Summary, Content: a.Content})
			ch := change{id: a.ID, tags: tags, terms: terms,
				tagsChanged: !slices.Equal(tags, a.Tags), termsMoved: !slices.Equal(terms, a.Terms)}
			if ch.tagsChanged || ch.termsMoved {
				changes = append(changes, ch)
			}
			return nil
		})
		if err != nil {
			return fail(e, c, err)
		}
		if !*dry {
			for i, ch := range changes {
				if ch.tagsChanged {
					if err := db.SetTags(ctx, ch.id, ch.tags); err != nil {
						return fail(e, c, err)
					}
				}
				if ch.termsMoved {
					if err := db.SetTerms(ctx, ch.id, ch.terms); err != nil {
						return fail(e, c, err)
					}
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

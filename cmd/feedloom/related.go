package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

func runRelated(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	id, ok, st := c.articleArg(e, fs, args)
	if !ok {
		return st
	}
	return withStore(ctx, e, c, *cfgPath, func(_ *config.Config, db *storage.DB) int {
		a, err := db.Article(ctx, id)
		if err != nil {
			return fail(e, c, fmt.Errorf("article %d: %w", id, err))
		}
		list, err := db.Related(ctx, id)
		if err != nil {
			return fail(e, c, err)
		}
		fmt.Fprintf(e.stdout, "%d  %s\n    published %s, tags: %s\n\n", a.ID, a.Title,
			a.Published.UTC().Format("2006-01-02 15:04 MST"), strings.Join(a.Tags, ", "))
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no related posts (no other article within the window shares enough tags)")
			return exitOK
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tSCORE\tID\tPUBLISHED\tSHARED TAGS\tTITLE")
		for i, r := range list {
			fmt.Fprintf(tw, "%d\t%.3f\t%d\t%s\t%s\t%s\n", i+1, r.Score, r.ArticleID,
				r.Published.UTC().Format("2006-01-02"), strings.Join(r.Shared, ","), r.Title)
		}
		if err := tw.Flush(); err != nil {
			return fail(e, c, err)
		}
		return exitOK
	})
}

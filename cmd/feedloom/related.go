package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

func runRelated(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	if ok, st := c.parse(e, fs, args); !ok {
		return st
	}
	if fs.NArg() != 1 {
		return usageError(e, c, "want one argument, an article id")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return usageError(e, c, "article id %q is not a positive integer", fs.Arg(0))
	}
	return withStore(ctx, e, c, *cfgPath, false, func(_ *config.Config, db *storage.DB) int {
		a, err := db.Article(ctx, id)
		if err != nil {
			return fail(e, c, err) // it names the article
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

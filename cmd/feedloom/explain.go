package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

// survivingArticle reads article id, or, when dedupe merged it into
// another, says so on stdout and reads the survivor.
func survivingArticle(ctx context.Context, e *env, db *storage.DB, id int64) (feeds.Article, error) {
	a, err := db.Article(ctx, id)
	if errors.Is(err, feeds.ErrNotFound) {
		if into, merr := db.MergedInto(ctx, id); merr == nil && into != 0 {
			fmt.Fprintf(e.stdout, "article %d was merged into %d\n", id, into)
			id = into
			a, err = db.Article(ctx, id)
		}
	}
	return a, err // storage names the article
}

// runExplain prints the items an article holds and the dedupe rule that
// joined each: the answer to "why are these one article?".
func runExplain(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	id, ok, st := c.articleArg(e, fs, args)
	if !ok {
		return st
	}
	return withStore(ctx, e, c, *cfgPath, false, func(_ *config.Config, db *storage.DB) int {
		a, err := survivingArticle(ctx, e, db, id)
		if err != nil {
			return fail(e, c, err)
		}
		id = a.ID
		carried, err := db.CarriedFor(ctx, []int64{id})
		if err != nil {
			return fail(e, c, err)
		}
		fmt.Fprintf(e.stdout, "%d  %s\n    %s, published %s\n\n", a.ID, a.Title, a.Link,
			a.Published.UTC().Format("2006-01-02 15:04 MST"))
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RULE\tSOURCE\tGUID\tLINK\tTITLE")
		for _, it := range carried[id] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Rule, it.Source, it.GUID, it.Link, it.Title)
		}
		if err := tw.Flush(); err != nil {
			return fail(e, c, err)
		}
		return exitOK
	})
}

// articleArg parses the flags and the one argument, an article id, of a
// command about one article; ok is false with the status to exit with.
func (c *command) articleArg(e *env, fs *flag.FlagSet, args []string) (id int64, ok bool, status int) {
	if ok, st := c.parse(e, fs, args); !ok {
		return 0, false, st
	}
	if fs.NArg() != 1 {
		return 0, false, usageError(e, c, "want one argument, an article id")
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, false, usageError(e, c, "article id %q is not a positive integer", fs.Arg(0))
	}
	return id, true, 0
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

func runStats(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	asJSON := fs.Bool("json", false, "print the counts as one JSON object")
	if ok, st := c.noArgs(e, fs, args); !ok {
		return st
	}
	return withReadStore(ctx, e, c, *cfgPath, func(_ *config.Config, db *storage.DB) int {
		st, err := db.Stats(ctx)
		if err != nil {
			return fail(e, c, err)
		}
		if *asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(st); err != nil {
				return fail(e, c, err)
			}
			return exitOK
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "sources\t%d\n", st.Sources)
		fmt.Fprintf(tw, "sources_failing\t%d\n", st.SourcesFailing)
		fmt.Fprintf(tw, "articles\t%d\n", st.Articles)
		fmt.Fprintf(tw, "carriages\t%d\n", st.Carriages)
		fmt.Fprintf(tw, "tags\t%d\n", st.Tags)
		fmt.Fprintf(tw, "related_lists\t%d\n", st.RelatedLists)
		fmt.Fprintf(tw, "db_bytes\t%d\n", st.DBBytes)
		if err := tw.Flush(); err != nil {
			return fail(e, c, err)
		}
		return exitOK
	})
}

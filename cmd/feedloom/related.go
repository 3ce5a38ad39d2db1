package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/tag"
	"github.com/feedloom/feedloom/storage"
)

func runRelated(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	id, ok, st := c.articleArg(e, fs, args)
	if !ok {
		return st
	}
	return withStore(ctx, e, c, *cfgPath, false, func(cfg *config.Config, db *storage.DB) int {
		a, err := survivingArticle(ctx, e, db, id)
		if err != nil {
			return fail(e, c, err)
		}
		id = a.ID
		list, err := db.Related(ctx, id)
		if err != nil {
			return fail(e, c, err)
		}
		ex, err := newExplainer(cfg)
		if err != nil {
			return fail(e, c, err)
		}
		mine := ex.keys(a)
		fmt.Fprintf(e.stdout, "%d  %s\n    published %s\n    tags: %s\n    key terms: %s\n\n", a.ID, a.Title,
			a.Published.UTC().Format("2006-01-02 15:04 MST"), orNone(strings.Join(a.Tags, ", ")),
			orNone(strings.Join(termLabels(a.Terms), ", ")))
		if len(list) == 0 {
			fmt.Fprintln(e.stdout, "no related posts (no other article within the window shares enough key terms or tags)")
			return exitOK
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tSCORE\tID\tPUBLISHED\tTEXT\tTITLE")
		for i, r := range list {
			b, err := db.Article(ctx, r.ArticleID)
			if err != nil {
				return fail(e, c, fmt.Errorf("related article %d: %w", r.ArticleID, err))
			}
			theirs := ex.keys(b)
			fmt.Fprintf(tw, "%d\t%.3f\t%d\t%s\t%.2f\t%s\n", i+1, r.Score, r.ArticleID,
				r.Published.UTC().Format("2006-01-02"), textSimilarity(mine, theirs), r.Title)
			fmt.Fprintf(tw, "\t\t\t\t\tshared: %s\n", orNone(sharedByKind(mine, theirs)))
		}
		if err := tw.Flush(); err != nil {
			return fail(e, c, err)
		}
		fmt.Fprintln(e.stdout, "\nTEXT is the overlap of the two articles' key terms (shared / all, 0 to 1). An article's tags count only when it has no key terms; source tags never count.")
		return exitOK
	})
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// explainer says what related posts compared of an article, by kind.
type explainer struct {
	tagger     *tag.Tagger
	sourceTags map[string][]string // source name -> its tags, as the tagger spells them
}

func newExplainer(cfg *config.Config) (*explainer, error) {
	t, err := newTagger(cfg)
	if err != nil {
		return nil, err
	}
	ex := &explainer{tagger: t, sourceTags: map[string][]string{}}
	for _, s := range cfg.Sources {
		for _, tg := range s.Tags {
			ex.sourceTags[s.Name] = append(ex.sourceTags[s.Name], t.Tag(tg))
		}
	}
	return ex, nil
}

// keyInfo is what one related-posts key of an article stands for.
type keyInfo struct {
	kind  string // "term", "category" or "rule"
	label string
}

// keys maps each of a's keys to what it is, as tag.Tagger.RelateKeys
// chooses them: its key terms or, for an article without any, its tags by
// where they came from (the feed's categories, a rule), source tags left
// out.
func (ex *explainer) keys(a feeds.Article) map[string]keyInfo {
	out := map[string]keyInfo{}
	for _, tm := range a.Terms {
		d := feeds.DecodeTerm(tm)
		out[d.Key] = keyInfo{"term", d.Label}
	}
	if len(out) > 0 {
		return out
	}
	source := map[string]bool{}
	for _, name := range a.Sources {
		for _, tg := range ex.sourceTags[name] {
			source[tg] = true
		}
	}
	cats := map[string]bool{}
	for _, c := range a.Categories {
		for part := range strings.SplitSeq(c, ",") {
			cats[ex.tagger.Tag(part)] = true
		}
	}
	for _, tg := range a.Tags {
		switch {
		case source[tg]: // never compared
		case cats[tg]:
			out[tag.TagKey(tg)] = keyInfo{"category", tg}
		default:
			out[tag.TagKey(tg)] = keyInfo{"rule", tg}
		}
	}
	return out
}

// sharedByKind lists the keys two articles share, grouped by kind.
func sharedByKind(a, b map[string]keyInfo) string {
	byKind := map[string][]string{}
	for k, x := range a {
		if _, ok := b[k]; ok {
			byKind[x.kind] = append(byKind[x.kind], x.label)
		}
	}
	var parts []string
	for _, kind := range []struct{ name, plural string }{{"term", "terms"}, {"category", "categories"}, {"rule", "rules"}} {
		if l := byKind[kind.name]; len(l) > 0 {
			slices.Sort(l)
			parts = append(parts, kind.plural+" "+strings.Join(l, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

// textSimilarity is the Jaccard overlap of two articles' key terms.
func textSimilarity(a, b map[string]keyInfo) float64 {
	in, un := 0, 0
	for k, x := range a {
		if x.kind != "term" {
			continue
		}
		un++
		if y, ok := b[k]; ok && y.kind == "term" {
			in++
		}
	}
	for _, y := range b {
		if y.kind == "term" {
			un++
		}
	}
	if un -= in; un == 0 {
		return 0
	}
	return float64(in) / float64(un)
}

// termLabels are the labels of encoded key terms.
func termLabels(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		out = append(out, feeds.DecodeTerm(t).Label)
	}
	return out
}

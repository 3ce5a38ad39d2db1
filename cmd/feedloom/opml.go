package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

func runOPML(_ context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	if ok, st := c.parse(e, fs, args); !ok {
		return st
	}
	switch {
	case fs.NArg() == 1 && fs.Arg(0) == "export":
		cfg := loadConfig(e, *cfgPath)
		if cfg == nil {
			return exitFailure
		}
		if err := render.OPML(e.stdout, cfg.Title, cfg.Sources); err != nil {
			return fail(e, c, err)
		}
		return exitOK
	case fs.NArg() == 2 && fs.Arg(0) == "import":
		f, err := os.Open(fs.Arg(1))
		if err != nil {
			return fail(e, c, err)
		}
		defer f.Close()
		sources, skipped, err := render.ParseOPML(f)
		if err != nil {
			return fail(e, c, fmt.Errorf("%s: %w", fs.Arg(1), err))
		}
		out, err := sourcesYAML(sources)
		if err != nil {
			return fail(e, c, err)
		}
		fmt.Fprintf(e.stdout, "# %d sources from %s; paste under sources: in config.yaml\n%s", len(sources), fs.Arg(1), out)
		// What is not in the YAML goes to stderr, so stdout stays pasteable.
		for _, s := range skipped {
			fmt.Fprintf(e.stderr, "feedloom opml: skipped %q%s: %s\n", s.Title, urlSuffix(s.URL), s.Reason)
		}
		if len(skipped) > 0 {
			fmt.Fprintf(e.stderr, "feedloom opml: %d outline(s) skipped, %d source(s) printed\n", len(skipped), len(sources))
		}
		return exitOK
	default:
		return usageError(e, c, "want 'export' or 'import FILE'")
	}
}

// sourceYAML is one source as config.yaml spells it.
type sourceYAML struct {
	Name  string   `yaml:"name"`
	URL   string   `yaml:"url"`
	Title string   `yaml:"title,omitempty"`
	Tags  []string `yaml:"tags,omitempty,flow"`
}

// sourcesYAML renders sources as the `sources:` list of config.yaml.
func sourcesYAML(sources []feeds.Source) (string, error) {
	list := make([]sourceYAML, 0, len(sources))
	for _, s := range sources {
		list = append(list, sourceYAML{Name: s.Name, URL: s.URL, Title: s.Title, Tags: s.Tags})
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(map[string][]sourceYAML{"sources": list}); err != nil {
		return "", fmt.Errorf("encode sources: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encode sources: %w", err)
	}
	return b.String(), nil
}

// urlSuffix is " (URL)", or "" without a URL.
func urlSuffix(u string) string {
	if u == "" {
		return ""
	}
	return " (" + u + ")"
}

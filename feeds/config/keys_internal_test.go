package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// A config key is named in its section's list (schema.go) and read by the
// decoder next to it; the README's table and the shipped config.yaml
// document it. These tests keep the four in step.

// TestKnownKeysDecoded: every key knownKeys names is one the decoder reads:
// a value of the wrong type under it is reported at its path. A key listed
// but never read would be accepted and silently ignored.
func TestKnownKeysDecoded(t *testing.T) {
	for _, key := range knownKeys() {
		t.Run(key, func(t *testing.T) {
			doc := map[string]any{}
			set(doc, strings.Split(key, "."), []any{[]any{1}})
			if _, ok := doc["sources"]; !ok {
				doc["sources"] = []any{map[string]any{"name": "a", "url": "https://example.org/feed.xml"}}
			}
			data, err := yaml.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse("config.yaml", data)
			var list Errors
			if !errors.As(err, &list) {
				t.Fatalf("no problem reported for a nested list under %s (err %v):\n%s", key, err, data)
			}
			path := strings.ReplaceAll(key, "[]", "[0]")
			for _, e := range list {
				if e.Field == path || strings.HasPrefix(e.Field, path+"[") {
					return
				}
			}
			t.Errorf("a nested list under %s is not reported at %s: %v\n%s", key, path, err, data)
		})
	}
}

// set puts v at the path in doc, making a list of one mapping for a
// segment ending in "[]".
func set(doc map[string]any, path []string, v any) {
	k, list := strings.CutSuffix(path[0], "[]")
	if len(path) == 1 {
		doc[k] = v
		return
	}
	sub := map[string]any{}
	if list {
		doc[k] = []any{sub}
	} else {
		doc[k] = sub
	}
	set(sub, path[1:], v)
}

// TestREADMEConfigTable: the config table of README.md names every key
// the decoder knows, once, and no other.
func TestREADMEConfigTable(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no Configuration section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	var got []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		got = append(got, m[1])
	}
	compareKeys(t, "README.md's config table", got, true)
}

// TestShippedConfigKeys: the shipped config.yaml sets every key the
// decoder knows (it is the commented example of all of them) and no other.
func TestShippedConfigKeys(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var got []string
	var walk func(n *yaml.Node, section string)
	walk = func(n *yaml.Node, section string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, section)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, section)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p, v := join(section, n.Content[i].Value), n.Content[i+1]
				if _, ok := sections[p]; ok && v.Kind == yaml.MappingNode {
					walk(v, p)
				} else if _, ok := sections[p+"[]"]; ok && v.Kind == yaml.SequenceNode {
					walk(v, p+"[]")
				} else if !slices.Contains(got, p) {
					got = append(got, p)
				}
			}
		}
	}
	walk(&root, "")
	compareKeys(t, "config.yaml", got, false)
}

// compareKeys reports keys of got the decoder does not know and known keys
// missing from got; with once, also keys got names twice.
func compareKeys(t *testing.T, what string, got []string, once bool) {
	t.Helper()
	known := knownKeys()
	seen := map[string]bool{}
	for _, k := range got {
		switch {
		case !slices.Contains(known, k):
			t.Errorf("%s names %q, which the decoder does not know", what, k)
		case once && seen[k]:
			t.Errorf("%s names %q twice", what, k)
		}
		seen[k] = true
	}
	for _, k := range known {
		if !seen[k] {
			t.Errorf("%s does not name %q", what, k)
		}
	}
}

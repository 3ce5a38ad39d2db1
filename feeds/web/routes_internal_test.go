package web

import (
	"path"
	"strings"
	"testing"
)

// TestCleanPath: cleanPath accepts exactly the paths path.Clean leaves
// unchanged (a trailing slash allowed), over every path of up to three
// segments built from tricky pieces.
func TestCleanPath(t *testing.T) {
	t.Parallel()
	reference := func(p string) bool {
		if p == "" || p[0] != '/' {
			return false
		}
		c := path.Clean(p)
		if strings.HasSuffix(p, "/") && c != "/" {
			c += "/"
		}
		return c == p
	}
	pieces := []string{"", ".", "..", "...", "a", ".a", "a.", "..a", "feeds", "all.atom"}
	paths := []string{"", "a", "./a", "a/"}
	var build func(prefix string, depth int)
	build = func(prefix string, depth int) {
		paths = append(paths, prefix, prefix+"/")
		if depth == 3 {
			return
		}
		for _, p := range pieces {
			build(prefix+"/"+p, depth+1)
		}
	}
	build("", 0)
	for _, p := range paths {
		if got, want := cleanPath(p), reference(p); got != want {
			t.Errorf("cleanPath(%q) = %v, want %v", p, got, want)
		}
	}
}

package fastsan_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/normalize/internal/fastsan"
)

// The fast path reproduces bluemonday and x/net/html as they are at the
// versions it was proven against; a go.mod that moves either must fail
// until the proof has been re-run and the constants moved with it. (A test
// binary carries no module versions in its build information, so go.mod
// is read.)
func TestProvenVersions(t *testing.T) {
	required, replaced := goModRequires(t)
	for _, dep := range []struct{ path, proven string }{
		{"github.com/microcosm-cc/bluemonday", fastsan.ProvenBluemonday},
		{"golang.org/x/net", fastsan.ProvenXNet},
	} {
		got := required[dep.path]
		if replaced[dep.path] {
			got += " (replaced)"
		}
		if got != dep.proven {
			t.Errorf("go.mod has %s %q, but the sanitiser's fast path (feeds/normalize/internal/fastsan) was "+
				"proven against %s. Re-run `go test ./feeds/normalize/...` and, for a while each, the fuzz targets "+
				"`go test ./feeds/normalize/ -run '^$' -fuzz 'FuzzHTMLDirect$'` (and FuzzHTMLDirectMarkup) and "+
				"`go test ./feeds/normalize/internal/fastsan/ -run '^$' -fuzz 'FuzzQuickTokens$'` (and FuzzPlainAbsURL); "+
				"re-read what changed upstream (CONTRIBUTING.md, "+
				"\"Upgrading bluemonday and golang.org/x/net\"); then set the Proven constants in "+
				"feeds/normalize/internal/fastsan/fastsan.go to the new version",
				dep.path, got, dep.proven)
		}
	}
}

// goModRequires returns the module versions the repository's go.mod
// requires, and the modules it replaces, from its require and replace
// directives, single-line or blocks.
func goModRequires(t *testing.T) (required map[string]string, replaced map[string]bool) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "go.mod"))
	if err != nil {
		t.Fatalf("read go.mod: %v", err)
	}
	required, replaced = map[string]string{}, map[string]bool{}
	record := func(verb string, f []string) {
		switch {
		case verb == "require" && len(f) >= 2:
			required[f[0]] = f[1]
		case verb == "replace" && len(f) >= 1:
			replaced[f[0]] = true
		}
	}
	block := "" // the directive of the block being read
	for line := range strings.Lines(string(data)) {
		line, _, _ = strings.Cut(line, "//")
		switch f := strings.Fields(line); {
		case len(f) == 0:
		case block != "" && f[0] == ")":
			block = ""
		case block != "":
			record(block, f)
		case len(f) == 2 && f[1] == "(":
			block = f[0]
		default:
			record(f[0], f[1:])
		}
	}
	return required, replaced
}

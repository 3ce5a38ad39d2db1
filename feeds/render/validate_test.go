package render_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestValidateFeed runs the independent validator (xmllint, the RFC 4287
// schema, Python feedparser, JSON Feed checks) over every format of the
// fixture, empty and hostile datasets: zero problems with --strict.
func TestValidateFeed(t *testing.T) {
	shared := sharedDir()
	if shared == "" {
		t.Skip("../shared is absent: skipping validate-feed")
	}
	tool := filepath.Join(shared, "tools", "validate-feed")
	if _, err := os.Stat(tool); err != nil {
		t.Skipf("%s is absent: skipping", tool)
	}
	if testing.Short() {
		t.Skip("validate-feed starts Python and xmllint: skipped with -short")
	}
	dir := t.TempDir()
	var files []string
	for _, d := range docs(t) {
		for _, f := range formats() {
			path := filepath.Join(dir, d.name+"."+f.ext)
			if err := os.WriteFile(path, renderDoc(t, f, d.site, d.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, path)
		}
	}
	// The first run may install Debian packages (apt-get), hence the
	// generous deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append([]string{"--strict", "--rng=xmllint", "-v"}, files...)
	out, err := exec.CommandContext(ctx, tool, args...).CombinedOutput()
	t.Logf("validate-feed:\n%s", out)
	if err != nil {
		t.Fatalf("validate-feed --strict found problems or failed: %v", err)
	}
}

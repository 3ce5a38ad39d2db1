package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/config"
)

// FuzzParse checks that no input makes Parse panic, and that its result is
// always either a usable Config or well-formed, sorted problems.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join(repoRoot(f), "config.yaml")); err == nil {
		f.Add(data)
	}
	for _, tc := range badCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte("sources: &s [*s]\n"))
	f.Add([]byte("a: &a [*a, *a]\nsources: *a\n"))
	f.Add([]byte("fetch:\n  schedule: \"CRON_TZ=Europe/Berlin 0 * * * *\"\n" + src))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("f.yaml", data)
		if err == nil {
			if c == nil || len(c.Sources) == 0 || !strings.HasSuffix(c.BaseURL, "/") {
				t.Fatalf("valid config without sources or with a bad base URL: %+v", c)
			}
			return
		}
		if c != nil {
			t.Fatal("config returned with errors")
		}
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is not a non-empty config.Errors: %T %v", err, err)
		}
		for i, e := range errs {
			if !strings.HasPrefix(e.Error(), "f.yaml") {
				t.Errorf("problem %q does not name the file", e)
			}
			if i > 0 && e.Line < errs[i-1].Line {
				t.Errorf("problems not sorted by line: %d after %d", e.Line, errs[i-1].Line)
			}
		}
	})
}

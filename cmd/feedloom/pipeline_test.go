package main

import (
	"fmt"
	"testing"

	"github.com/feedloom/feedloom/feeds/config"
)

// TestAllowPrivateRedirectsPlumbed: fetch.allow_private_redirects (and the
// other fetch limits) reach the fetcher the scheduler uses. The refusal
// itself is tested in feeds/fetch (TestPrivateRedirects) and through the
// scheduler (TestHostileRedirectToPrivate).
func TestAllowPrivateRedirectsPlumbed(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprint(allow), func(t *testing.T) {
			yaml := fmt.Sprintf(`fetch:
  allow_private_redirects: %v
  timeout: 7s
  max_body: 3MB
sources:
  - name: a
    url: https://a.example/feed
`, allow)
			cfg, err := config.Parse("config.yaml", []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			s, err := schedulerSettings(cfg, "test")
			if err != nil {
				t.Fatal(err)
			}
			o := s.Fetcher.Options()
			if o.AllowPrivateRedirects != allow || o.Timeout.Seconds() != 7 || o.MaxBody != 3_000_000 {
				t.Errorf("fetcher options %+v from allow_private_redirects: %v, timeout 7s, max_body 3MB", o, allow)
			}
		})
	}
}

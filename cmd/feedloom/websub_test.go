package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds/websub"
)

// TestServeWebSub runs the daemon as a WebSub hub end to end: the feeds
// advertise it, a subscriber on loopback (allowed by the config) is
// verified, and an ingest that changes the subscribed feed (a source a
// reload adds) is pushed to it, signed, within a second.
func TestServeWebSub(t *testing.T) {
	o := newDeskOrigin(t)
	dir := t.TempDir()
	websubConfig := "websub:\n  allow_private_callbacks: true\n"
	cfg := writeConfig(t, dir, baseConfig(dir, o.srv.URL, "")+websubConfig)

	type push struct {
		sig  string
		body string
	}
	verified, pushes := make(chan string, 4), make(chan push, 4)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			verified <- r.URL.Query().Get("hub.mode")
			_, _ = io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		b, _ := io.ReadAll(r.Body)
		pushes <- push{r.Header.Get("X-Hub-Signature"), string(b)}
	}))
	t.Cleanup(sub.Close)

	e, _, logs := testEnv()
	hup := make(chan os.Signal, 1)
	e.signals = hup
	addrc := make(chan string, 1)
	e.ready = func(addr string) { addrc <- addr }
	fetched := logs.await(t, "source=alpha")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "-config", cfg}) }()
	var base string
	select {
	case addr := <-addrc:
		base = "http://" + addr
	case st := <-done:
		t.Fatalf("serve exited with %d:\n%s", st, logs)
	}
	fetched()

	resp, err := http.Get(base + "/feeds/all.atom")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if links := strings.Join(resp.Header.Values("Link"), ", "); links != `<http://desk.example/websub>; rel="hub", <http://desk.example/feeds/all.atom>; rel="self"` {
		t.Errorf("Link = %s", links)
	}

	subscribed := logs.await(t, "websub: subscribed")
	resp, err = http.PostForm(base+"/websub", url.Values{"hub.mode": {"subscribe"}, "hub.topic": {"http://desk.example/feeds/all.atom"},
		"hub.callback": {sub.URL + "/cb"}, "hub.secret": {"k"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("subscribe: %d", resp.StatusCode)
	}
	if mode := <-verified; mode != "subscribe" {
		t.Fatalf("verification mode %q", mode)
	}
	subscribed()

	writeConfig(t, dir, baseConfig(dir, o.srv.URL, fmt.Sprintf("  - name: beta\n    url: %q\n", o.srv.URL+"/beta.xml"))+websubConfig)
	betaFetched := logs.await(t, "source=beta")
	hup <- os.Interrupt
	betaFetched()
	select {
	case p := <-pushes:
		if !strings.Contains(p.body, "Syria talks resume") {
			t.Errorf("the push lacks the new article:\n%s", p.body)
		}
		if p.sig != websub.Sign([]byte("k"), []byte(p.body)) {
			t.Errorf("X-Hub-Signature = %q", p.sig)
		}
	case <-time.After(time.Second):
		t.Fatalf("no push within a second of the ingest:\n%s", logs)
	}

	// The subscriber's callback route: a push for a subscription feedloom
	// does not have tells the hub to stop.
	resp, err = http.Post(base+"/websub/callback/unknown", "application/rss+xml", strings.NewReader("<rss/>"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone {
		t.Errorf("push to an unknown callback: %d, want 410", resp.StatusCode)
	}

	cancel()
	if st := <-done; st != exitOK {
		t.Fatalf("serve exit status %d:\n%s", st, logs)
	}
}

// TestPublicURL: feedloom subscribes to hubs only with a base_url a hub
// on the internet can call back.
func TestPublicURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://news.example.org/":  true,
		"http://93.184.216.34:8080/": true,
		"http://127.0.0.1:8080/":     false,
		"http://[::1]/":              false,
		"http://10.0.0.5/":           false,
		"http://localhost:8080/":     false,
		"http://feedloom.local/":     false,
		"http://desk.internal/":      false,
		"http://intranet/":           false,
	} {
		if got := publicURL(raw); got != want {
			t.Errorf("publicURL(%s) = %v", raw, got)
		}
	}
}

package fetch_test

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/fetch"
)

// redirector serves /feed, /hops/N (N redirects before /feed), loops, a
// permanent and a mixed chain, and redirects to other schemes.
func redirector(t *testing.T) string {
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(feedBody)) })
	mux.HandleFunc("/hops/{n}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.PathValue("n"))
		if n <= 0 {
			http.Redirect(w, r, "/feed", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/hops/"+strconv.Itoa(n-1), http.StatusFound)
	})
	mux.HandleFunc("/loop/a", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop/b", http.StatusFound) })
	mux.HandleFunc("/loop/b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop/a", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/self", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/self", http.StatusFound) })
	mux.HandleFunc("/p1", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/p2", http.StatusMovedPermanently) })
	mux.HandleFunc("/p2", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/feed", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/m1", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/m2", http.StatusMovedPermanently) })
	mux.HandleFunc("/m2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/feed", http.StatusFound) })
	mux.HandleFunc("/to", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", r.URL.Query().Get("u"))
		w.WriteHeader(http.StatusMovedPermanently)
	})
	return serveOn(t, "127.0.0.1:0", mux).URL
}

func TestRedirects(t *testing.T) {
	base := redirector(t)
	tests := []struct {
		name      string
		path      string
		wantKind  string // "" for success
		wantMsg   string
		permanent bool
	}{
		{"no redirect", "/feed", "", "", false},
		{"five redirects are followed", "/hops/4", "", "", false},
		{"six are too many", "/hops/5", fetch.KindRedirect, "stopped after 5 redirects", false},
		{"20-redirect chain", "/hops/19", fetch.KindRedirect, "redirects", false},
		{"loop", "/loop/a", fetch.KindRedirect, "loop", false},
		{"self loop", "/self", fetch.KindRedirect, "loop", false},
		{"301 then 308 is permanent", "/p1", "", "", true},
		{"301 then 302 is not", "/m1", "", "", false},
		{"to ftp", "/to?u=ftp://example.org/feed", fetch.KindScheme, `"ftp:`, false},
		{"to file", "/to?u=file:///etc/passwd", fetch.KindScheme, `"file:`, false},
		{"to javascript", "/to?u=javascript:alert(1)", fetch.KindScheme, `"javascript:`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fetch.New(fetch.Options{})
			if tt.wantKind != "" {
				fe := fetchErr(t, f, base+tt.path)
				if fe.Kind != tt.wantKind || !strings.Contains(fe.Error(), tt.wantMsg) {
					t.Errorf("got %q: %v, want %q mentioning %q", fe.Kind, fe, tt.wantKind, tt.wantMsg)
				}
				return
			}
			resp, err := f.Fetch(t.Context(), fetch.Request{URL: base + tt.path})
			if err != nil {
				t.Fatal(err)
			}
			if resp.FinalURL != base+"/feed" || string(resp.Body) != feedBody {
				t.Errorf("FinalURL %q body %q", resp.FinalURL, resp.Body)
			}
			want := ""
			if tt.permanent {
				want = base + "/feed"
			}
			if resp.PermanentURL != want {
				t.Errorf("PermanentURL = %q, want %q", resp.PermanentURL, want)
			}
		})
	}
}

// TestPrivateRedirects plays a public origin on loopback by replacing the
// public/private decision.
func TestPrivateRedirects(t *testing.T) {
	feed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(feedBody)) })
	one := serveOn(t, "127.0.0.1:0", feed) // .1 server
	two := serveOn(t, "127.0.0.2:0", feed) // .2 server
	_, onePort, _ := net.SplitHostPort(one.Listener.Addr().String())
	redirectTo := func(target string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target, http.StatusFound) }
	}
	only2Private := func(ip net.IP) bool { return ip.Equal(net.IPv4(127, 0, 0, 2)) }
	only2Public := func(ip net.IP) bool { return !ip.Equal(net.IPv4(127, 0, 0, 2)) }
	tests := []struct {
		name     string
		origin   string // listen address of the redirecting origin
		target   string
		private  func(net.IP) bool
		allow    bool
		wantKind string
	}{
		{"public to private literal", "127.0.0.1:0", two.URL + "/x", only2Private, false, fetch.KindBlocked},
		{"public to private literal, allowed", "127.0.0.1:0", two.URL + "/x", only2Private, true, ""},
		{"public to public", "127.0.0.1:0", one.URL + "/x", only2Private, false, ""},
		{"private origin may redirect within private space", "127.0.0.1:0", two.URL + "/x", fetch.IsPrivate, false, ""},
		// localhost is a name: CheckRedirect cannot see its address, the dialer can.
		{"public to private name, refused at dial time", "127.0.0.2:0", "http://localhost:" + onePort + "/x", only2Public, false, fetch.KindBlocked},
		{"public to private name, allowed", "127.0.0.2:0", "http://localhost:" + onePort + "/x", only2Public, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			origin := serveOn(t, tt.origin, redirectTo(tt.target))
			f := fetch.NewWithPrivateCheck(fetch.Options{AllowPrivateRedirects: tt.allow}, tt.private)
			resp, err := f.Fetch(t.Context(), fetch.Request{URL: origin.URL + "/feed"})
			if tt.wantKind == "" {
				if err != nil {
					t.Fatal(err)
				}
				if string(resp.Body) != feedBody {
					t.Errorf("body %q", resp.Body)
				}
				return
			}
			t.Logf("%v", err)
			if got := fetch.KindOf(err); got != tt.wantKind {
				t.Fatalf("got %q: %v, want %q", got, err, tt.wantKind)
			}
			if !strings.Contains(err.Error(), "private") {
				t.Errorf("message %q should say why", err)
			}
		})
	}
}

func TestIsPrivate(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"100.64.0.1", true}, {"0.0.0.0", true}, {"::1", true},
		{"::", true}, {"fc00::1", true}, {"fd12::1", true}, {"fe80::1", true}, {"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true}, {"8.8.8.8", false}, {"2606:4700::1111", false}, {"93.184.216.34", false},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			if got := fetch.IsPrivate(net.ParseIP(tt.ip)); got != tt.want {
				t.Errorf("IsPrivate(%s) = %v", tt.ip, got)
			}
		})
	}
}

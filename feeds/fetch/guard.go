package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
)

// Sources are configured by the admin, but redirects are chosen by the
// origin. A public feed must not be able to point feedloom at its own
// loopback, the cloud metadata address or the intranet (SSRF). The guard
// has three layers:
//
//   - CheckRedirect refuses redirect targets that are private IP literals;
//   - redirected hops of a request whose first hop reached a public address
//     go through a second transport whose dialer checks the address it is
//     actually connecting to (net.Dialer.ControlContext), so a host name that
//     resolves to a private address, or rebinds to one, is refused too;
//   - that transport has its own connection pool, so a kept-alive connection
//     to a private address can never be reused for such a hop.
//
// Sources that are themselves private (tests, intranets) may redirect within
// private space.

// prefixes that are not on the public internet, beyond what net.IP's
// predicates know.
var extraPrivate = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT, RFC 6598
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4 can embed any IPv4 address
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 can embed any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
}

// isPrivate reports whether ip is an address a public feed may not redirect
// to: loopback, link-local, private (RFC 1918, fc00::/7), unspecified,
// CGNAT, multicast and reserved ranges.
func isPrivate(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return true // not an address we understand: refuse
	}
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range extraPrivate {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// hop is the per-request redirect state, carried in the request context so
// that CheckRedirect, the transport switch and the dialer (all shared by
// every request) can see it.
type hop struct {
	mu           sync.Mutex
	originKnown  bool // the first hop's remote address was seen
	originPublic bool
	redirects    int
	permanent    bool // every redirect so far was 301 or 308
}

type hopKey struct{}

func hopFrom(ctx context.Context) *hop {
	h, _ := ctx.Value(hopKey{}).(*hop)
	return h
}

// guarded reports whether this hop must not reach a private address.
func (h *hop) guarded(allowPrivate bool) bool {
	if h == nil || allowPrivate {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	// An origin we could not see (a caller's own Transport) counts as public.
	return h.redirects > 0 && (h.originPublic || !h.originKnown)
}

// sawOrigin records the address the first hop actually connected to.
func (h *hop) sawOrigin(addr net.Addr, private func(net.IP) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.redirects > 0 || h.originKnown {
		return
	}
	ip := addrIP(addr)
	if ip == nil {
		return
	}
	h.originKnown = true
	h.originPublic = !private(ip)
}

func addrIP(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.IP
	case nil:
		return nil
	default:
		host, _, err := net.SplitHostPort(a.String())
		if err != nil {
			return nil
		}
		return net.ParseIP(host)
	}
}

// checkRedirect is the http.Client's CheckRedirect: count, loop, scheme,
// permanence and private IP literals.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	h := hopFrom(req.Context())
	if h == nil { // a request not made by Fetch; keep the limits anyway
		h = &hop{}
	}
	target := req.URL.String()
	from := via[len(via)-1].URL.String()
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return &Error{Kind: KindScheme, URL: from,
			Err: fmt.Errorf("redirect to %q refused: only http and https are followed", target)}
	}
	for _, v := range via {
		if v.URL.String() == target {
			return &Error{Kind: KindRedirect, URL: from, Err: fmt.Errorf("redirect loop: %s was already visited", target)}
		}
	}
	if len(via) > f.opts.MaxRedirects {
		return &Error{Kind: KindRedirect, URL: via[0].URL.String(),
			Err: fmt.Errorf("stopped after %d redirects (at most %d are followed)", len(via)-1, f.opts.MaxRedirects)}
	}
	h.mu.Lock()
	if h.redirects == 0 {
		h.permanent = true
	}
	h.redirects++
	if req.Response != nil {
		if c := req.Response.StatusCode; c != http.StatusMovedPermanently && c != http.StatusPermanentRedirect {
			h.permanent = false
		}
	}
	h.mu.Unlock()
	if h.guarded(f.opts.AllowPrivateRedirects) {
		if ip := net.ParseIP(req.URL.Hostname()); ip != nil && f.isPrivate(ip) {
			return blocked(target, ip.String())
		}
	}
	return nil
}

// blocked is the error for a redirect to target that would reach the
// private address addr.
func blocked(target, addr string) *Error {
	return &Error{Kind: KindBlocked, URL: target,
		Err: fmt.Errorf("redirect from a public address to private address %s refused (see fetch.allow_private_redirects)", addr)}
}

// dialBlocked is the dialer's refusal; Fetch turns it into a "blocked" Error.
type dialBlocked struct{ addr string }

func (d *dialBlocked) Error() string { return "connection to private address " + d.addr + " refused" }

// dialControl refuses, at connect time, any address isPrivate rejects. It is
// the Control of the guarded transport's dialer, so it sees the address
// after DNS resolution.
func (f *Fetcher) dialControl(_ context.Context, _, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &dialBlocked{addr: address}
	}
	if ip := net.ParseIP(host); ip == nil || f.isPrivate(ip) {
		return &dialBlocked{addr: host}
	}
	return nil
}

// switchTransport sends guarded hops through a transport that can only
// connect to public addresses and every other request through the open one.
type switchTransport struct {
	allowPrivate bool
	open         http.RoundTripper
	guarded      http.RoundTripper
}

func (s *switchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if hopFrom(req.Context()).guarded(s.allowPrivate) {
		return s.guarded.RoundTrip(req)
	}
	return s.open.RoundTrip(req)
}

package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"time"
)

// ClientOptions configure NewGuardedClient.
type ClientOptions struct {
	Timeout      time.Duration // whole request (0: DefaultTimeout)
	MaxRedirects int           // 0: DefaultMaxRedirects; negative: none followed
	AllowPrivate bool          // let URLs reach loopback/private addresses (tests, intranets)
	// Private replaces the address check, so tests on loopback can play a
	// public address; nil: the default check.
	Private func(net.IP) bool
}

// ErrPrivateAddress is the cause of a guarded client's refusal to connect
// to (or be redirected to) a loopback or private address.
var ErrPrivateAddress = errors.New("private address refused")

// NewGuardedClient is an http.Client for URLs that strangers choose, such
// as WebSub callbacks: unlike a configured source, the first hop is not
// trusted either, so every connection, redirected or not, must reach a
// public address (checked at dial time, after DNS resolution, so a name
// that resolves or rebinds to a private address is refused too), unless
// AllowPrivate. No proxy: it would defeat the dial-time check.
func NewGuardedClient(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxRedirects == 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	private := o.Private
	if private == nil {
		private = isPrivate
	}
	if o.AllowPrivate {
		private = func(net.IP) bool { return false }
	}
	return &http.Client{
		Transport: newTransport(o.Timeout, guardDial(private)),
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			return checkGuardedRedirect(req, via, o.MaxRedirects, private)
		},
	}
}

// checkGuardedRedirect allows at most max redirects, to http(s) only, and
// none to a private IP literal.
func checkGuardedRedirect(req *http.Request, via []*http.Request, max int, private func(net.IP) bool) error {
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to %q refused: only http and https are followed", req.URL)
	}
	if len(via) > max {
		return fmt.Errorf("stopped after %d redirects", len(via)-1)
	}
	if ip := net.ParseIP(req.URL.Hostname()); ip != nil && private(ip) {
		return fmt.Errorf("redirect to %s: %w", req.URL.Host, ErrPrivateAddress)
	}
	return nil
}

// guardDial is a dialer Control refusing every address private accepts.
func guardDial(private func(net.IP) bool) func(context.Context, string, string, syscall.RawConn) error {
	return func(_ context.Context, _, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", address, ErrPrivateAddress)
		}
		if ip := net.ParseIP(host); ip == nil || private(ip) {
			return fmt.Errorf("connect to %s: %w", host, ErrPrivateAddress)
		}
		return nil
	}
}

// IsPrivateAddress reports whether ip is loopback, link-local, private,
// CGNAT, documentation, multicast or otherwise not on the public internet:
// the addresses the guards refuse.
func IsPrivateAddress(ip net.IP) bool { return isPrivate(ip) }

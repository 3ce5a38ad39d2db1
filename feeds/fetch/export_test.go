package fetch

import "net"

// NewWithPrivateCheck is New with the public/private address decision
// replaced, so tests on loopback can play a "public" origin.
func NewWithPrivateCheck(o Options, private func(net.IP) bool) *Fetcher {
	return newFetcher(o, private)
}

// IsPrivate exposes the default address check to tests.
var IsPrivate = isPrivate

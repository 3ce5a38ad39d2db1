package config

import (
	"fmt"
	"net/url"
	"time"
)

// Defaults of the websub section. The lease bounds follow what public hubs
// grant; the limits keep one topic or one callback host from filling the
// hub.
const (
	DefaultWebSubLease       = 240 * time.Hour // websub.lease: 10 days
	DefaultWebSubMinLease    = time.Hour       // websub.min_lease
	DefaultWebSubMaxLease    = 720 * time.Hour // websub.max_lease: 30 days
	DefaultWebSubPerTopic    = 1000            // websub.max_per_topic
	DefaultWebSubPerHost     = 50              // websub.max_per_host
	DefaultWebSubTotal       = 10000           // websub.max_subscriptions
	DefaultWebSubTimeout     = 10 * time.Second
	DefaultWebSubFallback    = 6 * time.Hour // websub.fallback_interval
	maxWebSubSubscriptions   = 1000000
	maxWebSubCallbackTimeout = 5 * time.Minute
)

// websubKeys are the keys of the websub section.
var websubKeys = []string{"enabled", "hub", "lease", "min_lease", "max_lease", "max_per_topic",
	"max_per_host", "max_subscriptions", "timeout", "allow_private_callbacks", "subscribe", "fallback_interval"}

// WebSub holds how feedloom's feeds are pushed to WebSub subscribers.
type WebSub struct {
	Enabled bool   // advertise a hub on every feed and, without Hub, run feedloom's own
	Hub     string // an external hub's URL; "" = feedloom is its own hub at BASE_URL/websub
	// Lease is granted to subscribers that ask for none; asked-for leases
	// are bounded to [MinLease, MaxLease].
	Lease, MinLease, MaxLease time.Duration
	MaxPerTopic               int           // subscriptions of one feed
	MaxPerHost                int           // subscriptions whose callbacks are on one host
	MaxSubscriptions          int           // subscriptions in all
	Timeout                   time.Duration // one verification or delivery request
	AllowPrivateCallbacks     bool          // callbacks may be loopback/private addresses (tests, intranets)
	// Subscribe: subscribe to the hubs sources' feeds advertise (only
	// when base_url is a public address, which a hub can call back).
	Subscribe bool
	// FallbackInterval is how often a source whose hub pushes is still
	// polled, in case pushes go missing.
	FallbackInterval time.Duration
}

// defaultWebSub is the websub section's defaults.
func defaultWebSub() WebSub {
	return WebSub{
		Enabled: true, Lease: DefaultWebSubLease, MinLease: DefaultWebSubMinLease, MaxLease: DefaultWebSubMaxLease,
		MaxPerTopic: DefaultWebSubPerTopic, MaxPerHost: DefaultWebSubPerHost, MaxSubscriptions: DefaultWebSubTotal,
		Timeout: DefaultWebSubTimeout, Subscribe: true, FallbackInterval: DefaultWebSubFallback,
	}
}

// websub decodes the websub section.
func (d *decoder) websub(f field, c *WebSub) {
	m, _ := d.fields(f.value, f.path, websubKeys)
	if g, ok := m["enabled"]; ok {
		d.boolean(g.value, g.path, &c.Enabled)
	}
	if g, ok := m["hub"]; ok && d.bounded(g.value, g.path, &c.Hub, maxURLLen) && c.Hub != "" {
		if err := checkHubURL(c.Hub); err != nil {
			d.errorf(g.value, g.path, "%v", err)
		}
	}
	for _, k := range []struct {
		key string
		dst *time.Duration
	}{{"lease", &c.Lease}, {"min_lease", &c.MinLease}, {"max_lease", &c.MaxLease}} {
		if g, ok := m[k.key]; ok && d.duration(g.value, g.path, k.dst) && *k.dst < time.Minute {
			d.errorf(g.value, g.path, "must be at least 1m, got %s", *k.dst)
		}
	}
	if c.MinLease > c.MaxLease {
		g := firstOf(m, f, "min_lease", "max_lease")
		d.errorf(g.value, g.path, "min_lease (%s) must not exceed max_lease (%s)", c.MinLease, c.MaxLease)
	} else if c.Lease < c.MinLease || c.Lease > c.MaxLease {
		g := firstOf(m, f, "lease", "min_lease", "max_lease")
		d.errorf(g.value, g.path, "lease (%s) must be between min_lease (%s) and max_lease (%s)", c.Lease, c.MinLease, c.MaxLease)
	}
	if g, ok := m["max_per_topic"]; ok {
		d.atLeast(g, &c.MaxPerTopic, 1, maxWebSubSubscriptions)
	}
	if g, ok := m["max_per_host"]; ok {
		d.atLeast(g, &c.MaxPerHost, 1, maxWebSubSubscriptions)
	}
	if g, ok := m["max_subscriptions"]; ok {
		d.atLeast(g, &c.MaxSubscriptions, 1, maxWebSubSubscriptions)
	}
	if g, ok := m["timeout"]; ok && d.duration(g.value, g.path, &c.Timeout) && (c.Timeout == 0 || c.Timeout > maxWebSubCallbackTimeout) {
		d.errorf(g.value, g.path, "must be positive and at most %s, got %s", maxWebSubCallbackTimeout, c.Timeout)
	}
	if g, ok := m["allow_private_callbacks"]; ok {
		d.boolean(g.value, g.path, &c.AllowPrivateCallbacks)
	}
	if g, ok := m["subscribe"]; ok {
		d.boolean(g.value, g.path, &c.Subscribe)
	}
	if g, ok := m["fallback_interval"]; ok && d.duration(g.value, g.path, &c.FallbackInterval) && c.FallbackInterval < time.Minute {
		d.errorf(g.value, g.path, "must be at least 1m, got %s", c.FallbackInterval)
	}
}

// firstOf is the first of keys that the section sets, else the section
// itself: where a problem between keys is reported.
func firstOf(m map[string]field, section field, keys ...string) field {
	for _, k := range keys {
		if g, ok := m[k]; ok {
			return g
		}
	}
	return section
}

// checkHubURL reports whether raw is an absolute http(s) URL a subscriber
// can post to.
func checkHubURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("invalid URL %q: %w", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("must be an absolute http(s) URL, got %q", raw)
	case u.Hostname() == "":
		return fmt.Errorf("URL %q has no host", raw)
	case u.Fragment != "":
		return fmt.Errorf("URL %q must not have a fragment", raw)
	}
	return nil
}

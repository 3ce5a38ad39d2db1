package main

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/feeds/websub"
	"github.com/feedloom/feedloom/scheduler"
	"github.com/feedloom/feedloom/storage"
)

// callbackRedirects bounds the redirects a WebSub callback may answer with.
const callbackRedirects = 3

// hubURL is the WebSub hub the feed documents advertise: the configured
// external hub, else feedloom's own; "" when WebSub is off.
func hubURL(cfg *config.Config) string {
	switch {
	case !cfg.WebSub.Enabled:
		return ""
	case cfg.WebSub.Hub != "":
		return cfg.WebSub.Hub
	}
	return cfg.BaseURL + strings.TrimPrefix(web.HubPath, "/")
}

// hubSettings are the settings of feedloom's own hub for cfg. It runs
// only when WebSub is on and no external hub is configured.
func hubSettings(cfg *config.Config) websub.Settings {
	w := cfg.WebSub
	s := websub.Settings{
		Enabled:     w.Enabled && w.Hub == "",
		HubURL:      hubURL(cfg),
		Lease:       w.Lease,
		MinLease:    w.MinLease,
		MaxLease:    w.MaxLease,
		MaxPerTopic: w.MaxPerTopic,
		MaxPerHost:  w.MaxPerHost,
		MaxTotal:    w.MaxSubscriptions,
		Client: fetch.NewGuardedClient(fetch.ClientOptions{
			Timeout: w.Timeout, MaxRedirects: callbackRedirects, AllowPrivate: w.AllowPrivateCallbacks,
		}),
	}
	if !w.AllowPrivateCallbacks {
		s.IsPrivate = fetch.IsPrivateAddress
	}
	return s
}

// newHub builds feedloom's own WebSub hub over db. Its documents come from
// the web handler, which needs the hub for its routes and so is made
// after: docs must return it by the time the hub is opened.
func newHub(cfg *config.Config, db *storage.DB, log *slog.Logger, docs func() *web.Handler) (*websub.Hub, error) {
	return websub.New(websub.Options{
		Store:      db,
		Logger:     log,
		Generation: db.Generation,
		Render: func(ctx context.Context, topic string) (websub.Document, error) {
			d, err := docs().Document(ctx, topic)
			return websub.Document(d), err
		},
	}, hubSettings(cfg))
}

// subscriberSettings are the settings of feedloom's own subscriptions for
// cfg: only with a base_url a hub on the internet can call back.
func subscriberSettings(cfg *config.Config) websub.SubscriberSettings {
	w := cfg.WebSub
	return websub.SubscriberSettings{
		Enabled:      w.Enabled && w.Subscribe && publicURL(cfg.BaseURL),
		CallbackBase: cfg.BaseURL + strings.TrimPrefix(web.CallbackPath, "/"),
		Lease:        w.Lease,
		RenewBefore:  max(24*time.Hour, 2*w.FallbackInterval),
		MaxBody:      cfg.Fetch.MaxBody,
		// The hub's URL comes from a feed: it may not reach private addresses either.
		Client: fetch.NewGuardedClient(fetch.ClientOptions{Timeout: w.Timeout, MaxRedirects: callbackRedirects,
			AllowPrivate: w.AllowPrivateCallbacks}),
	}
}

// publicURL reports whether raw's host can be reached from the internet:
// not an IP literal in private space, not localhost or a single-label or
// .local/.internal name.
func publicURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if ip := net.ParseIP(host); ip != nil {
		return !fetch.IsPrivateAddress(ip)
	}
	for _, suffix := range []string{".localhost", ".local", ".internal", ".lan", ".home.arpa"} {
		if strings.HasSuffix(host, suffix) {
			return false
		}
	}
	return host != "localhost" && strings.Contains(host, ".")
}

// newSubscriber builds feedloom's own WebSub subscriber over db; pushes go
// through the scheduler, which needs the subscriber and so is made after:
// sched must return it by the time a push arrives (the server starts later).
func newSubscriber(cfg *config.Config, db *storage.DB, log *slog.Logger, sched func() *scheduler.Scheduler) (*websub.Subscriber, error) {
	return websub.NewSubscriber(websub.SubscriberOptions{
		Store:  db,
		Logger: log,
		Ingest: func(ctx context.Context, source string, body []byte, contentType string) error {
			_, err := sched().IngestPush(ctx, source, body, contentType)
			return err
		},
	}, subscriberSettings(cfg))
}

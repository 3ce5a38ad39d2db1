package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/feeds/websub"
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

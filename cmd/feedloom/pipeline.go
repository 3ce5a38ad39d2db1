package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/fetch"
	"github.com/feedloom/feedloom/feeds/normalize"
	"github.com/feedloom/feedloom/feeds/related"
	"github.com/feedloom/feedloom/feeds/tag"
	"github.com/feedloom/feedloom/scheduler"
	"github.com/feedloom/feedloom/storage"
)

// pipeline is the ingest machinery built from a config: fetcher,
// normaliser, tagger, related index and the scheduler driving them.
type pipeline struct {
	sched *scheduler.Scheduler
	// running is true from start until the scheduler's Run returns.
	running atomic.Bool
}

// newPipeline wires the ingest path for cfg. reg may be nil (no metrics),
// and pushes (the WebSub subscriber, which only serve runs).
func newPipeline(cfg *config.Config, db *storage.DB, log *slog.Logger, reg prometheus.Registerer, ver string, pushes scheduler.Pushes) (*pipeline, error) {
	settings, err := schedulerSettings(cfg, ver)
	if err != nil {
		return nil, err
	}
	var metrics *scheduler.Metrics
	if reg != nil {
		metrics = scheduler.NewMetrics(reg)
	}
	sched, err := scheduler.New(scheduler.Options{
		Store:      db,
		Normalizer: normalize.New(),
		Related:    related.New(relatedOptions(cfg)),
		Logger:     log,
		Metrics:    metrics,
		OnStart:    cfg.Fetch.OnStart,
		Grace:      fetchGrace, // serve's shutdown budget counts on it
		Pushes:     pushes,
	}, settings)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return &pipeline{sched: sched}, nil
}

func relatedOptions(cfg *config.Config) related.Options {
	minScore := cfg.Related.MinScore
	if minScore == 0 {
		minScore = -1 // the config's 0 is "no minimum"; the index's 0 is its default
	}
	return related.Options{Limit: cfg.Related.Limit, MinShared: cfg.Related.MinShared, MinScore: minScore,
		Window: cfg.Related.Window}
}

// newTagger builds the tagger of a config: aliases, rules and automatic key terms.
func newTagger(cfg *config.Config) (*tag.Tagger, error) {
	t, err := tag.New(cfg.Tags.Aliases, cfg.Tags.Rules)
	if err != nil {
		return nil, err
	}
	return t.WithAuto(cfg.Tags.Auto.Enabled, cfg.Tags.Auto.Max), nil
}

// schedulerSettings derives everything a reload can change.
func schedulerSettings(cfg *config.Config, ver string) (scheduler.Settings, error) {
	tagger, err := newTagger(cfg)
	if err != nil {
		return scheduler.Settings{}, fmt.Errorf("tag rules: %w", err)
	}
	fetcher := fetch.New(fetch.Options{
		Timeout:               cfg.Fetch.Timeout,
		MaxBody:               cfg.Fetch.MaxBody,
		UserAgent:             cfg.UserAgentFor(ver),
		MaxRedirects:          5,
		AllowPrivateRedirects: cfg.Fetch.AllowPrivateRedirects,
	})
	return scheduler.Settings{
		Sources:     cfg.Sources,
		Tagger:      tagger,
		Fetcher:     fetcher,
		Concurrency: cfg.Fetch.Concurrency,
		PerHost:     cfg.Fetch.PerHost,
		Retention:   scheduler.Retention{MaxAge: cfg.Retention.MaxAge, MaxPerSource: cfg.Retention.MaxPerSource},
		PushedPoll:  cfg.WebSub.FallbackInterval,
	}, nil
}

// apply swaps in a reloaded config.
func (p *pipeline) apply(ctx context.Context, cfg *config.Config) error {
	ver, _, _ := buildVersion()
	s, err := schedulerSettings(cfg, ver)
	if err != nil {
		return err
	}
	return p.sched.Apply(ctx, s)
}

// start runs the scheduler until ctx ends; its result arrives on the
// channel. healthy holds from the moment start returns, not from whenever
// the goroutine gets to mark the scheduler running, so the /healthz and
// watchdog that READY=1 invites never see a scheduler still starting.
func (p *pipeline) start(ctx context.Context) chan error {
	done := make(chan error, 1)
	p.running.Store(true)
	go func() {
		err := p.sched.Run(ctx)
		p.running.Store(false)
		done <- err
	}()
	return done
}

// healthy is nil while the scheduler runs.
func (p *pipeline) healthy() error {
	if !p.running.Load() {
		return errors.New("scheduler is not running")
	}
	return nil
}

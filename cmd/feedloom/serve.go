package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sys/unix"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/web"
)

// Shutdown budgets: fetches in flight get fetchGrace to finish before they
// are cancelled; HTTP requests in flight get httpGrace.
const (
	fetchGrace = 5 * time.Second
	httpGrace  = 10 * time.Second
)

// reloadMetrics report SIGHUP reloads, as blackbox_exporter does.
type reloadMetrics struct {
	success   prometheus.Gauge
	timestamp prometheus.Gauge
}

func newReloadMetrics(reg prometheus.Registerer) *reloadMetrics {
	m := &reloadMetrics{
		success: prometheus.NewGauge(prometheus.GaugeOpts{Name: "feedloom_config_last_reload_successful",
			Help: "Whether the last configuration reload succeeded (1) or failed (0)."}),
		timestamp: prometheus.NewGauge(prometheus.GaugeOpts{Name: "feedloom_config_last_reload_success_timestamp_seconds",
			Help: "When the configuration was last loaded successfully, as a Unix timestamp."}),
	}
	reg.MustRegister(m.success, m.timestamp)
	return m
}

func runServe(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	if ok, st := parse(fs, args); !ok {
		return st
	}
	if fs.NArg() > 0 {
		return usageError(e, c, "unexpected argument %q", fs.Arg(0))
	}
	cfg := loadConfig(e, *cfgPath)
	if cfg == nil {
		return exitFailure
	}
	log := newLogger(e.stderr, cfg.LogFormat, cfg.LogLevel)
	if err := serve(ctx, e, *cfgPath, cfg, log); err != nil {
		log.Error("feedloom stopped", "error", err)
		return exitFailure
	}
	return exitOK
}

// serve runs the daemon until ctx is cancelled.
func serve(ctx context.Context, e *env, cfgPath string, cfg *config.Config, log *slog.Logger) error {
	ver, rev, _ := buildVersion()
	log.Info("starting feedloom", "version", ver, "commit", rev, "config", cfgPath, "database", cfg.Database,
		"sources", len(cfg.Sources), "outputs", len(cfg.Outputs))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reloads := newReloadMetrics(reg)

	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close database", "error", err)
		} else {
			log.Info("database closed")
		}
	}()

	p, err := newPipeline(cfg, db, log, reg, ver)
	if err != nil {
		return err
	}
	started := time.Now()
	if err := p.sched.BuildIndex(ctx); err != nil {
		return fmt.Errorf("build related index: %w", err)
	}
	log.Info("related index ready", "duration", time.Since(started).Round(time.Millisecond))

	handler, err := web.New(web.Options{
		Store:      db,
		Logger:     log,
		Registerer: reg,
		Gatherer:   reg,
		Healthy:    p.healthy,
	}, webSettings(cfg))
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := web.NewServer(cfg.Listen, handler)
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Serve(ln) }()
	addr := ln.Addr().String()
	log.Info("serving", "addr", addr, "base_url", cfg.BaseURL)

	// The scheduler runs under its own context so that shutdown can stop it
	// first and give fetches in flight their grace period.
	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSched()
	schedDone := make(chan error, 1)
	go func() { schedDone <- p.sched.Run(schedCtx) }()
	go db.Watch(schedCtx, 2*time.Second)

	reloads.success.Set(1)
	reloads.timestamp.SetToCurrentTime()
	notify(log, daemon.SdNotifyReady)
	if e.ready != nil {
		e.ready(addr)
	}
	go watchdog(schedCtx, log, p.healthy)

	current := cfg
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			log.Info("shutting down", "reason", context.Cause(ctx))
			break loop
		case err := <-httpDone:
			runErr = fmt.Errorf("http server: %w", err)
			break loop
		case err := <-schedDone:
			schedDone <- err // let shutdown see it too
			if err != nil {
				runErr = fmt.Errorf("scheduler: %w", err)
			} else {
				runErr = errors.New("scheduler stopped unexpectedly")
			}
			break loop
		case <-e.signals:
			notify(log, daemon.SdNotifyReloading+"\nMONOTONIC_USEC="+monotonicUsec())
			if next, ok := reload(ctx, log, cfgPath, current, p, handler); ok {
				current = next
				reloads.success.Set(1)
				reloads.timestamp.SetToCurrentTime()
			} else {
				reloads.success.Set(0)
			}
			notify(log, daemon.SdNotifyReady)
		}
	}

	notify(log, daemon.SdNotifyStopping)
	if e.exitNow != nil {
		// A second SIGTERM or SIGINT during shutdown exits at once.
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sig)
		go func() {
			if _, ok := <-sig; ok {
				log.Warn("second signal, exiting now")
				e.exitNow(exitFailure)
			}
		}()
	}

	// Stop scheduling; fetches in flight get fetchGrace, then are cancelled.
	stopSched()
	select {
	case err := <-schedDone:
		if err != nil && !errors.Is(err, context.Canceled) && runErr == nil {
			runErr = fmt.Errorf("scheduler: %w", err)
		}
	case <-time.After(fetchGrace + 5*time.Second):
		log.Warn("scheduler did not stop in time")
	}

	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpGrace)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "error", err)
	}
	if err := <-httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
		runErr = fmt.Errorf("http server: %w", err)
	}
	log.Info("stopped")
	return runErr
}

// reload re-reads the config off to the side and swaps it in when it is
// valid; on failure every problem is logged and the running config stays.
func reload(ctx context.Context, log *slog.Logger, path string, old *config.Config, p *pipeline, h *web.Handler) (*config.Config, bool) {
	log.Info("reloading config", "config", path)
	next, err := config.Load(path)
	if err != nil {
		var list config.Errors
		if errors.As(err, &list) {
			for _, pr := range list {
				log.Error("config problem", "problem", pr.Error())
			}
		} else {
			log.Error("config unreadable", "error", err)
		}
		log.Error("reload failed, keeping the running config", "problems", max(len(list), 1))
		return nil, false
	}
	if next.Listen != old.Listen {
		log.Warn("listen address changed; it takes effect after a restart", "running", old.Listen, "configured", next.Listen)
	}
	if next.Database != old.Database {
		log.Warn("database path changed; it takes effect after a restart", "running", old.Database, "configured", next.Database)
	}
	if next.LogLevel != old.LogLevel || next.LogFormat != old.LogFormat {
		log.Warn("log level and format changes take effect after a restart")
	}
	// Keep what needs a restart as it runs, so the swapped config tells the truth.
	next.Listen, next.Database, next.LogLevel, next.LogFormat = old.Listen, old.Database, old.LogLevel, old.LogFormat
	// The web settings are checked first: if the scheduler then refuses the
	// config, the old web settings go back, so both run on one config.
	if err := h.Apply(webSettings(next)); err != nil {
		log.Error("reload failed, keeping the running config", "error", err)
		return nil, false
	}
	if err := p.apply(ctx, next); err != nil {
		log.Error("reload failed, keeping the running config", "error", err)
		if err := h.Apply(webSettings(old)); err != nil {
			log.Error("restore web settings", "error", err)
		}
		return nil, false
	}
	log.Info("config reloaded", "sources", len(next.Sources), "outputs", len(next.Outputs))
	return next, true
}

func webSettings(cfg *config.Config) web.Settings {
	return web.Settings{Title: cfg.Title, BaseURL: cfg.BaseURL, Outputs: cfg.Outputs, Sources: cfg.Sources}
}

// notify tells systemd about the daemon's state; without NOTIFY_SOCKET it
// does nothing.
func notify(log *slog.Logger, state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		log.Warn("sd_notify", "state", state, "error", err)
	}
}

// watchdog pings systemd's watchdog at half its interval while the daemon
// is healthy, so a wedged daemon gets restarted.
func watchdog(ctx context.Context, log *slog.Logger, healthy func() error) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil || interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := healthy(); err != nil {
				log.Warn("unhealthy, not pinging the watchdog", "error", err)
				continue
			}
			notify(log, daemon.SdNotifyWatchdog)
		}
	}
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, which systemd wants
// with RELOADING=1.
func monotonicUsec() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "0"
	}
	return strconv.FormatInt(ts.Nano()/1000, 10)
}

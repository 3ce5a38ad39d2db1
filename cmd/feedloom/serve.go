package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sys/unix"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/feeds/websub"
	"github.com/feedloom/feedloom/scheduler"
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
	if ok, st := c.noArgs(e, fs, args); !ok {
		return st
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
	// The last line of a clean run, after "database closed".
	log.Info("stopped")
	return exitOK
}

// interrupted turns an error from a start-up step that a SIGTERM cut short
// into a clean stop: systemd stopping a daemon that was still starting
// (building its index over a large database, say) is no failure.
func interrupted(ctx context.Context, log *slog.Logger, err error) error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		log.Info("start-up interrupted", "reason", context.Cause(ctx))
		return nil
	}
	return err
}

// serve runs the daemon until ctx is cancelled.
func serve(ctx context.Context, e *env, cfgPath string, cfg *config.Config, log *slog.Logger) error {
	ver, rev, _ := buildVersion()
	log.Info("starting feedloom", "version", ver, "commit", rev, "config", cfgPath, "database", absPath(cfg.Database),
		"sources", len(cfg.Sources), "outputs", len(cfg.Outputs))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reloads := newReloadMetrics(reg)

	unlock, err := lockDatabase(cfg.Database)
	if err != nil {
		return err
	}
	defer func() {
		if err := unlock(); err != nil {
			log.Warn("unlock database", "error", err)
		}
	}()
	db, err := openStore(ctx, cfg, cfgPath, true)
	if err != nil {
		return interrupted(ctx, log, err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close database", "error", err)
		} else {
			log.Info("database closed")
		}
	}()
	checkAtStart(ctx, log, db)
	registerStoreMetrics(reg, db)

	var p *pipeline
	subscriber, err := newSubscriber(cfg, db, log, func() *scheduler.Scheduler { return p.sched })
	if err != nil {
		return err
	}
	if err := subscriber.Open(ctx); err != nil {
		return interrupted(ctx, log, err)
	}
	p, err = newPipeline(cfg, db, log, reg, ver, subscriber)
	if err != nil {
		return err
	}
	// BuildIndex logs its own line (articles, duration).
	if err := p.sched.BuildIndex(ctx); err != nil {
		return interrupted(ctx, log, fmt.Errorf("build related index: %w", err))
	}

	var handler *web.Handler
	hub, err := newHub(cfg, db, log, func() *web.Handler { return handler })
	if err != nil {
		return err
	}
	handler, err = web.New(web.Options{
		Store:      db,
		Logger:     log,
		Registerer: reg,
		Gatherer:   reg,
		Healthy:    p.healthy,
		NextRun:    p.sched.Next,
		WebSub:     hub,
		// The callback route is always there, so that hubs meet a 410 for
		// subscriptions feedloom no longer has rather than a 404.
		WebSubCallback: subscriber,
	}, webSettings(cfg))
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	if err := hub.Open(ctx); err != nil {
		return interrupted(ctx, log, err)
	}
	defer hub.Close()
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
	schedDone := p.start(schedCtx)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		db.Watch(schedCtx, 2*time.Second)
	}()

	reloads.success.Set(1)
	reloads.timestamp.SetToCurrentTime()
	// The listener is bound and Serve is accepting: connections systemd's
	// dependants open after READY=1 are answered.
	notify(log, daemon.SdNotifyReady+"\nSTATUS="+status(addr, cfg, ""))
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
			httpDone <- err // shutdown waits on it
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
			// A SIGTERM arriving meanwhile must not fail the reload half
			// way: it completes, and the loop then shuts down.
			note := ""
			if next, ok := reload(context.WithoutCancel(ctx), log, cfgPath, current, p, handler, hub, subscriber); ok {
				current = next
				reloads.success.Set(1)
				reloads.timestamp.SetToCurrentTime()
			} else {
				reloads.success.Set(0)
				note = "; the last reload failed (see the log), running the previous config"
			}
			notify(log, daemon.SdNotifyReady+"\nSTATUS="+status(addr, current, note))
		}
	}

	// A second SIGTERM or SIGINT during shutdown exits at once. The relay
	// in main has caught it since start-up, so one sent right after
	// STOPPING=1 is not lost. SIGHUP is no longer read: ignored.
	if e.again != nil && e.exitNow != nil {
		stopped := make(chan struct{})
		defer close(stopped)
		go func() {
			select {
			case s := <-e.again:
				log.Warn("second signal, exiting now", "signal", s.String())
				e.exitNow(exitFailure)
			case <-stopped:
			}
		}()
	}
	notify(log, daemon.SdNotifyStopping+"\nSTATUS=stopping")

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

	<-watchDone
	hub.Close() // no deliveries after the store is closed

	// HTTP last: feeds stay served while fetches finish. Shutdown closes
	// the listener and idle connections and waits for requests in flight;
	// after httpGrace the stragglers' connections are closed.
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpGrace)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("requests still running after the grace period, closing their connections", "grace", httpGrace, "error", err)
		if err := srv.Close(); err != nil {
			log.Warn("close http server", "error", err)
		}
	}
	if err := <-httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
		runErr = fmt.Errorf("http server: %w", err)
	}
	return runErr
}

// status is the one-line STATUS= that `systemctl status` shows.
func status(addr string, cfg *config.Config, note string) string {
	return fmt.Sprintf("serving on %s, %d sources, %d outputs%s", addr, len(cfg.Sources), len(cfg.Outputs), note)
}

// reload re-reads the config off to the side and swaps it in when it is
// valid; on failure every problem is logged and the running config stays.
func reload(ctx context.Context, log *slog.Logger, path string, old *config.Config, p *pipeline, h *web.Handler, hub *websub.Hub, sub *websub.Subscriber) (*config.Config, bool) {
	started := time.Now()
	log.Debug("reloading config", "config", path)
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
	if err := hub.Apply(hubSettings(next)); err != nil { // validated config: not expected
		log.Error("websub settings not applied, keeping the running ones", "error", err)
	}
	if err := sub.Apply(subscriberSettings(next)); err != nil {
		log.Error("websub subscriber settings not applied, keeping the running ones", "error", err)
	}
	log.Info("config reloaded", "config", path, "sources", len(next.Sources), "outputs", len(next.Outputs),
		"duration", time.Since(started).Round(time.Millisecond))
	return next, true
}

func webSettings(cfg *config.Config) web.Settings {
	return web.Settings{Title: cfg.Title, BaseURL: cfg.BaseURL, Outputs: cfg.Outputs, Sources: cfg.Sources, Hub: hubURL(cfg)}
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
	if err != nil {
		log.Warn("systemd watchdog not used", "error", err)
		return
	}
	if interval <= 0 {
		return
	}
	log.Info("systemd watchdog enabled", "interval", interval)
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	// A problem is logged when it starts, not at every tick: the interval
	// can be short and the daemon runs for months.
	var problem string
	report := func(msg string, err error) {
		if msg != problem {
			log.Warn(msg, "error", err)
			problem = msg
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := healthy(); err != nil {
				report("unhealthy, not pinging the watchdog", err)
				continue
			}
			if _, err := daemon.SdNotify(false, daemon.SdNotifyWatchdog); err != nil {
				report("cannot ping the watchdog", err)
				continue
			}
			problem = ""
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

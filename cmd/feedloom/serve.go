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

	sd "github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sys/unix"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/feeds/web"
	"github.com/feedloom/feedloom/feeds/websub"
	"github.com/feedloom/feedloom/scheduler"
	"github.com/feedloom/feedloom/storage"
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
	d, err := openDaemon(ctx, e, cfgPath, cfg, log)
	if err != nil {
		return err
	}
	return d.Close(d.run(ctx))
}

// daemon is a running `feedloom serve`: what openDaemon starts, in order,
// and Close stops in the reverse order.
type daemon struct {
	e       *env
	log     *slog.Logger
	cfgPath string
	current *config.Config // the config running now (reloads swap it)
	reloads *reloadMetrics

	closers []func() // the store and the lock, closed last, newest first

	db      *storage.DB
	p       *pipeline
	sub     *websub.Subscriber
	hub     *websub.Hub
	handler *web.Handler

	srv      *http.Server
	addr     string
	httpDone chan error

	// The scheduler runs under its own context so that shutdown can stop
	// it first and give fetches in flight their grace period.
	stopSched context.CancelFunc
	schedDone chan error
	watchDone chan struct{}
}

// openDaemon locks and opens the store, builds the pipeline, the related
// index, the WebSub hub and subscriber and the web handler, listens, and
// starts the scheduler: when it returns, the daemon serves and fetches.
func openDaemon(ctx context.Context, e *env, cfgPath string, cfg *config.Config, log *slog.Logger) (*daemon, error) {
	ver, rev, _ := buildVersion()
	log.Info("starting feedloom", "version", ver, "commit", rev, "config", cfgPath, "database", absPath(cfg.Database),
		"sources", len(cfg.Sources), "outputs", len(cfg.Outputs))
	d := &daemon{e: e, log: log, cfgPath: cfgPath, current: cfg}
	if err := d.openStore(ctx); err != nil {
		d.closeStore()
		return nil, err
	}
	if err := d.openServices(ctx, ver); err != nil {
		if d.hub != nil {
			d.hub.Close()
		}
		d.closeStore()
		return nil, err
	}
	if err := d.listen(); err != nil {
		d.hub.Close()
		d.closeStore()
		return nil, err
	}
	d.startScheduler(ctx)
	return d, nil
}

// openStore takes the database's lock and opens it, checked.
func (d *daemon) openStore(ctx context.Context) error {
	unlock, err := lockDatabase(d.current.Database)
	if err != nil {
		return err
	}
	d.closers = append(d.closers, func() {
		if err := unlock(); err != nil {
			d.log.Warn("unlock database", "error", err)
		}
	})
	db, err := openStore(ctx, d.current, d.cfgPath, true)
	if err != nil {
		return interrupted(ctx, d.log, err)
	}
	d.db = db
	d.closers = append(d.closers, func() {
		if err := db.Close(); err != nil {
			d.log.Error("close database", "error", err)
		} else {
			d.log.Info("database closed")
		}
	})
	checkAtStart(ctx, d.log, db)
	return nil
}

// closeStore closes what openStore opened, newest first.
func (d *daemon) closeStore() {
	for i := len(d.closers) - 1; i >= 0; i-- {
		d.closers[i]()
	}
	d.closers = nil
}

// openServices builds the metrics, the WebSub subscriber, the pipeline and
// its related index, the hub and the web handler. The subscriber and the
// scheduler, and the hub and the handler, each need the other: closures
// hand over the one built second.
func (d *daemon) openServices(ctx context.Context, ver string) error {
	cfg, log := d.current, d.log
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d.reloads = newReloadMetrics(reg)
	registerStoreMetrics(reg, d.db)

	sub, err := newSubscriber(cfg, d.db, log, func() *scheduler.Scheduler { return d.p.sched })
	if err != nil {
		return err
	}
	d.sub = sub
	if err := sub.Open(ctx); err != nil {
		return interrupted(ctx, log, err)
	}
	if d.p, err = newPipeline(cfg, d.db, log, reg, ver, sub); err != nil {
		return err
	}
	// BuildIndex logs its own line (articles, duration).
	if err := d.p.sched.BuildIndex(ctx); err != nil {
		return interrupted(ctx, log, fmt.Errorf("build related index: %w", err))
	}
	hub, err := newHub(cfg, d.db, log, func() *web.Handler { return d.handler })
	if err != nil {
		return err
	}
	d.handler, err = web.New(web.Options{
		Store:      d.db,
		Logger:     log,
		Registerer: reg,
		Gatherer:   reg,
		Healthy:    d.p.healthy,
		NextRun:    d.p.sched.Next,
		WebSub:     hub,
		// The callback route is always there, so that hubs meet a 410 for
		// subscriptions feedloom no longer has rather than a 404.
		WebSubCallback: sub,
	}, webSettings(cfg))
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	if err := hub.Open(ctx); err != nil {
		return interrupted(ctx, log, err)
	}
	d.hub = hub
	return nil
}

// listen binds the listen address and starts serving HTTP.
func (d *daemon) listen() error {
	ln, err := net.Listen("tcp", d.current.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	d.srv = web.NewServer(d.current.Listen, d.handler)
	d.httpDone = make(chan error, 1)
	go func() { d.httpDone <- d.srv.Serve(ln) }()
	d.addr = ln.Addr().String()
	d.log.Info("serving", "addr", d.addr, "base_url", d.current.BaseURL)
	return nil
}

// startScheduler starts the scheduler, the store's watch and systemd's
// watchdog, and tells systemd the daemon is ready.
func (d *daemon) startScheduler(ctx context.Context) {
	schedCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stopSched = stop
	d.schedDone = d.p.start(schedCtx)
	d.watchDone = make(chan struct{})
	go func() {
		defer close(d.watchDone)
		d.db.Watch(schedCtx, 2*time.Second)
	}()
	d.reloads.success.Set(1)
	d.reloads.timestamp.SetToCurrentTime()
	// The listener is bound and Serve is accepting: connections systemd's
	// dependants open after READY=1 are answered.
	notify(d.log, sd.SdNotifyReady+"\nSTATUS="+status(d.addr, d.current, ""))
	if d.e.ready != nil {
		d.e.ready(d.addr)
	}
	go watchdog(schedCtx, d.log, d.p.healthy)
}

// run serves until ctx is cancelled, the HTTP server or the scheduler
// stops, reloading the config on SIGHUP; it returns why it stopped when
// that is a failure.
func (d *daemon) run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			d.log.Info("shutting down", "reason", context.Cause(ctx))
			return nil
		case err := <-d.httpDone:
			d.httpDone <- err // Close waits on it
			return fmt.Errorf("http server: %w", err)
		case err := <-d.schedDone:
			d.schedDone <- err // let Close see it too
			if err != nil {
				return fmt.Errorf("scheduler: %w", err)
			}
			return errors.New("scheduler stopped unexpectedly")
		case <-d.e.signals:
			d.reload(ctx)
		}
	}
}

// reload applies SIGHUP: the config is re-read and swapped in when valid.
func (d *daemon) reload(ctx context.Context) {
	notify(d.log, sd.SdNotifyReloading+"\nMONOTONIC_USEC="+monotonicUsec())
	// A SIGTERM arriving meanwhile must not fail the reload half way: it
	// completes, and the loop then shuts down.
	note := ""
	if next, ok := reload(context.WithoutCancel(ctx), d.log, d.cfgPath, d.current, d.p, d.handler, d.hub, d.sub); ok {
		d.current = next
		d.reloads.success.Set(1)
		d.reloads.timestamp.SetToCurrentTime()
	} else {
		d.reloads.success.Set(0)
		note = "; the last reload failed (see the log), running the previous config"
	}
	notify(d.log, sd.SdNotifyReady+"\nSTATUS="+status(d.addr, d.current, note))
}

// Close shuts the daemon down: the scheduler first (fetches in flight get
// fetchGrace), then the hub, then HTTP (feeds stay served while fetches
// finish; requests in flight get httpGrace), then the store. It returns
// runErr, or the first failure of the shutdown when runErr is nil.
func (d *daemon) Close(runErr error) error {
	defer d.closeStore()
	// A second SIGTERM or SIGINT during shutdown exits at once. The relay
	// in main has caught it since start-up, so one sent right after
	// STOPPING=1 is not lost. SIGHUP is no longer read: ignored.
	if d.e.again != nil && d.e.exitNow != nil {
		stopped := make(chan struct{})
		defer close(stopped)
		go func() {
			select {
			case s := <-d.e.again:
				d.log.Warn("second signal, exiting now", "signal", s.String())
				d.e.exitNow(exitFailure)
			case <-stopped:
			}
		}()
	}
	notify(d.log, sd.SdNotifyStopping+"\nSTATUS=stopping")

	d.stopSched()
	select {
	case err := <-d.schedDone:
		if err != nil && !errors.Is(err, context.Canceled) && runErr == nil {
			runErr = fmt.Errorf("scheduler: %w", err)
		}
	case <-time.After(fetchGrace + 5*time.Second):
		d.log.Warn("scheduler did not stop in time")
	}
	<-d.watchDone
	d.hub.Close() // no deliveries after the store is closed

	// Shutdown closes the listener and idle connections and waits for
	// requests in flight; after httpGrace the stragglers' connections are
	// closed.
	shutCtx, cancel := context.WithTimeout(context.Background(), httpGrace)
	defer cancel()
	if err := d.srv.Shutdown(shutCtx); err != nil {
		d.log.Warn("requests still running after the grace period, closing their connections", "grace", httpGrace, "error", err)
		if err := d.srv.Close(); err != nil {
			d.log.Warn("close http server", "error", err)
		}
	}
	if err := <-d.httpDone; err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
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
	if _, err := sd.SdNotify(false, state); err != nil {
		log.Warn("sd_notify", "state", state, "error", err)
	}
}

// watchdog pings systemd's watchdog at half its interval while the daemon
// is healthy, so a wedged daemon gets restarted.
func watchdog(ctx context.Context, log *slog.Logger, healthy func() error) {
	interval, err := sd.SdWatchdogEnabled(false)
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
			if _, err := sd.SdNotify(false, sd.SdNotifyWatchdog); err != nil {
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

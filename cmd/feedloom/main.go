// Command feedloom is a news aggregator and publisher daemon: it fetches
// RSS, Atom and JSON feeds on cron schedules, keeps every article once, tags
// it, relates it to others by tag overlap, and republishes curated feeds and
// HTML pages over HTTP.
//
// This package is the wiring: flags, environment, signals, logger, metrics
// registry. Everything else lives in the packages it imports.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes, as the SPEC and common CLI practice use them.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and something failed (bad config, a source failed)
	exitUsage   = 2 // the command line was wrong
)

// version and commit are set by the linker (-ldflags "-X main.version=...");
// when empty, build info supplies what it can.
var (
	version = ""
	commit  = ""
)

// env is what a command needs from its surroundings; tests build their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// signals delivers SIGHUP to serve (nil: none).
	signals <-chan os.Signal
	// again delivers the SIGTERMs and SIGINTs after the first, which
	// cancelled the command's context (nil: none). serve exits at once on
	// one during its shutdown.
	again <-chan os.Signal
	// ready is called by serve once it listens (tests use it to learn the address).
	ready func(addr string)
	// exitNow ends the process at once (a second signal during shutdown); nil in tests.
	exitNow func(code int)
}

// command is one subcommand of feedloom.
type command struct {
	name    string
	args    string // argument synopsis after the flags
	summary string
	run     func(ctx context.Context, e *env, c *command, args []string) int
	// usageText is the longer help shown by `feedloom help CMD` and `CMD -h`.
	usageText string
}

func commands() []*command {
	return []*command{
		{name: "serve", summary: "run the daemon: scheduler and HTTP server, until SIGTERM; SIGHUP reloads", run: runServe,
			usageText: "Fetches every source on its schedule and serves the curated feeds and pages.\nSIGHUP re-reads the config; SIGTERM or SIGINT stops it gracefully (a second signal stops at once)."},
		{name: "fetch", args: "[SOURCE...]", summary: "one ingest pass now (all sources or those named), then exit", run: runFetch,
			usageText: "Runs one pass through the daemon's code path and prints a summary table.\nSources in backoff, waiting for Retry-After or gone are skipped and listed; -force fetches them anyway.\nA source that failed stays failing, in the table and the exit status, until a fetch of it succeeds.\nExit status 1 if any source failed or is still failing. Creates the database if there is none."},
		{name: "check", summary: "validate the config; print every problem as FILE:LINE: field: message", run: runCheck},
		{name: "stats", summary: "counts from the database", run: runStats,
			usageText: "Prints sources, sources_failing, articles, carriages, tags, related_lists and db_bytes."},
		{name: "related", args: "ID", summary: "the related posts of an article, with scores and shared tags", run: runRelated},
		{name: "explain", args: "ID", summary: "the items an article holds and the dedupe rule that joined each", run: runExplain},
		{name: "export", summary: "every article with its carried items and related list (-json: JSON Lines)", run: runExport,
			usageText: "Writes one block (or, with -json, one JSON object a line) per article, by id: id, title, link, published,\nitems (source, guid, link, title, published, rule) and related (id, score)."},
		{name: "retag", summary: "re-apply the config's tag rules and aliases to stored articles", run: runRetag},
		{name: "prune", summary: "apply the retention rules now", run: runPrune},
		{name: "opml", args: "export | import FILE", summary: "sources as OPML 2.0 / sources: YAML from an OPML file", run: runOPML,
			usageText: "opml export writes the configured sources as OPML 2.0 to stdout.\nopml import FILE prints the sources: YAML for the feeds in FILE, to paste into config.yaml\n(the config file is never rewritten)."},
		{name: "backup", args: "FILE", summary: "a consistent copy of the database, also while the daemon runs", run: runBackup,
			usageText: "Writes a consistent copy of the database to FILE (VACUUM INTO). FILE must not exist."},
		{name: "version", summary: "print version, commit and Go version", run: runVersion},
		{name: "help", args: "[COMMAND]", summary: "show help for feedloom or a command", run: runHelp},
	}
}

func main() {
	// Every signal is caught from the first instruction on, so none is lost
	// and none takes its default action (death) while a command starts or
	// stops; SIGHUP waits in its channel until serve reads it, and is
	// ignored by the other commands and during shutdown.
	term := make(chan os.Signal, 1)
	signal.Notify(term, os.Interrupt, syscall.SIGTERM)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	ctx, cancel := context.WithCancelCause(context.Background())
	again := make(chan os.Signal, 1)
	go relaySignals(term, cancel, again)
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		signals: hup, again: again, exitNow: os.Exit}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// relaySignals cancels the command's context on the first SIGTERM or
// SIGINT and passes the later ones to again. One relay for the process
// (rather than a second signal.Notify when shutdown begins) means a second
// signal sent the moment systemd sees STOPPING=1 cannot slip through the
// gap between the two registrations.
func relaySignals(term <-chan os.Signal, cancel context.CancelCauseFunc, again chan<- os.Signal) {
	s := <-term
	cancel(fmt.Errorf("%v signal received", s))
	for s := range term {
		select {
		case again <- s:
		default: // one pending is enough to exit
		}
	}
}

// run dispatches one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(e.stdout)
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, c, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "feedloom: unknown command %q\n\n", name)
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, "feedloom aggregates news feeds and republishes curated ones.\n\nUsage:\n  feedloom COMMAND [-config PATH] [flags] [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nEvery command takes -config PATH (default ./config.yaml, or $FEEDLOOM_CONFIG).\nRun 'feedloom help COMMAND' or 'feedloom COMMAND -h' for a command's flags.\n")
}

// flags makes the command's flag set with the -config flag every command shares.
func (c *command) flags(e *env) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("feedloom "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	def := "config.yaml"
	if v := e.getenv("FEEDLOOM_CONFIG"); v != "" {
		def = v
	}
	cfg := fs.String("config", def, "config file (env FEEDLOOM_CONFIG)")
	// The flag package calls Usage for -h and after a wrong flag alike;
	// parse prints help (to stdout) or a hint (to stderr) itself.
	fs.Usage = func() {}
	return fs, cfg
}

func (c *command) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: feedloom %s [flags] %s\n\n%s.\n", c.name, c.args, c.summary)
	if c.usageText != "" {
		fmt.Fprintf(w, "\n%s\n", c.usageText)
	}
	if fs != nil {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// parse parses a command's flags; it returns ok=false with the exit status
// to use when the command should not go on (help asked, or a usage error).
// Help asked for (-h) is output: it goes to stdout with status 0, as
// `feedloom help CMD` does; a wrong flag is an error, on stderr.
//
// Flags may come before, between or after the positional arguments
// (`feedloom opml export -config x.yaml`), as admins type them; "--" ends
// the flags.
func (c *command) parse(e *env, fs *flag.FlagSet, args []string) (ok bool, status int) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.usage(e.stdout, fs)
				return false, exitOK
			}
			fmt.Fprintf(e.stderr, "Run 'feedloom %s -h' for usage.\n", c.name)
			return false, exitUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Re-parse the positional arguments alone so fs.Args() returns them.
	if err := fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return false, exitUsage
	}
	return true, 0
}

// noArgs parses the flags of a command that takes no arguments.
func (c *command) noArgs(e *env, fs *flag.FlagSet, args []string) (ok bool, status int) {
	if ok, st := c.parse(e, fs, args); !ok {
		return false, st
	}
	if fs.NArg() > 0 {
		return false, usageError(e, c, "unexpected argument %q", fs.Arg(0))
	}
	return true, 0
}

// usageError reports a wrong command line and returns exitUsage.
func usageError(e *env, c *command, format string, a ...any) int {
	fmt.Fprintf(e.stderr, "feedloom %s: %s\n", c.name, fmt.Sprintf(format, a...))
	fmt.Fprintf(e.stderr, "Run 'feedloom %s -h' for usage.\n", c.name)
	return exitUsage
}

// fail reports an error of a command that ran and returns exitFailure.
func fail(e *env, c *command, err error) int {
	msg := err.Error()
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	fmt.Fprintf(e.stderr, "feedloom %s: %s", c.name, msg)
	return exitFailure
}

func runHelp(_ context.Context, e *env, c *command, args []string) int {
	if len(args) == 0 {
		usage(e.stdout)
		return exitOK
	}
	for _, cmd := range commands() {
		if cmd.name == args[0] {
			if cmd.name == "help" {
				cmd.usage(e.stdout, nil)
				return exitOK
			}
			// A command prints its own usage, flags included, for -h.
			return cmd.run(context.Background(), e, cmd, []string{"-h"})
		}
	}
	return usageError(e, c, "unknown command %q", args[0])
}

// Package config turns feedloom's config.yaml into a typed, validated Config.
//
// The file is decoded strictly, node by node (go.yaml.in/yaml/v3's yaml.Node),
// so that every problem — an unknown key at any depth, a value of the wrong
// type, a bad cron spec, URL, duration, size or name, a dangling reference —
// is reported with the file, line and field path it concerns, and so that all
// problems are reported at once rather than only the first. An admin running
// `feedloom check` then fixes a config in one round instead of many.
//
// Defaults come first (Default), the file overrides them, and validation runs
// over the result. Nothing here is global: callers get a *Config and pass it on.
//
// Defaults not spelled out in SPEC.md: title "feedloom"; base_url derives from
// listen ("http://127.0.0.1:8080/" for the default listen address). Sizes
// (fetch.max_body) are plain byte counts or an integer with a unit: B, KB, MB,
// GB (SI, powers of 1000) or KiB, MiB, GiB (IEC, powers of 1024); units are
// case-insensitive and may be separated from the number by a space.
package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// Defaults, named so that docs, the shipped config.yaml and the code agree.
// Each is the value a key takes when config.yaml leaves it out.
const (
	DefaultTitle         = "feedloom"                     // title
	DefaultListen        = "127.0.0.1:8080"               // listen: loopback only until an admin opens it up
	DefaultBaseURL       = "http://127.0.0.1:8080/"       // base_url, for the default listen address
	DefaultDatabase      = "feedloom.db"                  // database, relative to the working directory
	DefaultLogLevel      = "info"                         // log_level
	DefaultLogFormat     = "text"                         // log_format
	DefaultSchedule      = "*/15 * * * *"                 // fetch.schedule
	DefaultTimeout       = 30 * time.Second               // fetch.timeout
	DefaultConcurrency   = 16                             // fetch.concurrency
	DefaultPerHost       = 2                              // fetch.per_host: polite to each origin
	DefaultMaxBody       = 10 * 1000 * 1000               // fetch.max_body: 10MB
	DefaultUserAgent     = "feedloom/VERSION (+BASE_URL)" // fetch.user_agent
	DefaultMaxAge        = 2160 * time.Hour               // retention.max_age: 90 days
	DefaultMaxPerSource  = 5000                           // retention.max_per_source
	DefaultRelatedLimit  = 5                              // related.limit
	DefaultMinShared     = 1                              // related.min_shared
	DefaultMinScore      = 0.13                           // related.min_score
	DefaultAutoTerms     = 12                             // tags.auto.max
	DefaultRelatedWindow = 720 * time.Hour                // related.window: 30 days
	DefaultOutputLimit   = 50                             // outputs[].limit
)

// Sanity limits: values beyond these are typos, not intentions. The string
// limits also bound what one key can multiply into: a site title is
// written into every feed document and page, a source's tags into every
// article it brings (a 50,000,000-character title once made /feeds/all.atom
// 2.6 GB).
const (
	// MaxFileBytes bounds the config file: about 20,000 sources. Larger
	// files are refused before parsing (YAML takes about seven times the
	// file's size in memory, comments included).
	MaxFileBytes          = 4 << 20
	maxStringLen          = 4096 // any string value: paths, schedules, addresses
	maxTitleLen           = 200  // title, sources[].title, outputs[].title, in characters
	maxDescriptionLen     = 1000 // outputs[].description, in characters
	maxURLLen             = 2048 // base_url and sources[].url, in bytes
	maxUserAgentLen       = 512  // fetch.user_agent, in bytes
	maxKeyLen             = 64   // a mapping key (aliases are tags: maxTagLen)
	maxWordLen            = 200  // a word or phrase of a tag rule
	maxListLen            = 50   // tags of a source or output list (an article keeps at most 50)
	maxWords              = 1000 // words of one tag rule
	maxNameLen            = 64   // source and output names appear in URLs and logs
	maxTagLen             = 100  // tag names in the config
	maxRelatedLimit       = 100  // related.limit
	maxMinShared          = 50   // related.min_shared: articles carry at most 50 tags
	maxAutoTerms          = 50   // tags.auto.max
	maxOutputLimit        = 1000 // outputs[].limit: a feed document, not an archive
	maxFetchConcurrency   = 1024 // fetch.concurrency and fetch.per_host
	defaultListenHostName = "127.0.0.1"
)

// Config is one validated config.yaml. Every field is filled: keys the file
// leaves out hold their defaults.
type Config struct {
	Path      string // file it was read from (as given to Load or Parse)
	Title     string // site and feed title
	BaseURL   string // absolute http(s) URL ending in "/"; used for self links and ids
	Listen    string // host:port of the HTTP server
	Database  string // SQLite file
	LogLevel  string // debug | info | warn | error
	LogFormat string // text | json
	Fetch     Fetch
	Retention Retention
	Tags      Tags
	Related   Related
	WebSub    WebSub
	Sources   []feeds.Source // Schedule is the source's own schedule or fetch.schedule
	Outputs   []feeds.Output // Limit defaulted to 50
}

// Fetch holds how sources are fetched.
type Fetch struct {
	Schedule              string        // cron spec for sources without their own
	Timeout               time.Duration // whole request, body included
	Concurrency           int           // fetches in flight in all
	PerHost               int           // fetches in flight per host
	MaxBody               int64         // bytes; larger bodies fail the fetch
	UserAgent             string        // may hold VERSION and BASE_URL; see UserAgentFor
	OnStart               bool          // fetch every source once at start-up
	AllowPrivateRedirects bool          // follow redirects to loopback/private addresses
}

// Retention holds how long articles are kept.
type Retention struct {
	MaxAge       time.Duration // drop articles older than this (0 = keep)
	MaxPerSource int           // keep the newest N per source (0 = no cap)
}

// Tags holds the tag aliases and rules. Tag names are trimmed and lower-cased
// here; the tag package normalises them further at run time.
type Tags struct {
	Aliases map[string]string // alias -> canonical tag
	Rules   []feeds.TagRule
	Auto    Auto
}

// Auto holds the automatic key terms taken from an article's text.
type Auto struct {
	Enabled bool // take key terms at all
	Max     int  // key terms an article keeps
}

// Related holds how related posts are chosen.
type Related struct {
	Limit     int           // related posts per article
	MinShared int           // tags two articles must share at least
	MinScore  float64       // least score of a related post, as a share of the rarest tag's weight
	Window    time.Duration // only articles published within this of each other
}

// Default returns a Config holding every default and no sources or outputs.
// It is not valid on its own (a config needs at least one source); Parse
// starts from it.
func Default() *Config {
	return &Config{
		Title:     DefaultTitle,
		BaseURL:   DefaultBaseURL,
		Listen:    DefaultListen,
		Database:  DefaultDatabase,
		LogLevel:  DefaultLogLevel,
		LogFormat: DefaultLogFormat,
		Fetch: Fetch{
			Schedule:    DefaultSchedule,
			Timeout:     DefaultTimeout,
			Concurrency: DefaultConcurrency,
			PerHost:     DefaultPerHost,
			MaxBody:     DefaultMaxBody,
			UserAgent:   DefaultUserAgent,
			OnStart:     true,
		},
		Retention: Retention{MaxAge: DefaultMaxAge, MaxPerSource: DefaultMaxPerSource},
		Tags:      Tags{Aliases: map[string]string{}, Auto: Auto{Enabled: true, Max: DefaultAutoTerms}},
		Related: Related{
			Limit:     DefaultRelatedLimit,
			MinShared: DefaultMinShared,
			MinScore:  DefaultMinScore,
			Window:    DefaultRelatedWindow,
		},
		WebSub: defaultWebSub(),
	}
}

// Load reads the file at path and parses it with Parse, naming the file as
// path in every error.
// A file larger than MaxFileBytes is not read beyond the limit.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates data, the contents of config file file. On any
// problem it returns a nil Config and an Errors holding every problem found,
// sorted by line; file names the file in each message.
func Parse(file string, data []byte) (*Config, error) {
	if len(data) > MaxFileBytes {
		// The line where the limit falls, so an admin sees where the
		// file went wrong (an endless paste, a generated list).
		line := 1 + bytes.Count(data[:MaxFileBytes], []byte("\n"))
		return nil, Errors{{File: file, Line: line, Msg: fmt.Sprintf(
			"the file is larger than %d MiB, the limit (it reaches the limit on this line)", MaxFileBytes>>20)}}
	}
	d := &decoder{file: file}
	c := d.parse(data)
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, d.errs
	}
	c.Path = file
	return c, nil
}

// UserAgentFor returns fetch.user_agent with VERSION replaced by version and
// BASE_URL by the configured base URL, so the config need not repeat either.
func (c *Config) UserAgentFor(version string) string {
	return strings.NewReplacer("VERSION", version, "BASE_URL", c.BaseURL).Replace(c.Fetch.UserAgent)
}

// Source returns the configured source called name, so that commands naming
// sources (`feedloom fetch NAME`) can look them up without a loop of their own.
func (c *Config) Source(name string) (feeds.Source, bool) {
	for _, s := range c.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return feeds.Source{}, false
}

// Output returns the configured output called name. The built-in "all" is
// not a configured output and is not found here.
func (c *Config) Output(name string) (feeds.Output, bool) {
	for _, o := range c.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return feeds.Output{}, false
}

// Error is one problem in a config file, located by file, line and field path
// (e.g. "sources[2].schedule") so an admin can go straight to it.
type Error struct {
	File  string
	Line  int    // 1-based; 0 when the YAML parser could not tell
	Field string // dotted path with [i] indexes; empty for YAML syntax errors
	Msg   string
}

// Error formats the problem as "FILE:LINE: field.path: message", leaving out
// the line or the field when they are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem Parse found, sorted by line. It is the error Parse
// returns, so callers can range over the problems with errors.As.
type Errors []*Error

// Error joins the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes each problem to errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// compile-time checks that both error types satisfy error.
var (
	_ error = (*Error)(nil)
	_ error = Errors(nil)
)

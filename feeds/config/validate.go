package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// cronParser is the parser the scheduler uses: five fields or a descriptor
// such as "@hourly" or "@every 10m". It is a value without state.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// checkCron reports whether spec is a schedule the scheduler can run.
func checkCron(spec string) (err error) {
	defer func() {
		// robfig/cron panics on some malformed input (e.g. "TZ=UTC" alone);
		// a config typo must be a message, not a crash.
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid cron spec %q: %v", spec, r)
		}
	}()
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		if !strings.Contains(spec, " ") {
			return fmt.Errorf("invalid cron spec %q: a time zone must be followed by a schedule", spec)
		}
	}
	if _, err := cronParser.Parse(spec); err != nil {
		return fmt.Errorf("invalid cron spec %q: %w", spec, err)
	}
	if err := checkCronSteps(spec); err != nil {
		return fmt.Errorf("invalid cron spec %q: %w", spec, err)
	}
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		if d, err := time.ParseDuration(strings.TrimSpace(rest)); err == nil && d <= 0 {
			return fmt.Errorf("invalid cron spec %q: @every needs a positive duration", spec)
		}
	}
	return nil
}

// cronFields names the five fields of a cron spec with their lowest and
// highest values.
var cronFields = [5]struct {
	name     string
	min, max int
}{{"minute", 0, 59}, {"hour", 0, 23}, {"day-of-month", 1, 31}, {"month", 1, 12}, {"day-of-week", 0, 6}}

// checkCronSteps rejects steps wider than their field (e.g. "*/61" for
// minutes), which robfig/cron accepts silently although they can only ever
// match the field's first value: almost always a typo for a different field
// or a descriptor such as "@every 61m".
func checkCronSteps(spec string) error {
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		_, spec, _ = strings.Cut(spec, " ")
	}
	fields := strings.Fields(spec)
	if len(fields) != len(cronFields) {
		return nil // a descriptor; the parser has checked it
	}
	for i, f := range fields {
		for part := range strings.SplitSeq(f, ",") {
			_, step, ok := strings.Cut(part, "/")
			if !ok {
				continue
			}
			bounds := cronFields[i]
			if n, err := strconv.Atoi(step); err == nil && n > bounds.max-bounds.min {
				return fmt.Errorf("step %d is wider than the %s field (%d-%d)", n, bounds.name, bounds.min, bounds.max)
			}
		}
	}
	return nil
}

// namePattern is what source and output names may look like: they appear in
// URLs (/feeds/NAME.atom), on command lines and in logs.
var namePattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$`)

// checkName reports whether name is a valid source or output name.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("must not be empty")
	case len(name) > maxNameLen:
		return fmt.Errorf("name %q is longer than %d characters", name, maxNameLen)
	case !namePattern.MatchString(name):
		return fmt.Errorf(`invalid name %q: use lower-case letters, digits and "-", starting and ending with a letter or digit`, name)
	}
	return nil
}

// checkSourceURL reports whether raw is a URL the fetcher can get: absolute
// http or https with a host, or a file URL with an absolute path.
func checkSourceURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" || u.Hostname() == "" {
			return fmt.Errorf("URL %q has no host", raw)
		}
		return nil
	case "file":
		if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || (u.Host != "" && u.Host != "localhost") {
			return fmt.Errorf("file URL %q must be file:///absolute/path", raw)
		}
		return nil
	case "":
		return fmt.Errorf("URL %q is not absolute; use an http(s):// or file:// URL", raw)
	}
	return fmt.Errorf("URL %q: scheme %q is not supported; use http, https or file", raw, u.Scheme)
}

// checkBaseURL validates the public base URL and returns it ending in "/",
// since every published link is built by appending a relative path to it.
func checkBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return raw, fmt.Errorf("invalid URL %q: %w", raw, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return raw, fmt.Errorf("must be an absolute http(s) URL, got %q", raw)
	case u.Host == "" || u.Hostname() == "":
		return raw, fmt.Errorf("URL %q has no host", raw)
	case u.User != nil:
		return raw, fmt.Errorf("URL %q must not hold a user name or password", raw)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return raw, fmt.Errorf("URL %q must not have a query or fragment", raw)
	}
	if !strings.HasSuffix(raw, "/") {
		raw += "/"
	}
	return raw, nil
}

// checkListen reports whether addr is a host:port the server can listen on.
// The host may be empty (all interfaces); the port must be a number.
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("invalid port %q in %q: want a number from 0 to 65535", port, addr)
	}
	return nil
}

// baseURLFor is the default base URL for a listen address: http on the same
// port, with a wildcard or empty host replaced by 127.0.0.1.
func baseURLFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return DefaultBaseURL
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = defaultListenHostName
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// checkHeaderValue reports whether s can be sent as an HTTP header value.
func checkHeaderValue(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("must not be empty")
	}
	for _, r := range s {
		if (r < ' ' && r != '\t') || r == 0x7f {
			return fmt.Errorf("must not contain control characters, got %q", s)
		}
	}
	return nil
}

// tagName trims and lower-cases a tag name from the config, reporting empty
// and over-long ones. Further normalising is the tag package's job.
func (d *decoder) tagName(raw string, n *yaml.Node, path string) (string, bool) {
	t := strings.ToLower(strings.TrimSpace(raw))
	switch {
	case t == "":
		d.errorf(n, path, "empty tag")
		return "", false
	case len(t) > maxTagLen:
		d.errorf(n, path, "tag is longer than %d characters", maxTagLen)
		return "", false
	}
	return t, true
}

// tagList decodes a list of tag names; bad entries are reported and
// dropped, and so are lists longer than an article's tags can be.
func (d *decoder) tagList(f field) []item {
	var out []item
	list := d.strList(f.value, f.path)
	if len(list) > maxListLen {
		d.errorf(f.value, f.path, "%d tags; at most %d", len(list), maxListLen)
		return nil
	}
	for _, it := range list {
		if t, ok := d.tagName(it.val, it.node, it.path); ok {
			it.val = t
			out = append(out, it)
		}
	}
	return out
}

// values returns the strings of items, nil for none.
func values(items []item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.val)
	}
	return out
}

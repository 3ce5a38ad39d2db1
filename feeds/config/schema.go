package config

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/feedloom/feedloom/feeds"
)

// The keys each mapping may hold; anything else is reported as unknown.
var (
	topKeys       = []string{"title", "base_url", "listen", "database", "log_level", "log_format", "fetch", "retention", "tags", "related", "websub", "sources", "outputs"}
	fetchKeys     = []string{"schedule", "timeout", "concurrency", "per_host", "max_body", "user_agent", "on_start", "allow_private_redirects"}
	retentionKeys = []string{"max_age", "max_per_source"}
	tagsKeys      = []string{"aliases", "rules", "auto"}
	autoKeys      = []string{"enabled", "max"}
	ruleKeys      = []string{"tag", "any", "in"}
	relatedKeys   = []string{"limit", "min_shared", "min_score", "window"}
	sourceKeys    = []string{"name", "url", "tags", "schedule", "title"}
	outputKeys    = []string{"name", "title", "description", "tags_any", "tags_all", "tags_none", "sources", "limit"}
)

// sections places the key lists above in the file, by the dotted path of
// the mapping that holds them ("" the top, "[]" an element of a list), so
// that the whole set of keys can be derived from them (knownKeys).
var sections = map[string][]string{
	"": topKeys, "fetch": fetchKeys, "retention": retentionKeys,
	"tags": tagsKeys, "tags.auto": autoKeys, "tags.rules[]": ruleKeys,
	"related": relatedKeys, "websub": websubKeys, "sources[]": sourceKeys, "outputs[]": outputKeys,
}

// knownKeys returns the dotted path of every key that holds a value
// ("fetch.timeout", "sources[].name"), in file order: the keys of sections,
// without the mappings and lists that only hold other keys. Tests hold the
// README's config table and the shipped config.yaml to it.
func knownKeys() []string {
	var out []string
	var walk func(section string)
	walk = func(section string) {
		for _, k := range sections[section] {
			p := join(section, k)
			if _, ok := sections[p]; ok {
				walk(p)
			} else if _, ok := sections[p+"[]"]; ok {
				walk(p + "[]")
			} else {
				out = append(out, p)
			}
		}
	}
	walk("")
	return out
}

// parse decodes data over the defaults and validates the result, recording
// every problem in d.errs. The returned Config is only meaningful when there
// are none.
func (d *decoder) parse(data []byte) *Config {
	c := Default()
	root := d.document(data)
	if len(d.errs) > 0 {
		return c
	}
	if root == nil {
		d.errs = append(d.errs, &Error{File: d.file, Line: 1, Field: "sources", Msg: "the file is empty; at least one source is required"})
		return c
	}
	top, ok := d.fields(root, "", topKeys)
	if !ok {
		return c
	}
	if f, ok := top["title"]; ok && d.text(f.value, f.path, &c.Title, maxTitleLen) && strings.TrimSpace(c.Title) == "" {
		d.errorf(f.value, f.path, "must not be empty")
	}
	listenOK := true
	if f, ok := top["listen"]; ok && d.str(f.value, f.path, &c.Listen) {
		if err := checkListen(c.Listen); err != nil {
			d.errorf(f.value, f.path, "%v", err)
			listenOK = false
		}
	}
	if f, ok := top["base_url"]; ok && d.bounded(f.value, f.path, &c.BaseURL, maxURLLen) {
		u, err := checkBaseURL(c.BaseURL)
		if err != nil {
			d.errorf(f.value, f.path, "%v", err)
		}
		c.BaseURL = u
	} else if listenOK {
		c.BaseURL = baseURLFor(c.Listen)
	}
	if f, ok := top["database"]; ok && d.str(f.value, f.path, &c.Database) && strings.TrimSpace(c.Database) == "" {
		d.errorf(f.value, f.path, "must not be empty")
	}
	if f, ok := top["log_level"]; ok {
		d.enum(f, &c.LogLevel, "debug", "info", "warn", "error")
	}
	if f, ok := top["log_format"]; ok {
		d.enum(f, &c.LogFormat, "text", "json")
	}
	if f, ok := top["fetch"]; ok {
		d.fetch(f, &c.Fetch)
	}
	if f, ok := top["retention"]; ok {
		d.retention(f, &c.Retention)
	}
	if f, ok := top["tags"]; ok {
		d.tags(f, &c.Tags)
	}
	if f, ok := top["related"]; ok {
		d.related(f, &c.Related)
	}
	if f, ok := top["websub"]; ok {
		d.websub(f, &c.WebSub)
	}
	names := map[string]bool{}
	if f, ok := top["sources"]; ok {
		c.Sources = d.sources(f, c.Fetch.Schedule, names)
	} else {
		d.errorf(root, "sources", "missing; at least one source is required")
	}
	if f, ok := top["outputs"]; ok {
		c.Outputs = d.outputs(f, names)
	}
	return c
}

// enum sets *dst to f's value when it is one of allowed.
func (d *decoder) enum(f field, dst *string, allowed ...string) {
	var v string
	if !d.str(f.value, f.path, &v) {
		return
	}
	for _, a := range allowed {
		if v == a {
			*dst = v
			return
		}
	}
	d.errorf(f.value, f.path, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// atLeast sets *dst to f's integer value and reports it when outside [lo, hi]
// (hi 0: no upper bound).
func (d *decoder) atLeast(f field, dst *int, lo, hi int) {
	if !d.integer(f.value, f.path, dst) {
		return
	}
	switch {
	case *dst < lo:
		d.errorf(f.value, f.path, "must be at least %d, got %d", lo, *dst)
	case hi > 0 && *dst > hi:
		d.errorf(f.value, f.path, "must be at most %d, got %d", hi, *dst)
	}
}

// fetch decodes the fetch section.
func (d *decoder) fetch(f field, c *Fetch) {
	m, _ := d.fields(f.value, f.path, fetchKeys)
	if g, ok := m["schedule"]; ok && d.str(g.value, g.path, &c.Schedule) {
		if err := checkCron(c.Schedule); err != nil {
			d.errorf(g.value, g.path, "%v", err)
		}
	}
	if g, ok := m["timeout"]; ok && d.duration(g.value, g.path, &c.Timeout) && c.Timeout == 0 {
		d.errorf(g.value, g.path, "must be positive")
	}
	if g, ok := m["concurrency"]; ok {
		d.atLeast(g, &c.Concurrency, 1, maxFetchConcurrency)
	}
	if g, ok := m["per_host"]; ok {
		d.atLeast(g, &c.PerHost, 1, maxFetchConcurrency)
	}
	if g, ok := m["max_body"]; ok && d.size(g.value, g.path, &c.MaxBody) && c.MaxBody <= 0 {
		d.errorf(g.value, g.path, "must be positive")
	}
	if g, ok := m["user_agent"]; ok && d.bounded(g.value, g.path, &c.UserAgent, maxUserAgentLen) {
		if err := checkHeaderValue(c.UserAgent); err != nil {
			d.errorf(g.value, g.path, "%v", err)
		}
	}
	if g, ok := m["on_start"]; ok {
		d.boolean(g.value, g.path, &c.OnStart)
	}
	if g, ok := m["allow_private_redirects"]; ok {
		d.boolean(g.value, g.path, &c.AllowPrivateRedirects)
	}
}

// retention decodes the retention section; zero means "no limit" for both keys.
func (d *decoder) retention(f field, c *Retention) {
	m, _ := d.fields(f.value, f.path, retentionKeys)
	if g, ok := m["max_age"]; ok {
		d.duration(g.value, g.path, &c.MaxAge)
	}
	if g, ok := m["max_per_source"]; ok {
		d.atLeast(g, &c.MaxPerSource, 0, 0)
	}
}

// related decodes the related section.
func (d *decoder) related(f field, c *Related) {
	m, _ := d.fields(f.value, f.path, relatedKeys)
	if g, ok := m["limit"]; ok {
		d.atLeast(g, &c.Limit, 1, maxRelatedLimit)
	}
	if g, ok := m["min_shared"]; ok {
		d.atLeast(g, &c.MinShared, 1, maxMinShared)
	}
	if g, ok := m["min_score"]; ok && d.number(g.value, g.path, &c.MinScore) && (c.MinScore < 0 || c.MinScore > 1) {
		d.errorf(g.value, g.path, "must be between 0 and 1")
	}
	if g, ok := m["window"]; ok && d.duration(g.value, g.path, &c.Window) && c.Window == 0 {
		d.errorf(g.value, g.path, "must be positive")
	}
}

// tags decodes the aliases and rules.
func (d *decoder) tags(f field, c *Tags) {
	m, _ := d.fields(f.value, f.path, tagsKeys)
	if g, ok := m["aliases"]; ok {
		d.aliases(g, c.Aliases)
	}
	if g, ok := m["auto"]; ok {
		a, _ := d.fields(g.value, g.path, autoKeys)
		if h, ok := a["enabled"]; ok {
			d.boolean(h.value, h.path, &c.Auto.Enabled)
		}
		if h, ok := a["max"]; ok {
			d.atLeast(h, &c.Auto.Max, 1, maxAutoTerms)
		}
	}
	if g, ok := m["rules"]; ok {
		items, _ := d.list(g.value, g.path)
		for i, n := range items {
			if r, ok := d.rule(n, index(g.path, i)); ok {
				c.Rules = append(c.Rules, r)
			}
		}
	}
}

// aliases decodes the alias -> canonical tag mapping into dst.
func (d *decoder) aliases(f field, dst map[string]string) {
	if isNull(f.value) {
		return
	}
	m := deref(f.value)
	if m.Kind != yaml.MappingNode {
		d.errorf(f.value, f.path, "expected a mapping of alias: tag, got %s", kindName(f.value))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, f.path, "keys must be plain strings, got %s", kindName(k))
			continue
		}
		if len(k.Value) > maxTagLen {
			d.errorf(k, f.path, "alias %s is longer than %d characters", tooLong(k.Value), maxTagLen)
			continue
		}
		p := join(f.path, k.Value)
		alias, ok := d.tagName(k.Value, k, p)
		if !ok {
			continue
		}
		if line, dup := seen[alias]; dup {
			d.errorf(k, p, "duplicate alias %q (first set at line %d)", alias, line)
			continue
		}
		seen[alias] = k.Line
		var target string
		if isNull(v) {
			d.errorf(k, p, "missing the tag it stands for")
			continue
		}
		if !d.str(v, p, &target) {
			continue
		}
		target, ok = d.tagName(target, v, p)
		if !ok {
			continue
		}
		if target == alias {
			d.errorf(v, p, "alias of itself")
			continue
		}
		dst[alias] = target
	}
}

// rule decodes one tag rule.
func (d *decoder) rule(n *yaml.Node, path string) (feeds.TagRule, bool) {
	var r feeds.TagRule
	m, ok := d.fields(n, path, ruleKeys)
	if !ok {
		return r, false
	}
	good := true
	if g, has := m["tag"]; has && !isNull(g.value) {
		var t string
		if d.str(g.value, g.path, &t) {
			r.Tag, good = d.tagName(t, g.value, g.path)
		} else {
			good = false
		}
	} else {
		d.errorf(n, join(path, "tag"), "missing; a rule needs the tag it adds")
		good = false
	}
	g, has := m["any"]
	words := d.strList(g.value, join(path, "any"))
	if len(words) > maxWords {
		d.errorf(g.value, join(path, "any"), "%d words or phrases; at most %d", len(words), maxWords)
		good = false
	}
	for _, w := range words {
		switch t := strings.TrimSpace(w.val); {
		case utf8.RuneCountInString(t) > maxWordLen:
			d.errorf(w.node, w.path, "%s is longer than %d characters", tooLong(t), maxWordLen)
			good = false
		case t != "":
			r.Any = append(r.Any, t)
		default:
			d.errorf(w.node, w.path, "empty word")
			good = false
		}
	}
	listOK := isNull(g.value) || deref(g.value).Kind == yaml.SequenceNode
	if len(r.Any) == 0 && good && listOK {
		at := n
		if has {
			at = g.value
		}
		d.errorf(at, join(path, "any"), "at least one word or phrase is required")
		good = false
	}
	if g, has := m["in"]; has {
		for _, w := range d.strList(g.value, g.path) {
			switch w.val {
			case "title", "summary", "content":
				r.In = append(r.In, w.val)
			default:
				d.errorf(w.node, w.path, "%q is not one of title, summary, content", w.val)
				good = false
			}
		}
	}
	return r, good
}

// sources decodes the sources list, recording each name in names for the
// outputs' references. Sources without a schedule get defSchedule.
func (d *decoder) sources(f field, defSchedule string, names map[string]bool) []feeds.Source {
	items, ok := d.list(f.value, f.path)
	if ok && len(items) == 0 {
		d.errorf(f.value, f.path, "at least one source is required")
		if isNull(f.value) {
			// `sources:` with nothing after it: point at the key, not the next line.
			d.errs[len(d.errs)-1].Line = f.key.Line
		}
	}
	var out []feeds.Source
	first := map[string]string{}
	for i, n := range items {
		path := index(f.path, i)
		m, ok := d.fields(n, path, sourceKeys)
		if !ok {
			continue
		}
		s := feeds.Source{Schedule: defSchedule}
		s.Name = d.name(n, m, path, "source", first)
		if s.Name != "" {
			names[s.Name] = true
		}
		if g, has := m["url"]; has && !isNull(g.value) {
			if d.bounded(g.value, g.path, &s.URL, maxURLLen) {
				if err := checkSourceURL(s.URL); err != nil {
					d.errorf(g.value, g.path, "%v", err)
				}
			}
		} else {
			d.errorf(n, join(path, "url"), "missing; a source needs the URL of its feed")
		}
		if g, has := m["title"]; has {
			d.text(g.value, g.path, &s.Title, maxTitleLen)
		}
		if g, has := m["tags"]; has {
			s.Tags = values(d.tagList(g))
		}
		if g, has := m["schedule"]; has && d.str(g.value, g.path, &s.Schedule) {
			if err := checkCron(s.Schedule); err != nil {
				d.errorf(g.value, g.path, "%v", err)
			}
		}
		out = append(out, s)
	}
	return out
}

// outputs decodes the outputs list; sources names the configured sources.
func (d *decoder) outputs(f field, sources map[string]bool) []feeds.Output {
	items, _ := d.list(f.value, f.path)
	var out []feeds.Output
	first := map[string]string{}
	for i, n := range items {
		path := index(f.path, i)
		m, ok := d.fields(n, path, outputKeys)
		if !ok {
			continue
		}
		o := feeds.Output{Filter: feeds.Filter{Limit: DefaultOutputLimit}}
		o.Name = d.name(n, m, path, "output", first)
		if o.Name == "all" {
			d.errorf(m["name"].value, m["name"].path, `"all" is the built-in feed of every article; choose another name`)
		}
		if g, has := m["title"]; has {
			d.text(g.value, g.path, &o.Title, maxTitleLen)
		}
		if g, has := m["description"]; has {
			d.text(g.value, g.path, &o.Description, maxDescriptionLen)
		}
		var all, none []item
		if g, has := m["tags_any"]; has {
			o.TagsAny = values(d.tagList(g))
		}
		if g, has := m["tags_all"]; has {
			all = d.tagList(g)
			o.TagsAll = values(all)
		}
		if g, has := m["tags_none"]; has {
			none = d.tagList(g)
			o.TagsNone = values(none)
		}
		for _, t := range none {
			if slices.Contains(o.TagsAll, t.val) {
				d.errorf(t.node, t.path, "tag %q is also in tags_all, so nothing could match", t.val)
			}
		}
		if g, has := m["sources"]; has {
			for _, s := range d.strList(g.value, g.path) {
				o.Sources = append(o.Sources, s.val)
				if !sources[s.val] {
					d.errorf(s.node, s.path, "unknown source %q", s.val)
				}
			}
		}
		if g, has := m["limit"]; has {
			d.atLeast(g, &o.Limit, 1, maxOutputLimit)
		}
		if o.Title == "" {
			o.Title = o.Name
		}
		out = append(out, o)
	}
	return out
}

// name decodes and checks the required name of a source or output, reporting
// duplicates among those already in first (name -> where it was first used).
func (d *decoder) name(n *yaml.Node, m map[string]field, path, what string, first map[string]string) string {
	g, has := m["name"]
	if !has || isNull(g.value) {
		d.errorf(n, join(path, "name"), "missing; every %s needs a unique name", what)
		return ""
	}
	var name string
	if !d.str(g.value, g.path, &name) {
		return ""
	}
	if err := checkName(name); err != nil {
		d.errorf(g.value, g.path, "%v", err)
		return name
	}
	if prev, dup := first[name]; dup {
		d.errorf(g.value, g.path, "duplicate %s name %q (also %s)", what, name, prev)
		return name
	}
	first[name] = fmt.Sprintf("%s, line %d", path, g.value.Line)
	return name
}

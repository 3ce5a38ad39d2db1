package config_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/feedloom/feedloom/feeds/config"
)

// src is a minimal valid sources section for cases that break something else.
const src = "sources:\n  - name: a\n    url: https://example.org/feed.xml\n"

// badCase is a config with exactly one problem and the start of the message
// that must report it, as `feedloom check` prints it.
type badCase struct {
	name string
	in   string
	want string // prefix of the single error's Error()
}

// badCases is every rule of the config, broken once. It also seeds FuzzParse.
var badCases = []badCase{
	// file-level
	{"empty file", "", "config.yaml:1: sources: the file is empty; at least one source is required"},
	{"only comments", "# nothing here\n", "config.yaml:1: sources: the file is empty"},
	// The YAML library reports the line where the broken construct began.
	{"syntax error", "sources:\n  - name: a\n   url: x\n", "config.yaml:1: invalid YAML: did not find expected '-' indicator"},
	{"bad indent", "title: x\nfetch:\n  timeout: 1s\n concurrency: 2\n" + src, "config.yaml:3: invalid YAML: did not find expected key"},
	{"unclosed flow", "title: x\nsources: [\n", "config.yaml:2: invalid YAML: did not find expected node content"},
	{"two documents", src + "---\ntitle: x\n", "config.yaml:4: invalid YAML: more than one document"},
	{"top level list", "- a\n- b\n", "config.yaml:1: expected a mapping, got a list"},
	{"missing sources", "title: x\n", "config.yaml:1: sources: missing; at least one source is required"},
	{"empty sources", "title: x\nsources: []\n", "config.yaml:2: sources: at least one source is required"},
	{"null sources", "title: x\nsources:\n", "config.yaml:2: sources: at least one source is required"},
	{"sources not a list", "sources: bbc\n", `config.yaml:1: sources: expected a list, got the string "bbc"`},
	{"duplicate key", "title: a\ntitle: b\n" + src, "config.yaml:2: title: duplicate key (first set at line 1)"},
	{"merge key", "base: &b {url: https://x.org/}\n" + src, `config.yaml:1: base: unknown key`},
	{"merge key in source", "sources:\n  - <<: {url: https://x.org/}\n    name: a\n    url: https://x.org/\n", "config.yaml:2: sources[0].<<: merge keys (<<) are not supported"},

	// unknown keys at every depth
	{"unknown top key", "titel: x\n" + src, `config.yaml:1: titel: unknown key (did you mean "title"?)`},
	{"unknown fetch key", "fetch:\n  timout: 10s\n" + src, `config.yaml:2: fetch.timout: unknown key (did you mean "timeout"?)`},
	{"unknown retention key", "retention:\n  keep: 5\n" + src, "config.yaml:2: retention.keep: unknown key (known keys: max_age, max_per_source)"},
	{"unknown related key", "related:\n  Limit: 5\n" + src, `config.yaml:2: related.Limit: unknown key (did you mean "limit"?)`},
	{"unknown tags key", "tags:\n  alias: {}\n" + src, `config.yaml:2: tags.alias: unknown key (did you mean "aliases"?)`},
	{"unknown rule key", "tags:\n  rules:\n    - tag: x\n      any: [y]\n      where: [title]\n" + src, "config.yaml:5: tags.rules[0].where: unknown key"},
	{"unknown source key", "sources:\n  - name: a\n    url: https://x.org/\n    tag: [world]\n", `config.yaml:4: sources[0].tag: unknown key (did you mean "tags"?)`},
	{"unknown output key", src + "outputs:\n  - name: o\n    tags: [x]\n", "config.yaml:6: outputs[0].tags: unknown key"},

	// top-level scalars
	{"empty title", "title: \"\"\n" + src, "config.yaml:1: title: must not be empty"},
	{"title is a list", "title: [a]\n" + src, "config.yaml:1: title: expected a string, got a list"},
	{"relative base_url", "base_url: /news/\n" + src, `config.yaml:1: base_url: must be an absolute http(s) URL, got "/news/"`},
	{"ftp base_url", "base_url: ftp://example.org/\n" + src, `config.yaml:1: base_url: must be an absolute http(s) URL, got "ftp://example.org/"`},
	{"base_url with query", "base_url: https://example.org/?a=1\n" + src, `config.yaml:1: base_url: URL "https://example.org/?a=1" must not have a query or fragment`},
	{"listen without port", "listen: localhost\n" + src, `config.yaml:1: listen: invalid address "localhost": want host:port`},
	{"listen bad port", "listen: \"127.0.0.1:99999\"\n" + src, `config.yaml:1: listen: invalid port "99999" in "127.0.0.1:99999"`},
	{"empty database", "database: \"\"\n" + src, "config.yaml:1: database: must not be empty"},
	{"log_level", "log_level: verbose\n" + src, `config.yaml:1: log_level: "verbose" is not one of debug, info, warn, error`},
	{"log_format", "log_format: xml\n" + src, `config.yaml:1: log_format: "xml" is not one of text, json`},

	// fetch
	{"fetch not a mapping", "fetch: fast\n" + src, `config.yaml:1: fetch: expected a mapping, got the string "fast"`},
	{"cron step too wide", "fetch:\n  schedule: \"*/61 * * * *\"\n" + src, `config.yaml:2: fetch.schedule: invalid cron spec "*/61 * * * *": step 61 is wider than the minute field (0-59)`},
	{"cron too few fields", "fetch:\n  schedule: \"* * *\"\n" + src, `config.yaml:2: fetch.schedule: invalid cron spec "* * *": `},
	{"cron seconds field", "fetch:\n  schedule: \"0 */15 * * * *\"\n" + src, `config.yaml:2: fetch.schedule: invalid cron spec "0 */15 * * * *": `},
	{"cron bad descriptor", "fetch:\n  schedule: \"@weekdays\"\n" + src, `config.yaml:2: fetch.schedule: invalid cron spec "@weekdays": `},
	{"cron zone alone", "fetch:\n  schedule: TZ=UTC\n" + src, `config.yaml:2: fetch.schedule: invalid cron spec "TZ=UTC": a time zone must be followed by a schedule`},
	{"cron negative every", "fetch:\n  schedule: \"@every -5m\"\n" + src, `config.yaml:2: fetch.schedule: invalid cron spec "@every -5m": @every needs a positive duration`},
	{"timeout not a duration", "fetch:\n  timeout: abc\n" + src, `config.yaml:2: fetch.timeout: invalid duration "abc"`},
	{"timeout without unit", "fetch:\n  timeout: 30\n" + src, `config.yaml:2: fetch.timeout: invalid duration "30"`},
	{"timeout negative", "fetch:\n  timeout: -5s\n" + src, "config.yaml:2: fetch.timeout: must not be negative, got -5s"},
	{"timeout zero", "fetch:\n  timeout: 0s\n" + src, "config.yaml:2: fetch.timeout: must be positive"},
	{"concurrency string", "fetch:\n  concurrency: abc\n" + src, `config.yaml:2: fetch.concurrency: expected an integer, got the string "abc"`},
	{"concurrency float", "fetch:\n  concurrency: 1.5\n" + src, "config.yaml:2: fetch.concurrency: expected an integer, got a number"},
	{"concurrency zero", "fetch:\n  concurrency: 0\n" + src, "config.yaml:2: fetch.concurrency: must be at least 1, got 0"},
	{"per_host zero", "fetch:\n  per_host: 0\n" + src, "config.yaml:2: fetch.per_host: must be at least 1, got 0"},
	{"max_body unit", "fetch:\n  max_body: 10XB\n" + src, `config.yaml:2: fetch.max_body: invalid size "10XB"`},
	{"max_body negative", "fetch:\n  max_body: -1MB\n" + src, `config.yaml:2: fetch.max_body: invalid size "-1MB"`},
	{"max_body fraction", "fetch:\n  max_body: 1.5MB\n" + src, `config.yaml:2: fetch.max_body: invalid size "1.5MB"`},
	{"max_body zero", "fetch:\n  max_body: 0\n" + src, "config.yaml:2: fetch.max_body: must be positive"},
	{"max_body overflow", "fetch:\n  max_body: 99999999999GiB\n" + src, `config.yaml:2: fetch.max_body: size "99999999999GiB" is too large`},
	{"user_agent control", "fetch:\n  user_agent: \"a\\nb\"\n" + src, `config.yaml:2: fetch.user_agent: must not contain control characters`},
	{"on_start string", "fetch:\n  on_start: \"yes please\"\n" + src, `config.yaml:2: fetch.on_start: expected true or false, got the string "yes please"`},
	{"allow_private_redirects int", "fetch:\n  allow_private_redirects: 1\n" + src, "config.yaml:2: fetch.allow_private_redirects: expected true or false, got an integer"},

	// retention, related
	{"max_age", "retention:\n  max_age: 3 months\n" + src, `config.yaml:2: retention.max_age: invalid duration "3 months"`},
	{"max_per_source negative", "retention:\n  max_per_source: -1\n" + src, "config.yaml:2: retention.max_per_source: must be at least 0, got -1"},
	{"related limit zero", "related:\n  limit: 0\n" + src, "config.yaml:2: related.limit: must be at least 1, got 0"},
	{"related limit huge", "related:\n  limit: 100000\n" + src, "config.yaml:2: related.limit: must be at most 100, got 100000"},
	{"min_shared zero", "related:\n  min_shared: 0\n" + src, "config.yaml:2: related.min_shared: must be at least 1, got 0"},
	{"window negative", "related:\n  window: -1h\n" + src, "config.yaml:2: related.window: must not be negative, got -1h"},

	// sources
	{"source not a mapping", "sources:\n  - https://x.org/\n", `config.yaml:2: sources[0]: expected a mapping, got the string "https://x.org/"`},
	{"source without url", "sources:\n  - name: a\n", "config.yaml:2: sources[0].url: missing; a source needs the URL of its feed"},
	{"source without name", "sources:\n  - url: https://x.org/\n", "config.yaml:2: sources[0].name: missing; every source needs a unique name"},
	{"source name upper case", "sources:\n  - name: World\n    url: https://x.org/\n", `config.yaml:2: sources[0].name: invalid name "World": use lower-case letters`},
	{"source name underscore", "sources:\n  - name: a_b\n    url: https://x.org/\n", `config.yaml:2: sources[0].name: invalid name "a_b"`},
	{"source name leading dash", "sources:\n  - name: -a\n    url: https://x.org/\n", `config.yaml:2: sources[0].name: invalid name "-a"`},
	{"source name too long", "sources:\n  - name: " + strings.Repeat("a", 65) + "\n    url: https://x.org/\n", "config.yaml:2: sources[0].name: name \"" + strings.Repeat("a", 65) + "\" is longer than 64 characters"},
	{"source name empty", "sources:\n  - name: \"\"\n    url: https://x.org/\n", "config.yaml:2: sources[0].name: must not be empty"},
	{"duplicate source", src + "  - name: a\n    url: https://y.org/\n", `config.yaml:4: sources[1].name: duplicate source name "a" (also sources[0], line 2)`},
	{"relative url", "sources:\n  - name: a\n    url: feeds/world.xml\n", `config.yaml:3: sources[0].url: URL "feeds/world.xml" is not absolute`},
	{"ftp url", "sources:\n  - name: a\n    url: ftp://x.org/f.xml\n", `config.yaml:3: sources[0].url: URL "ftp://x.org/f.xml": scheme "ftp" is not supported`},
	{"url without host", "sources:\n  - name: a\n    url: \"https:///f.xml\"\n", `config.yaml:3: sources[0].url: URL "https:///f.xml" has no host`},
	{"relative file url", "sources:\n  - name: a\n    url: file:feed.xml\n", `config.yaml:3: sources[0].url: file URL "file:feed.xml" must be file:///absolute/path`},
	{"source schedule", "sources:\n  - name: a\n    url: https://x.org/\n    schedule: \"61 * * * *\"\n", `config.yaml:4: sources[0].schedule: invalid cron spec "61 * * * *": `},
	{"source tags string", "sources:\n  - name: a\n    url: https://x.org/\n    tags: world\n", `config.yaml:4: sources[0].tags: expected a list, got the string "world"`},
	{"source tag empty", "sources:\n  - name: a\n    url: https://x.org/\n    tags: [world, \" \"]\n", "config.yaml:4: sources[0].tags[1]: empty tag"},

	// outputs
	{"output named all", src + "outputs:\n  - name: all\n", `config.yaml:5: outputs[0].name: "all" is the built-in feed of every article`},
	{"output without name", src + "outputs:\n  - title: x\n", "config.yaml:5: outputs[0].name: missing; every output needs a unique name"},
	{"duplicate output", src + "outputs:\n  - name: o\n  - name: o\n", `config.yaml:6: outputs[1].name: duplicate output name "o" (also outputs[0], line 5)`},
	{"unknown source in output", src + "outputs:\n  - name: o\n    sources: [a, b]\n", `config.yaml:6: outputs[0].sources[1]: unknown source "b"`},
	{"output tag empty", src + "outputs:\n  - name: o\n    tags_any: [x, \"\"]\n", "config.yaml:6: outputs[0].tags_any[1]: empty tag"},
	{"output tags_all string", src + "outputs:\n  - name: o\n    tags_all: x\n", `config.yaml:6: outputs[0].tags_all: expected a list, got the string "x"`},
	{"output contradiction", src + "outputs:\n  - name: o\n    tags_all: [Sport]\n    tags_none: [sport]\n", `config.yaml:7: outputs[0].tags_none[0]: tag "sport" is also in tags_all, so nothing could match`},
	{"output limit zero", src + "outputs:\n  - name: o\n    limit: 0\n", "config.yaml:6: outputs[0].limit: must be at least 1, got 0"},
	{"output limit string", src + "outputs:\n  - name: o\n    limit: lots\n", `config.yaml:6: outputs[0].limit: expected an integer, got the string "lots"`},

	// tags
	{"rule without tag", "tags:\n  rules:\n    - any: [x]\n" + src, "config.yaml:3: tags.rules[0].tag: missing; a rule needs the tag it adds"},
	{"rule empty tag", "tags:\n  rules:\n    - tag: \"\"\n      any: [x]\n" + src, "config.yaml:3: tags.rules[0].tag: empty tag"},
	{"rule without any", "tags:\n  rules:\n    - tag: x\n" + src, "config.yaml:3: tags.rules[0].any: at least one word or phrase is required"},
	{"rule empty any", "tags:\n  rules:\n    - tag: x\n      any: []\n" + src, "config.yaml:4: tags.rules[0].any: at least one word or phrase is required"},
	{"rule any string", "tags:\n  rules:\n    - tag: x\n      any: oil\n" + src, `config.yaml:4: tags.rules[0].any: expected a list, got the string "oil"`},
	{"rule empty word", "tags:\n  rules:\n    - tag: x\n      any: [oil, \"\"]\n" + src, "config.yaml:4: tags.rules[0].any[1]: empty word"},
	{"rule bad in", "tags:\n  rules:\n    - tag: x\n      any: [oil]\n      in: [title, body]\n" + src, `config.yaml:5: tags.rules[0].in[1]: "body" is not one of title, summary, content`},
	{"rules not a list", "tags:\n  rules:\n    tag: x\n" + src, "config.yaml:3: tags.rules: expected a list, got a mapping"},
	{"alias without target", "tags:\n  aliases:\n    isis:\n" + src, "config.yaml:3: tags.aliases.isis: missing the tag it stands for"},
	{"alias of itself", "tags:\n  aliases:\n    isis: ISIS\n" + src, "config.yaml:3: tags.aliases.isis: alias of itself"},
	{"alias duplicate", "tags:\n  aliases:\n    isis: a\n    ISIS: b\n" + src, `config.yaml:4: tags.aliases.ISIS: duplicate alias "isis" (first set at line 3)`},
	{"aliases list", "tags:\n  aliases: [isis]\n" + src, "config.yaml:2: tags.aliases: expected a mapping of alias: tag, got a list"},

	// lengths: every string is bounded, and the message quotes only its start
	{"title too long", "title: " + strings.Repeat("é", 201) + "\n" + src, `config.yaml:1: title: the value "` + strings.Repeat("é", 24) + `…" (201 characters) is longer than 200 characters`},
	{"any string too long", "database: " + strings.Repeat("d", 4097) + "\n" + src, `config.yaml:1: database: the value "dddddddddddddddddddddddd…" (4097 characters) is longer than 4096 bytes`},
	{"base_url too long", "base_url: https://x.org/" + strings.Repeat("p", 2048) + "\n" + src, "config.yaml:1: base_url: the value \"https://x.org/pppppppppp…\" (2062 characters) is longer than 2048 bytes"},
	{"user_agent too long", "fetch:\n  user_agent: " + strings.Repeat("u", 513) + "\n" + src, "config.yaml:2: fetch.user_agent: the value"},
	{"source url too long", "sources:\n  - name: a\n    url: https://x.org/" + strings.Repeat("p", 2048) + "\n", "config.yaml:3: sources[0].url: the value"},
	{"source title too long", src + "    title: " + strings.Repeat("t", 201) + "\n", "config.yaml:4: sources[0].title: the value"},
	{"source tags too many", src + "    tags: [" + strings.Repeat("x, ", 50) + "x]\n", "config.yaml:4: sources[0].tags: 51 tags; at most 50"},
	{"output title too long", src + "outputs:\n  - name: o\n    title: " + strings.Repeat("t", 201) + "\n", "config.yaml:6: outputs[0].title: the value"},
	{"output description too long", src + "outputs:\n  - name: o\n    description: " + strings.Repeat("d", 1001) + "\n", "config.yaml:6: outputs[0].description: the value \"dddddddddddddddddddddddd…\" (1001 characters) is longer than 1000 characters"},
	{"output tags too many", src + "outputs:\n  - name: o\n    tags_any: [" + strings.Repeat("x, ", 50) + "x]\n", "config.yaml:6: outputs[0].tags_any: 51 tags; at most 50"},

	// websub
	{"unknown websub key", "websub:\n  leese: 1h\n" + src, `config.yaml:2: websub.leese: unknown key (did you mean "lease"?)`},
	{"websub not a mapping", "websub: true\n" + src, "config.yaml:1: websub: expected a mapping"},
	{"websub enabled not a boolean", "websub:\n  enabled: sometimes\n" + src, "config.yaml:2: websub.enabled: expected true or false"},
	{"websub hub not http", "websub:\n  hub: ftp://hub.example.org/\n" + src, `config.yaml:2: websub.hub: must be an absolute http(s) URL, got "ftp://hub.example.org/"`},
	{"websub hub relative", "websub:\n  hub: /hub\n" + src, `config.yaml:2: websub.hub: must be an absolute http(s) URL, got "/hub"`},
	{"websub lease too short", "websub:\n  min_lease: 1s\n" + src, "config.yaml:2: websub.min_lease: must be at least 1m, got 1s"},
	{"websub lease above max", "websub:\n  lease: 2000h\n" + src, "config.yaml:2: websub.lease: lease (2000h0m0s) must be between min_lease (1h0m0s) and max_lease (720h0m0s)"},
	{"websub min above max", "websub:\n  min_lease: 800h\n" + src, "config.yaml:2: websub.min_lease: min_lease (800h0m0s) must not exceed max_lease (720h0m0s)"},
	{"websub bad duration", "websub:\n  max_lease: 10 days\n" + src, `config.yaml:2: websub.max_lease: invalid duration "10 days"`},
	{"websub no subscriptions per topic", "websub:\n  max_per_topic: 0\n" + src, "config.yaml:2: websub.max_per_topic: must be at least 1, got 0"},
	{"websub no subscriptions per host", "websub:\n  max_per_host: -1\n" + src, "config.yaml:2: websub.max_per_host: must be at least 1, got -1"},
	{"websub no subscriptions", "websub:\n  max_subscriptions: 0\n" + src, "config.yaml:2: websub.max_subscriptions: must be at least 1, got 0"},
	{"websub zero timeout", "websub:\n  timeout: 0s\n" + src, "config.yaml:2: websub.timeout: must be positive and at most 5m0s, got 0s"},
	{"websub subscribe not a boolean", "websub:\n  subscribe: often\n" + src, "config.yaml:2: websub.subscribe: expected true or false"},
	{"websub fallback too short", "websub:\n  fallback_interval: 5s\n" + src, "config.yaml:2: websub.fallback_interval: must be at least 1m, got 5s"},
	{"websub allow_private_callbacks not a boolean", "websub:\n  allow_private_callbacks: 1\n" + src, "config.yaml:2: websub.allow_private_callbacks: expected true or false"},
	{"rule word too long", "tags:\n  rules:\n    - tag: x\n      any: [" + strings.Repeat("w", 201) + "]\n" + src, "config.yaml:4: tags.rules[0].any[0]: the value"},
	{"rule too many words", "tags:\n  rules:\n    - tag: x\n      any: [" + strings.Repeat("w, ", 1000) + "w]\n" + src, "config.yaml:4: tags.rules[0].any: 1001 words or phrases; at most 1000"},
	{"alias too long", "tags:\n  aliases:\n    " + strings.Repeat("a", 101) + ": b\n" + src, "config.yaml:3: tags.aliases: alias the value"},
	{"key too long", strings.Repeat("k", 65) + ": x\n" + src, `config.yaml:1: unknown key: the value "kkkkkkkkkkkkkkkkkkkkkkkk…" (65 characters)`},
}

// A config file larger than MaxFileBytes is refused before it is parsed,
// at the line where it crosses the limit, whether it is read by Load or
// handed to Parse; one just under the limit is parsed.
func TestConfigFileSizeLimit(t *testing.T) {
	comment := "# " + strings.Repeat("c", 98) + "\n" // 100 bytes a line
	lines := config.MaxFileBytes / len(comment)
	big := src + strings.Repeat(comment, lines+1)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%s:%d: the file is larger than 4 MiB, the limit", path, 3+lines+1)
	_, err := config.Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Load of %d bytes: %v\nwant %q", len(big), err, want)
	}
	if _, err := config.Parse(path, []byte(big)); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Parse of %d bytes: %v", len(big), err)
	}
	small := src + strings.Repeat(comment, lines-1)
	if _, err := config.Parse(path, []byte(small)); err != nil {
		t.Errorf("Parse of %d bytes: %v", len(small), err)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse("config.yaml", []byte(tc.in))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tc.want)
			}
			if c != nil {
				t.Errorf("Parse returned a config along with errors")
			}
			var errs config.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not config.Errors: %v", err, err)
			}
			if len(errs) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(errs), err)
			}
			if got := errs[0].Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got  %q\nwant prefix %q", got, tc.want)
			}
		})
	}
}

package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// decoder walks the YAML node tree of one file, collecting every problem
// instead of stopping at the first.
type decoder struct {
	file string
	errs Errors
}

// errorf records a problem at the line of n (or line 0 when n is nil).
func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// sort orders the problems by line, keeping the order of detection within a line.
func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int { return a.Line - b.Line })
}

// yamlLine matches the "yaml: line N: msg" form of the YAML parser's syntax errors.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data into its single top-level node. It returns nil when
// the data is empty or holds only comments, and records a problem (and
// returns nil) when the data is not one well-formed YAML document.
func (d *decoder) document(data []byte) (root *yaml.Node) {
	defer func() {
		// The YAML library must never take the daemon down with it.
		if r := recover(); r != nil {
			d.errorf(nil, "", "invalid YAML: parser failed: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		d.syntaxError(err)
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.errorf(&extra, "", "invalid YAML: more than one document (a second \"---\"); put everything in one")
		return nil
	case !errors.Is(err, io.EOF):
		d.syntaxError(err)
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		return doc.Content[0]
	}
	return &doc
}

// syntaxError records a YAML parser error, with its line when it names one.
func (d *decoder) syntaxError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.errs = append(d.errs, &Error{File: d.file, Line: line, Msg: "invalid YAML: " + m[2]})
		return
	}
	d.errs = append(d.errs, &Error{File: d.file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")})
}

// deref follows an alias (*name) to the node its anchor names. The schema
// has a fixed depth, so even cyclic anchors cannot make the walk endless.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is missing or an explicit null (`key:`, `key: ~`).
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// kindName describes a node's kind for messages like "expected a list, got a string".
func kindName(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.AliasNode:
		return "an alias"
	case n.Kind != yaml.ScalarNode:
		return "nothing"
	}
	switch n.ShortTag() {
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	}
	return fmt.Sprintf("the string %q", n.Value)
}

// join builds a field path: join("fetch", "timeout") is "fetch.timeout".
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index builds a field path for a list element: index("sources", 2) is "sources[2]".
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// field is one key of a mapping as the file wrote it.
type field struct {
	key   *yaml.Node
	value *yaml.Node
	path  string
}

// fields checks that n is a mapping and returns its entries whose keys are in
// known, in file order. Unknown, duplicate and non-string keys are reported.
// A null n is an empty mapping. ok is false when n is not a mapping at all.
func (d *decoder) fields(n *yaml.Node, path string, known []string) (out map[string]field, ok bool) {
	out = map[string]field{}
	if isNull(n) {
		return out, true
	}
	m := deref(n)
	if m.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return out, false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be plain strings, got %s", kindName(k))
			continue
		}
		if len(k.Value) > maxKeyLen {
			d.errorf(k, path, "unknown key: %s", tooLong(k.Value))
			continue
		}
		p := join(path, k.Value)
		if k.ShortTag() == "!!merge" {
			d.errorf(k, p, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		if !slices.Contains(known, k.Value) {
			d.errorf(k, p, "unknown key%s", suggest(k.Value, known))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			d.errorf(k, p, "duplicate key (first set at line %d)", prev.key.Line)
			continue
		}
		out[k.Value] = field{key: k, value: v, path: p}
	}
	return out, true
}

// suggest returns ` (did you mean "x"?)` for the known key closest to key,
// when one is close enough to be a likely typo, else a list of the known keys.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(strings.ToLower(key), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return " (known keys: " + strings.Join(known, ", ") + ")"
}

// editDistance is the Levenshtein distance between a and b, capped in
// effort by the short keys it compares.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalar returns n's scalar node, reporting a problem when n is a list or
// mapping. ok is false for null (the key is then left at its default) and
// for the wrong kind.
func (d *decoder) scalar(n *yaml.Node, path, want string) (*yaml.Node, bool) {
	if isNull(n) {
		return nil, false
	}
	s := deref(n)
	if s.Kind != yaml.ScalarNode {
		d.errorf(n, path, "expected %s, got %s", want, kindName(n))
		return nil, false
	}
	return s, true
}

// str sets *dst to the string value of n, if n holds one. Numbers and
// booleans are taken as written (title: 2024 is the string "2024").
// Strings longer than maxStringLen bytes are reported (without the value)
// and left out.
func (d *decoder) str(n *yaml.Node, path string, dst *string) bool {
	s, ok := d.scalar(n, path, "a string")
	if !ok {
		return false
	}
	if len(s.Value) > maxStringLen {
		d.errorf(n, path, "%s is longer than %d bytes", tooLong(s.Value), maxStringLen)
		return false
	}
	*dst = s.Value
	return true
}

// text is str for display text (titles, descriptions), bounded in
// characters: max of them at most.
func (d *decoder) text(n *yaml.Node, path string, dst *string, max int) bool {
	return d.limited(n, path, dst, max, utf8.RuneCountInString, "characters")
}

// bounded is str with a tighter limit in bytes (URLs, header values).
func (d *decoder) bounded(n *yaml.Node, path string, dst *string, max int) bool {
	return d.limited(n, path, dst, max, func(s string) int { return len(s) }, "bytes")
}

// limited is str with at most max units of the length measure.
func (d *decoder) limited(n *yaml.Node, path string, dst *string, max int, length func(string) int, unit string) bool {
	var v string
	if !d.str(n, path, &v) {
		return false
	}
	if length(v) > max {
		d.errorf(n, path, "%s is longer than %d %s", tooLong(v), max, unit)
		return false
	}
	*dst = v
	return true
}

// tooLong describes an over-long value for a message without repeating it:
// its length and its first few characters.
func tooLong(v string) string {
	const show = 24
	start := v
	if utf8.RuneCountInString(v) > show {
		start = string([]rune(v[:min(len(v), 4*show)])[:show]) + "…"
	}
	return fmt.Sprintf("the value %q (%d characters)", start, utf8.RuneCountInString(v))
}

// integer sets *dst to the integer value of n, if n holds one.
func (d *decoder) integer(n *yaml.Node, path string, dst *int) bool {
	s, ok := d.scalar(n, path, "an integer")
	if !ok {
		return false
	}
	var v int
	if s.ShortTag() != "!!int" || s.Decode(&v) != nil {
		d.errorf(n, path, "expected an integer, got %s", kindName(n))
		return false
	}
	*dst = v
	return true
}

// number sets *dst to the number n holds (an integer or a decimal).
func (d *decoder) number(n *yaml.Node, path string, dst *float64) bool {
	s, ok := d.scalar(n, path, "a number")
	if !ok {
		return false
	}
	var v float64
	if t := s.ShortTag(); t != "!!int" && t != "!!float" || s.Decode(&v) != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.errorf(n, path, "expected a number, got %s", kindName(n))
		return false
	}
	*dst = v
	return true
}

// boolean sets *dst to the boolean value of n, if n holds one.
func (d *decoder) boolean(n *yaml.Node, path string, dst *bool) bool {
	s, ok := d.scalar(n, path, "true or false")
	if !ok {
		return false
	}
	var v bool
	if s.ShortTag() != "!!bool" || s.Decode(&v) != nil {
		d.errorf(n, path, "expected true or false, got %s", kindName(n))
		return false
	}
	*dst = v
	return true
}

// duration sets *dst to the Go duration n holds ("90s", "15m", "720h").
// Negative durations are reported.
func (d *decoder) duration(n *yaml.Node, path string, dst *time.Duration) bool {
	s, ok := d.scalar(n, path, "a duration")
	if !ok {
		return false
	}
	v, err := time.ParseDuration(s.Value)
	if err != nil {
		d.errorf(n, path, "invalid duration %q (use a Go duration such as 90s, 15m or 720h)", s.Value)
		return false
	}
	if v < 0 {
		d.errorf(n, path, "must not be negative, got %s", s.Value)
		return false
	}
	*dst = v
	return true
}

// size sets *dst to the byte count n holds ("10MB", "512KiB", "1048576").
func (d *decoder) size(n *yaml.Node, path string, dst *int64) bool {
	s, ok := d.scalar(n, path, "a size")
	if !ok {
		return false
	}
	v, err := parseSize(s.Value)
	if err != nil {
		d.errorf(n, path, "%v", err)
		return false
	}
	*dst = v
	return true
}

// sizeUnits maps lower-cased size units to their byte multipliers: SI units
// are powers of 1000, IEC units powers of 1024.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
}

// parseSize parses a byte count: digits, then optionally a space and one of
// B, KB, MB, GB, KiB, MiB, GiB (case-insensitive). Negative sizes, fractions
// and overflow are errors.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, known := sizeUnits[unit]
	if num == "" || !known {
		return 0, fmt.Errorf("invalid size %q (use bytes or a number with B, KB, MB, GB, KiB, MiB or GiB, e.g. 10MB)", s)
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v > (1<<63-1)/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return v * mult, nil
}

// list returns the elements of the sequence n. A null n is an empty list;
// anything else but a sequence is reported, and ok is false.
func (d *decoder) list(n *yaml.Node, path string) (items []*yaml.Node, ok bool) {
	if isNull(n) {
		return nil, true
	}
	s := deref(n)
	if s.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, got %s", kindName(n))
		return nil, false
	}
	return s.Content, true
}

// item is one string of a list with where it was written, so later checks
// (a dangling source reference, a bad tag) can point at it.
type item struct {
	val  string
	node *yaml.Node
	path string
}

// strList decodes a list of strings. Null and non-string elements are
// reported and skipped.
func (d *decoder) strList(n *yaml.Node, path string) []item {
	nodes, _ := d.list(n, path)
	var out []item
	for i, it := range nodes {
		p := index(path, i)
		if isNull(it) {
			d.errorf(it, p, "empty entry")
			continue
		}
		var v string
		if d.str(it, p, &v) {
			out = append(out, item{val: v, node: it, path: p})
		}
	}
	return out
}

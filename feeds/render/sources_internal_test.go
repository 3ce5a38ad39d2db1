package render

import (
	"html/template"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// rowTemplate is the range sources.html held before sourceRows replaced
// it: the reference the Go writer must match byte for byte.
const rowTemplate = `{{- range .}}
<tr id="{{.Name}}">
<td class="src" data-label="Source"><strong dir="auto">{{.Title}}</strong><br><span class="meta">{{.Name}}</span></td>
<td class="url" data-label="Feed">{{if .Link}}<a href="{{.Link}}">{{.URL}}</a>{{else}}{{.URL}}{{end}}</td>
<td data-label="Last fetch">{{if .LastFetch.ISO}}<time datetime="{{.LastFetch.ISO}}">{{.LastFetch.Human}}</time>{{else}}never{{end}}</td>
<td data-label="Status"><span class="{{.State}}">{{.Status}}</span></td>
<td class="err" data-label="Error">{{.Error}}</td>
<td data-label="Next attempt">{{if .Next.ISO}}<time datetime="{{.Next.ISO}}">{{.Next.Human}}</time>{{else}}—{{end}}</td>
<td class="num" data-label="Articles">{{.Count}}</td>
</tr>
{{- end}}`

// The rows written in Go are the rows html/template wrote, escaping
// included, for hostile names, titles, errors and URLs.
func TestSourceRowsMatchTemplate(t *testing.T) {
	ref := template.Must(template.New("rows").Parse(rowTemplate))
	when := time.Date(2024, 5, 3, 8, 0, 0, 0, time.UTC)
	site := Site{Title: "Desk", BaseURL: "https://news.example.org/", Sources: map[string]feeds.Source{
		"quoted": {Name: "quoted", Title: `"Quoted" & 'single' <b>bold</b> a+b`},
		"nul":    {Name: "nul", Title: "nul\x00byte"},
	}}
	states := []feeds.SourceState{
		{Name: "plain", URL: "https://example.org/world/rss.xml", LastFetch: when, LastSuccess: when, LastStatus: 200, NextAttempt: when.Add(time.Hour), ArticleCount: 3},
		{Name: "quoted", URL: `https://example.org/a b/"x"/(y)/'z'/é?q=1&r=<2>+3#frag`, LastFetch: when, LastError: `<script>alert("x")</script> & +`, Failures: 2, LastStatus: 503},
		{Name: "nul", URL: "file:///srv/feeds/blog.xml", Gone: true, LastError: "gone\x00"},
		{Name: `"><script>alert(1)</script>`, URL: "javascript:alert(1)"},
		{Name: "pct", URL: "https://example.org/%41%zz/ü/\u2028/%", LastFetch: when},
		{Name: "never"},
	}
	rows := make([]row, len(states))
	for i, st := range states {
		rows[i] = sourceRow(site, st)
	}
	var want strings.Builder
	if err := ref.Execute(&want, rows); err != nil {
		t.Fatal(err)
	}
	got, failing := sourceRows(site, states)
	if string(got) != want.String() {
		t.Errorf("rows differ from the template's\ngot:\n%s\nwant:\n%s", got, want.String())
	}
	if failing != 2 {
		t.Errorf("failing = %d, want 2 (the failing and the gone source)", failing)
	}
}

// line's fast path returns what its slow path would.
func TestPlainLine(t *testing.T) {
	for _, s := range []string{"", "a", "plain words here", " lead", "trail ", "two  spaces", "tab\there", "nl\n", "del\x7f",
		"nul\x00", "é accent", "nbsp\u00a0x", "https://example.org/a?b=c&d", "bidi\u202ex"} {
		slow := strings.Join(strings.Fields(strings.Map(func(r rune) rune {
			if bidiOverride(r) {
				return -1
			}
			return r
		}, clean(s))), " ")
		if got := line(s); got != slow {
			t.Errorf("line(%q) = %q, want %q", s, got, slow)
		}
	}
}

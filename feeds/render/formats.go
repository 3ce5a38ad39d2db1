package render

import (
	"html/template"
	"io"
)

// Format is one feed format: what routes, views and templates need of it.
// A new format costs its writer and one row in Formats.
type Format struct {
	Ext         string // the documents' extension, without the dot
	MediaType   string // for type= attributes
	ContentType string // the responses' Content-Type
	Name        string // short link text ("JSON")
	Title       string // full name ("JSON Feed")
	Write       func(io.Writer, Site, Doc) error
}

// Formats returns the feed formats, in the order pages list them.
func Formats() []Format {
	return []Format{
		{Ext: "atom", MediaType: "application/atom+xml", ContentType: ContentTypeAtom, Name: "Atom", Title: "Atom", Write: Atom},
		{Ext: "rss", MediaType: "application/rss+xml", ContentType: ContentTypeRSS, Name: "RSS", Title: "RSS", Write: RSS},
		{Ext: "json", MediaType: "application/feed+json", ContentType: ContentTypeJSON, Name: "JSON", Title: "JSON Feed", Write: JSON},
	}
}

// FormatOf is the format of a document extension (without the dot).
func FormatOf(ext string) (Format, bool) {
	for _, f := range Formats() {
		if f.Ext == ext {
			return f, true
		}
	}
	return Format{}, false
}

// typeAttr is the format's type="…" attribute, written as a trusted
// attribute: html/template would escape the "+" of a value as &#43;,
// which some regexp-based feed discovery code does not decode.
func (f Format) typeAttr() template.HTMLAttr {
	return template.HTMLAttr(`type="` + f.MediaType + `"`)
}

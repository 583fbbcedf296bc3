package report

import (
	_ "embed"
	"fmt"
	"io"
	"strings"
	"text/template"
)

//go:embed report.md.tmpl
var markdownSource string

var markdownTemplate = template.Must(template.New("report.md").Funcs(template.FuncMap{
	"dict": dict, "md": md, "mdlist": mdList, "bar": textBar,
}).Parse(markdownSource))

// mdSpecial are the characters escaped in Markdown text: those that start
// emphasis, code, links, raw HTML and autolinks ("<"; a ">" alone starts
// nothing inside a line), entities, GitHub strikethrough (a single "~",
// which Debian versions are full of) and table cells, and the backslash
// itself. Every ASCII punctuation character may be
// backslash-escaped in CommonMark, so escaping is always safe.
const mdSpecial = "\\`*_[]<|~&!"

var mdEscaper = func() *strings.Replacer {
	var pairs []string
	for _, c := range mdSpecial {
		pairs = append(pairs, string(c), "\\"+string(c))
	}
	// a line break would end the table row
	pairs = append(pairs, "\n", " ", "\r", " ")
	return strings.NewReplacer(pairs...)
}()

// md escapes untrusted text for a Markdown paragraph or table cell.
func md(s string) string { return mdEscaper.Replace(s) }

func mdList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = md(s)
	}
	return strings.Join(out, listSep)
}

// textBar draws n on a scale where most fills 20 blocks.
func textBar(n, most int64) string {
	if n <= 0 || most <= 0 {
		return ""
	}
	return strings.Repeat("█", max(int(n*20/most), 1))
}

type markdownView struct {
	view
	MostSection, MostPriority int64
}

func most(ts []Tally) int64 {
	var m int64
	for _, t := range ts {
		m = max(m, t.Changed())
	}
	return m
}

// Markdown writes the report as GitHub-flavoured Markdown (see the
// package-level Markdown).
func (r *Report) Markdown(w io.Writer) error {
	v := r.view
	if err := markdownTemplate.Execute(w, markdownView{view: v, MostSection: most(v.Sections.Rows), MostPriority: most(v.Priorities.Rows)}); err != nil {
		return fmt.Errorf("report: Markdown of %s: %w", r.name(), err)
	}
	return nil
}

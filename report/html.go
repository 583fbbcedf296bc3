package report

import (
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{"dict": dict}).Parse(htmlSource))

// dict lets a template pass several values to another.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("report: dict needs key, value pairs")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("report: dict key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// htmlView adds what only the HTML page shows.
type htmlView struct {
	view
	CSVNames []string
}

// HTML writes the report as one self-contained HTML page: inline CSS, SVG
// charts, no scripts and nothing fetched. Key numbers carry DOM ids
// (count-added, count-removed, count-upgraded, count-rebuilds,
// count-downgraded, count-same, count-depends-changed, count-unmatched for
// cross-distro comparisons; rows-<table> for each table's row count).
func HTML(w io.Writer, d Data) error {
	if err := htmlTemplate.Execute(w, htmlView{view: newView(d), CSVNames: CSVNames}); err != nil {
		return fmt.Errorf("report: HTML of %s: %w", snapshotName(d.Old)+" → "+snapshotName(d.New), err)
	}
	return nil
}

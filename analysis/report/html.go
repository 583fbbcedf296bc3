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

// HTML writes the report as one self-contained HTML page (see the
// package-level HTML).
func (r *Report) HTML(w io.Writer) error {
	if err := htmlTemplate.Execute(w, htmlView{view: r.view, CSVNames: CSVNames}); err != nil {
		return fmt.Errorf("report: HTML of %s: %w", r.name(), err)
	}
	return nil
}

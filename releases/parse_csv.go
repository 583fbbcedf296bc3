package releases

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/distroscope/distroscope/datasets"
)

// MaxCSVSize bounds one distro-info CSV. The real files are a few KiB (one
// line per release since 1993); anything near this is not distro-info data.
const MaxCSVSize = 1 << 20

// dateLayout is distro-info's date format (ISO 8601 calendar dates).
// monthLayout is the month-only form distro-info also accepts for dates not
// known to the day; it means the month's last day (as in
// python3-distro-info's convert_date).
const (
	dateLayout  = "2006-01-02"
	monthLayout = "2006-01"
)

func parseDate(s string) (time.Time, error) {
	if len(s) == len(monthLayout) {
		t, err := time.Parse(monthLayout, s)
		if err != nil {
			return time.Time{}, err
		}
		return t.AddDate(0, 1, -1), nil
	}
	return time.Parse(dateLayout, s)
}

// requiredColumns are the columns every distro-info CSV has had since its
// first release; distro-info itself fails without them.
var requiredColumns = []string{"version", "codename", "series", "created"}

// dateColumns maps each date column distro-info-data defines to its field.
// Which of them a file has depends on the distribution (debian: eol-lts,
// eol-elts; ubuntu: eol-server, eol-esm, eol-legacy).
var dateColumns = map[string]func(*datasets.ReleaseRow) *datasets.Date{
	"created":    func(r *datasets.ReleaseRow) *datasets.Date { return &r.Created },
	"release":    func(r *datasets.ReleaseRow) *datasets.Date { return &r.ReleaseDate },
	"eol":        func(r *datasets.ReleaseRow) *datasets.Date { return &r.EOL },
	"eol-lts":    func(r *datasets.ReleaseRow) *datasets.Date { return &r.EOLLTS },
	"eol-elts":   func(r *datasets.ReleaseRow) *datasets.Date { return &r.EOLELTS },
	"eol-server": func(r *datasets.ReleaseRow) *datasets.Date { return &r.EOLServer },
	"eol-esm":    func(r *datasets.ReleaseRow) *datasets.Date { return &r.EOLESM },
	"eol-legacy": func(r *datasets.ReleaseRow) *datasets.Date { return &r.EOLLegacy },
}

// seriesName is what a series may be: it is joined against the release=
// partition value, which is a normalized (lowercase) codename.
var seriesName = regexp.MustCompile(`^[a-z0-9][a-z0-9._+~-]{0,63}$`)

// File is one distro-info CSV, parsed, with what a manifest needs to say
// where its rows came from.
type File struct {
	Distro string // "debian", "ubuntu": the partition's distro
	Name   string // the file's name as given, e.g. "debian.csv"
	Source string // stamped on every row, e.g. "distro-info-data 0.58+deb12u6"
	Size   int64
	SHA256 string // hex SHA-256 of the file's bytes
	Rows   []datasets.ReleaseRow
	// Ignored lists the header's columns this package does not know, in
	// header order. Their values were skipped; a non-empty list means a newer
	// distro-info-data added a column worth a look.
	Ignored []string
}

// Read parses one distro-info CSV and hashes it as it goes. distro names
// the distribution (it becomes the partition and every row's Distro), name
// the file in errors and the manifest, source every row's Source.
func Read(r io.Reader, distro, name, source string) (File, error) {
	h := sha256.New()
	cr := &countingReader{r: io.TeeReader(r, h)}
	rows, ignored, err := parse(cr, distro, name)
	if err != nil {
		return File{}, err
	}
	for i := range rows {
		rows[i].Source = source
	}
	return File{Distro: distro, Name: name, Source: source, Size: cr.n, SHA256: hex.EncodeToString(h.Sum(nil)),
		Rows: rows, Ignored: ignored}, nil
}

// ParseCSV parses one distro-info CSV (debian.csv, ubuntu.csv) into rows
// of distribution distro, naming the file name in errors. Columns are found
// by their header names, in any order; columns it does not know are skipped
// (Read reports them). Rows' Source is left empty.
//
// Every failure to parse is a *ParseError naming the file and line: bad CSV
// syntax, more fields than the header, a missing required column, an empty
// codename or series, a series that is not a lowercase name, a date that is
// neither YYYY-MM-DD nor YYYY-MM, dates out of order (see checkOrder), a
// series or codename listed twice, no rows at all, or more than MaxCSVSize
// bytes.
func ParseCSV(r io.Reader, distro, name string) ([]datasets.ReleaseRow, error) {
	rows, _, err := parse(r, distro, name)
	return rows, err
}

func parse(r io.Reader, distro, name string) ([]datasets.ReleaseRow, []string, error) {
	if distro == "" || datasets.Normalize(distro) != distro {
		return nil, nil, fmt.Errorf("releases: %s: distro %q is not a partition value (say %q)", name, distro, datasets.Normalize(distro))
	}
	lr := &countingReader{r: io.LimitReader(r, MaxCSVSize+1)}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1 // distro-info leaves trailing empty dates out
	cr.ReuseRecord = true
	p := &parser{file: name, distro: distro, csv: cr, seriesLine: map[string]int{}, codenameLine: map[string]int{}}
	line := 0
	fail := func(err error) ([]datasets.ReleaseRow, []string, error) {
		if lr.n > MaxCSVSize {
			return nil, nil, &ParseError{File: name, Line: max(line, 1), Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxCSVSize)}
		}
		var ce *csv.ParseError
		if errors.As(err, &ce) {
			// StartLine: where the broken record starts, which for an
			// unterminated quote is far more useful than where the file ends.
			return nil, nil, &ParseError{File: name, Line: ce.StartLine, Err: fmt.Errorf("%w: %v", ErrSyntax, ce.Err)}
		}
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("releases: read %s: %w", name, err)
	}
	header, err := cr.Read()
	if err == io.EOF {
		return fail(&ParseError{File: name, Line: 1, Err: fmt.Errorf("%w: no header", ErrSyntax)})
	}
	if err != nil {
		return fail(err)
	}
	line, _ = cr.FieldPos(0)
	ignored, err := p.header(header, line)
	if err != nil {
		return fail(err)
	}
	var rows []datasets.ReleaseRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		line, _ = cr.FieldPos(0)
		row, err := p.row(rec)
		if err != nil {
			return fail(err)
		}
		rows = append(rows, row)
	}
	if lr.n > MaxCSVSize {
		return fail(nil)
	}
	if len(rows) == 0 {
		return fail(&ParseError{File: name, Line: max(line, 1), Err: ErrNoReleases})
	}
	return rows, ignored, nil
}

type parser struct {
	file, distro string
	csv          *csv.Reader
	width        int            // header fields
	index        map[string]int // column name → field index
	dates        []dateColumn
	seriesLine   map[string]int // first line of each series, for duplicates
	codenameLine map[string]int
}

type dateColumn struct {
	name  string
	field int
	set   func(*datasets.ReleaseRow) *datasets.Date
}

func (p *parser) header(rec []string, line int) (ignored []string, err error) {
	p.width = len(rec)
	p.index = make(map[string]int, len(rec))
	for i, col := range rec {
		if i == 0 {
			col = strings.TrimPrefix(col, "\uFEFF") // a BOM some editors add
		}
		col = strings.TrimSpace(col)
		if _, dup := p.index[col]; dup {
			return nil, &ParseError{File: p.file, Line: line, Column: col, Err: fmt.Errorf("%w column in header", ErrDuplicate)}
		}
		p.index[col] = i
		if set, ok := dateColumns[col]; ok {
			p.dates = append(p.dates, dateColumn{name: col, field: i, set: set})
		} else if col != "version" && col != "codename" && col != "series" {
			ignored = append(ignored, col)
		}
	}
	for _, col := range requiredColumns {
		if _, ok := p.index[col]; !ok {
			return nil, &ParseError{File: p.file, Line: line, Column: col, Err: ErrMissingColumn}
		}
	}
	return ignored, nil
}

// field returns field i of rec, trimmed ("" when the row stops before it:
// distro-info leaves out trailing empty dates).
func (p *parser) field(rec []string, i int) string {
	if i < len(rec) {
		return strings.TrimSpace(rec[i])
	}
	return ""
}

func (p *parser) errAt(rec []string, field int, series, col string, err error) error {
	line, _ := p.csv.FieldPos(min(field, len(rec)-1))
	return &ParseError{File: p.file, Line: line, Series: series, Column: col, Err: err}
}

func (p *parser) row(rec []string) (datasets.ReleaseRow, error) {
	if len(rec) > p.width {
		return datasets.ReleaseRow{}, p.errAt(rec, p.width, "", "", fmt.Errorf("%w: %d fields, the header has %d", ErrSyntax, len(rec), p.width))
	}
	row := datasets.ReleaseRow{Distro: p.distro}
	si := p.index["series"]
	row.Series = p.field(rec, si)
	switch {
	case row.Series == "":
		return row, p.errAt(rec, si, "", "series", ErrEmpty)
	case !seriesName.MatchString(row.Series):
		return row, p.errAt(rec, si, "", "series", fmt.Errorf("%w: %q is not a lowercase name", ErrInvalidName, row.Series))
	}
	ci := p.index["codename"]
	row.Codename = p.field(rec, ci)
	if row.Codename == "" {
		return row, p.errAt(rec, ci, row.Series, "codename", ErrEmpty)
	}
	vi := p.index["version"]
	row.Version, row.LTS = strings.CutSuffix(p.field(rec, vi), " LTS")
	if strings.ContainsFunc(row.Version, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return row, p.errAt(rec, vi, row.Series, "version", fmt.Errorf("%w: %q", ErrInvalidName, row.Version))
	}
	for _, d := range p.dates {
		s := p.field(rec, d.field)
		if s == "" {
			continue
		}
		t, err := parseDate(s)
		if err != nil {
			return row, p.errAt(rec, d.field, row.Series, d.name, fmt.Errorf("%w: %q is not YYYY-MM-DD or YYYY-MM", ErrInvalidDate, s))
		}
		*d.set(&row) = datasets.DateOf(t)
	}
	if row.Created.IsZero() {
		return row, p.errAt(rec, p.index["created"], row.Series, "created", ErrEmpty)
	}
	if col, err := checkOrder(&row); err != nil {
		i, ok := p.index[col]
		if !ok {
			i = 0
		}
		return row, p.errAt(rec, i, row.Series, col, err)
	}
	line, _ := p.csv.FieldPos(0)
	if first, dup := p.seriesLine[row.Series]; dup {
		return row, p.errAt(rec, si, row.Series, "series", fmt.Errorf("%w: also on line %d", ErrDuplicate, first))
	}
	if first, dup := p.codenameLine[row.Codename]; dup {
		return row, p.errAt(rec, ci, row.Series, "codename", fmt.Errorf("%w: %q also on line %d", ErrDuplicate, row.Codename, first))
	}
	p.seriesLine[row.Series], p.codenameLine[row.Codename] = line, line
	return row, nil
}

// checkOrder rejects dates that contradict each other, because Status reads
// them as consecutive phases: a release comes after its creation, standard
// support ends after the release, and each later phase (Debian LTS, then
// ELTS; Ubuntu's server support, then ESM, then Legacy) ends no earlier than
// the one before and only exists after one. It returns the offending column.
func checkOrder(r *datasets.ReleaseRow) (string, error) {
	supportEnd, supportEndCol := r.EOL, "eol"
	if r.EOLServer > r.EOL {
		supportEnd, supportEndCol = r.EOLServer, "eol-server"
	}
	for _, s := range []struct {
		col, after string
		d, prev    datasets.Date
		needsPrev  bool
	}{
		{"release", "created", r.ReleaseDate, r.Created, false},
		{"eol", "release", r.EOL, r.ReleaseDate, false},
		{"eol-server", "eol", r.EOLServer, r.EOL, true},
		{"eol-lts", "eol", r.EOLLTS, r.EOL, true},
		{"eol-elts", "eol-lts", r.EOLELTS, r.EOLLTS, true},
		{"eol-esm", supportEndCol, r.EOLESM, supportEnd, true},
		{"eol-legacy", "eol-esm", r.EOLLegacy, r.EOLESM, true},
	} {
		switch {
		case s.d.IsZero():
		case s.prev.IsZero() && s.needsPrev:
			return s.col, fmt.Errorf("%w: %s without %s", ErrDateOrder, s.col, s.after)
		case !s.prev.IsZero() && s.d < s.prev:
			return s.col, fmt.Errorf("%w: %s %s is before %s %s", ErrDateOrder, s.col, s.d, s.after, s.prev)
		}
	}
	return "", nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

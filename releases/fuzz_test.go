package releases

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/datasets"
)

// FuzzParseCSV: whatever the input, ParseCSV either fails with a
// *ParseError naming the file and a line, or returns rows that satisfy
// everything Status relies on — and Status then never goes back to an
// earlier phase as the date advances.
func FuzzParseCSV(f *testing.F) {
	for _, path := range []string{debianFixture, ubuntuFixture} {
		data := readFixture(f, path)
		f.Add(data)
		lines := strings.SplitAfter(string(data), "\n")
		for i := 1; i < len(lines); i += 4 {
			f.Add([]byte(lines[0] + strings.Join(lines[i:min(i+4, len(lines))], "")))
		}
	}
	f.Add([]byte("series,codename,created,version,eol-esm\nx,X,2000-01,\"1 LTS\",\n"))
	f.Add([]byte("\uFEFFversion,codename,series,created,release,eol,eol-server,eol-esm,eol-legacy\n1 LTS,A,a,2000-01-01,2000-02-01,2000-03-01,2000-04-01,2000-05-01,2000-06-01\n"))
	phase := map[string]int{StatusUnreleased: 0, StatusSupported: 1, StatusLTS: 2, StatusELTS: 3, StatusESM: 4, StatusLegacy: 5, StatusEOL: 6}
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, err := ParseCSV(bytes.NewReader(in), "fuzz", "fuzz.csv")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || !strings.HasPrefix(err.Error(), "releases: fuzz.csv line ") {
				t.Fatalf("error %v is not a *ParseError with a line", err)
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		series := map[string]bool{}
		for _, r := range rows {
			if !seriesName.MatchString(r.Series) || r.Codename == "" || r.Created.IsZero() || r.Distro != "fuzz" || series[r.Series] {
				t.Fatalf("invalid row %+v", r)
			}
			series[r.Series] = true
			if col, err := checkOrder(&r); err != nil {
				t.Fatalf("row %+v: %s: %v", r, col, err)
			}
			// Every date the row names, and the days either side.
			var days []datasets.Date
			for _, d := range []datasets.Date{r.Created, r.ReleaseDate, r.EOL, r.EOLLTS, r.EOLELTS, r.EOLServer, r.EOLESM, r.EOLLegacy} {
				if !d.IsZero() {
					days = append(days, d-1, d, d+1)
				}
			}
			last := -1
			slices.Sort(days)
			for _, d := range days {
				p, ok := phase[Status(r, d.Time())]
				if !ok {
					t.Fatalf("unknown status %q", Status(r, d.Time()))
				}
				if p < last {
					t.Fatalf("row %+v: status goes back to %s on %s", r, Status(r, d.Time()), d)
				}
				last = p
			}
		}
	})
}

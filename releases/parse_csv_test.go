package releases

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
)

const (
	debianFixture = "testdata/debian.csv"
	ubuntuFixture = "testdata/ubuntu.csv"
	// fixtureSource is the package the fixtures were copied from (README).
	fixtureSource = "distro-info-data 0.58+deb12u6"
)

// day is the Date of "YYYY-MM-DD", zero for "".
func day(s string) datasets.Date {
	if s == "" {
		return 0
	}
	return datasets.DateOf(at(s))
}

// at is midnight UTC of "YYYY-MM-DD".
func at(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseFixture(t testing.TB, path, distro string) []datasets.ReleaseRow {
	t.Helper()
	rows, err := ParseCSV(bytes.NewReader(readFixture(t, path)), distro, filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func bySeries(t testing.TB, rows []datasets.ReleaseRow, series string) datasets.ReleaseRow {
	t.Helper()
	for _, r := range rows {
		if r.Series == series {
			return r
		}
	}
	t.Fatalf("no series %q", series)
	return datasets.ReleaseRow{}
}

// lineOf is the 1-based line of the fixture's row for series.
func lineOf(t testing.TB, data []byte, series string) int {
	t.Helper()
	for i, l := range strings.Split(string(data), "\n") {
		if f := strings.Split(l, ","); len(f) > 2 && f[2] == series {
			return i + 1
		}
	}
	t.Fatalf("no line for %q", series)
	return 0
}

// TestParseFixtures pins a few releases of each file to the values their
// CSV lines hold, one per kind of row: released with every Debian phase,
// without ELTS, development, rolling, Ubuntu LTS with and without Legacy
// dates, with server support, interim.
func TestParseFixtures(t *testing.T) {
	debian := parseFixture(t, debianFixture, "debian")
	ubuntu := parseFixture(t, ubuntuFixture, "ubuntu")
	for _, f := range []struct {
		path string
		rows []datasets.ReleaseRow
	}{{debianFixture, debian}, {ubuntuFixture, ubuntu}} {
		lines := bytes.Count(bytes.TrimSpace(readFixture(t, f.path)), []byte("\n")) // lines after the header
		if len(f.rows) != lines {
			t.Errorf("%s: %d rows, the file has %d lines after its header", f.path, len(f.rows), lines)
		}
	}
	for _, tc := range []struct {
		rows []datasets.ReleaseRow
		want datasets.ReleaseRow
	}{
		{debian, datasets.ReleaseRow{Distro: "debian", Version: "12", Codename: "Bookworm", Series: "bookworm",
			Created: day("2021-08-14"), ReleaseDate: day("2023-06-10"), EOL: day("2026-07-11"),
			EOLLTS: day("2028-06-30"), EOLELTS: day("2033-06-30")}},
		{debian, datasets.ReleaseRow{Distro: "debian", Version: "13", Codename: "Trixie", Series: "trixie",
			Created: day("2023-06-10"), ReleaseDate: day("2025-08-09"), EOL: day("2028-08-09"),
			EOLLTS: day("2030-06-30"), EOLELTS: day("2035-06-30")}},
		{debian, datasets.ReleaseRow{Distro: "debian", Version: "6.0", Codename: "Squeeze", Series: "squeeze",
			Created: day("2009-02-14"), ReleaseDate: day("2011-02-06"), EOL: day("2014-05-31"), EOLLTS: day("2016-02-29")}},
		{debian, datasets.ReleaseRow{Distro: "debian", Version: "14", Codename: "Forky", Series: "forky", Created: day("2025-08-09")}},
		{debian, datasets.ReleaseRow{Distro: "debian", Codename: "Sid", Series: "sid", Created: day("1993-08-16")}},
		{ubuntu, datasets.ReleaseRow{Distro: "ubuntu", Version: "22.04", LTS: true, Codename: "Jammy Jellyfish", Series: "jammy",
			Created: day("2021-10-14"), ReleaseDate: day("2022-04-21"), EOL: day("2027-06-01"), EOLServer: day("2027-06-01"),
			EOLESM: day("2032-04-21"), EOLLegacy: day("2034-04-25")}},
		{ubuntu, datasets.ReleaseRow{Distro: "ubuntu", Version: "24.04", LTS: true, Codename: "Noble Numbat", Series: "noble",
			Created: day("2023-10-12"), ReleaseDate: day("2024-04-25"), EOL: day("2029-05-31"), EOLServer: day("2029-05-31"),
			EOLESM: day("2034-04-25"), EOLLegacy: day("2036-04-29")}},
		{ubuntu, datasets.ReleaseRow{Distro: "ubuntu", Version: "12.04", LTS: true, Codename: "Precise Pangolin", Series: "precise",
			Created: day("2011-10-13"), ReleaseDate: day("2012-04-26"), EOL: day("2017-04-28"), EOLServer: day("2017-04-28"),
			EOLESM: day("2019-04-26")}},
		{ubuntu, datasets.ReleaseRow{Distro: "ubuntu", Version: "10.04", LTS: true, Codename: "Lucid Lynx", Series: "lucid",
			Created: day("2009-10-29"), ReleaseDate: day("2010-04-29"), EOL: day("2013-05-09"), EOLServer: day("2015-04-30")}},
		{ubuntu, datasets.ReleaseRow{Distro: "ubuntu", Version: "25.04", Codename: "Plucky Puffin", Series: "plucky",
			Created: day("2024-10-10"), ReleaseDate: day("2025-04-17"), EOL: day("2026-01-15")}},
	} {
		t.Run(tc.want.Series, func(t *testing.T) {
			got := bySeries(t, tc.rows, tc.want.Series)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestMatchesPythonDistroInfo compares every row with what
// python3-distro-info, an independent reader of the same files, makes of it
// (testdata/python-distro-info-rows.json, from make-reference.sh; that
// version does not read eol-legacy).
func TestMatchesPythonDistroInfo(t *testing.T) {
	got := map[string][]datasets.ReleaseRow{
		"debian": parseFixture(t, debianFixture, "debian"),
		"ubuntu": parseFixture(t, ubuntuFixture, "ubuntu"),
	}
	type pyRow struct {
		Distro    string  `json:"distro"`
		Version   string  `json:"version"`
		Codename  string  `json:"codename"`
		Series    string  `json:"series"`
		Created   *string `json:"created"`
		Release   *string `json:"release"`
		EOL       *string `json:"eol"`
		EOLLTS    *string `json:"eol_lts"`
		EOLELTS   *string `json:"eol_elts"`
		EOLServer *string `json:"eol_server"`
		EOLESM    *string `json:"eol_esm"`
	}
	f, err := os.Open("testdata/python-distro-info-rows.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p pyRow
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		i := n[p.Distro]
		n[p.Distro]++
		if i >= len(got[p.Distro]) {
			t.Fatalf("python has more %s rows than ParseCSV (%d)", p.Distro, len(got[p.Distro]))
		}
		r := got[p.Distro][i]
		d := func(s *string) datasets.Date {
			if s == nil {
				return 0
			}
			return day(*s)
		}
		want := datasets.ReleaseRow{Distro: p.Distro, Version: strings.TrimSuffix(p.Version, " LTS"), LTS: strings.HasSuffix(p.Version, " LTS"),
			Codename: p.Codename, Series: p.Series, Created: d(p.Created), ReleaseDate: d(p.Release), EOL: d(p.EOL),
			EOLLTS: d(p.EOLLTS), EOLELTS: d(p.EOLELTS), EOLServer: d(p.EOLServer), EOLESM: d(p.EOLESM), EOLLegacy: r.EOLLegacy}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("%s row %d:\ngot  %+v\nwant %+v", p.Distro, i, r, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for distro, rows := range got {
		if n[distro] != len(rows) {
			t.Errorf("%s: python read %d rows, ParseCSV %d", distro, n[distro], len(rows))
		}
	}
}

// TestColumnsByName shuffles the fixture's columns and drops the ones that
// are not required: the rows must not change.
func TestColumnsByName(t *testing.T) {
	want := parseFixture(t, ubuntuFixture, "ubuntu")
	recs, err := func() ([][]string, error) {
		r := csv.NewReader(bytes.NewReader(readFixture(t, ubuntuFixture)))
		r.FieldsPerRecord = -1
		return r.ReadAll()
	}()
	if err != nil {
		t.Fatal(err)
	}
	width := len(recs[0])
	perm := []int{8, 2, 0, 7, 3, 1, 6, 4, 5} // a shuffle of the nine columns
	if len(perm) != width {
		t.Fatalf("ubuntu.csv has %d columns, the test shuffles %d", width, len(perm))
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, rec := range recs {
		rec = append(rec, make([]string, width-len(rec))...)
		out := make([]string, width)
		for i, j := range perm {
			out[i] = rec[j]
		}
		w.Write(out)
	}
	w.Flush()
	got, err := ParseCSV(&buf, "ubuntu", "shuffled.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("shuffled columns changed the rows")
	}
}

// TestUnknownColumns: a column a newer distro-info-data might add is skipped
// and reported, and the rows are the same.
func TestUnknownColumns(t *testing.T) {
	data := readFixture(t, debianFixture)
	lines := strings.Split(string(data), "\n")
	lines[0] += ",eol-example,notes"
	f, err := Read(strings.NewReader(strings.Join(lines, "\n")), "debian", "debian.csv", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"eol-example", "notes"}; !reflect.DeepEqual(f.Ignored, want) {
		t.Errorf("Ignored = %q, want %q", f.Ignored, want)
	}
	plain, err := Read(bytes.NewReader(data), "debian", "debian.csv", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	if len(plain.Ignored) != 0 {
		t.Errorf("the real file has unknown columns %q", plain.Ignored)
	}
	if !reflect.DeepEqual(f.Rows, plain.Rows) {
		t.Errorf("an unknown column changed the rows")
	}
}

// TestMonthDates: a date known only to the month means its last day.
func TestMonthDates(t *testing.T) {
	data := readFixture(t, debianFixture)
	edited := strings.Replace(string(data), "15,Duke,duke,2027-08-01", "15,Duke,duke,2028-02", 1)
	if edited == string(data) {
		t.Fatal("fixture has no duke line to edit")
	}
	rows, err := ParseCSV(strings.NewReader(edited), "debian", "debian.csv")
	if err != nil {
		t.Fatal(err)
	}
	if got := bySeries(t, rows, "duke").Created; got != day("2028-02-29") {
		t.Errorf("created 2028-02 = %s, want the month's last day", got)
	}
}

// TestCorrupt damages the real files one way at a time; each must fail
// with a *ParseError naming the file and the damaged line.
func TestCorrupt(t *testing.T) {
	deb := string(readFixture(t, debianFixture))
	ubu := string(readFixture(t, ubuntuFixture))
	debLines := strings.Split(strings.TrimSuffix(deb, "\n"), "\n")
	bookworm := lineOf(t, []byte(deb), "bookworm")
	trixie := lineOf(t, []byte(deb), "trixie")
	jammy := lineOf(t, []byte(ubu), "jammy")
	replace := func(t *testing.T, in, old, new string) string {
		out := strings.Replace(in, old, new, 1)
		if out == in {
			t.Fatalf("fixture has no %q", old)
		}
		return out
	}
	// A codename a megabyte long: every line valid until the bound.
	big := deb + "16,X" + strings.Repeat("x", MaxCSVSize) + ",x,2030-01-01\n"
	for _, tc := range []struct {
		name   string
		file   string
		edit   func(t *testing.T) string
		line   int
		column string
		err    error
	}{
		{"bad date", "debian.csv", func(t *testing.T) string { return replace(t, deb, "2023-06-10,2026-07-11", "2023-06-10,2026-13-11") },
			bookworm, "eol", ErrInvalidDate},
		{"date with time", "ubuntu.csv", func(t *testing.T) string { return replace(t, ubu, "2027-06-01,2032", "2027-06-01T00:00:00,2032") },
			jammy, "eol-server", ErrInvalidDate},
		{"missing codename column", "debian.csv", func(t *testing.T) string { return replace(t, deb, "version,codename,", "version,name,") },
			1, "codename", ErrMissingColumn},
		{"missing created column", "ubuntu.csv", func(t *testing.T) string { return replace(t, ubu, ",created,", ",creation,") },
			1, "created", ErrMissingColumn},
		{"duplicate header column", "debian.csv", func(t *testing.T) string { return replace(t, deb, "eol-lts", "eol") },
			1, "eol", ErrDuplicate},
		{"duplicate series", "debian.csv", func(t *testing.T) string { return deb + debLines[bookworm-1] + "\n" },
			len(debLines) + 1, "series", ErrDuplicate},
		{"duplicate codename", "debian.csv", func(t *testing.T) string {
			return deb + strings.Replace(debLines[bookworm-1], ",bookworm,", ",bookworm2,", 1) + "\n"
		}, len(debLines) + 1, "codename", ErrDuplicate},
		{"release before created", "debian.csv", func(t *testing.T) string {
			return replace(t, deb, "Trixie,trixie,2023-06-10,2025-08-09", "Trixie,trixie,2025-08-09,2023-06-10")
		}, trixie, "release", ErrDateOrder},
		{"elts before lts", "debian.csv", func(t *testing.T) string { return replace(t, deb, "2028-06-30,2033-06-30", "2033-06-30,2028-06-30") },
			bookworm, "eol-elts", ErrDateOrder},
		{"lts without eol", "debian.csv", func(t *testing.T) string { return replace(t, deb, "2023-06-10,2026-07-11,", "2023-06-10,,") },
			bookworm, "eol-lts", ErrDateOrder},
		{"esm before eol", "ubuntu.csv", func(t *testing.T) string { return replace(t, ubu, "2027-06-01,2032-04-21", "2027-06-01,2026-04-21") },
			jammy, "eol-esm", ErrDateOrder},
		{"more fields than header", "debian.csv", func(t *testing.T) string { return replace(t, deb, "2033-06-30\n", "2033-06-30,2040-01-01\n") },
			bookworm, "", ErrSyntax},
		{"empty series", "debian.csv", func(t *testing.T) string { return replace(t, deb, "Trixie,trixie,", "Trixie,,") },
			trixie, "series", ErrEmpty},
		{"empty codename", "debian.csv", func(t *testing.T) string { return replace(t, deb, "Trixie,trixie,", ",trixie,") },
			trixie, "codename", ErrEmpty},
		{"empty created", "debian.csv", func(t *testing.T) string { return replace(t, deb, "trixie,2023-06-10,", "trixie,,") },
			trixie, "created", ErrEmpty},
		{"series not lowercase", "debian.csv", func(t *testing.T) string { return replace(t, deb, "Trixie,trixie,", "Trixie,Trixie,") },
			trixie, "series", ErrInvalidName},
		{"series with a slash", "ubuntu.csv", func(t *testing.T) string { return replace(t, ubu, ",jammy,", ",jammy/../x,") },
			jammy, "series", ErrInvalidName},
		{"version with a tab", "debian.csv", func(t *testing.T) string { return replace(t, deb, "13,Trixie", "1\t3,Trixie") },
			trixie, "version", ErrInvalidName},
		{"unterminated quote", "debian.csv", func(t *testing.T) string { return replace(t, deb, "13,Trixie", "13,\"Trixie") },
			trixie, "", ErrSyntax},
		{"truncated mid-date", "debian.csv", func(t *testing.T) string { return deb[:strings.Index(deb, "2033-06-30")+6] },
			bookworm, "eol-elts", ErrInvalidDate},
		{"header only", "debian.csv", func(t *testing.T) string { return debLines[0] + "\n" }, 1, "", ErrNoReleases},
		{"empty", "debian.csv", func(t *testing.T) string { return "" }, 1, "", ErrSyntax},
		{"oversized", "debian.csv", func(t *testing.T) string { return big }, -1, "", ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			distro := strings.TrimSuffix(tc.file, ".csv")
			rows, err := ParseCSV(strings.NewReader(tc.edit(t)), distro, tc.file)
			if err == nil {
				t.Fatalf("no error; %d rows", len(rows))
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("%v is not a *ParseError", err)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("%v is not %v", err, tc.err)
			}
			if pe.File != tc.file || (tc.line > 0 && pe.Line != tc.line) || pe.Line < 1 || pe.Column != tc.column {
				t.Errorf("%v: at %s line %d column %q, want %s line %d column %q", err, pe.File, pe.Line, pe.Column, tc.file, tc.line, tc.column)
			}
			if !strings.HasPrefix(err.Error(), "releases: "+tc.file+" line ") {
				t.Errorf("message %q does not start with the file and line", err)
			}
		})
	}
}

func TestParseRejectsBadDistro(t *testing.T) {
	for _, distro := range []string{"", "Debian", "de/bian"} {
		if _, err := ParseCSV(bytes.NewReader(readFixture(t, debianFixture)), distro, "debian.csv"); err == nil {
			t.Errorf("distro %q accepted", distro)
		}
	}
}

func TestLoad(t *testing.T) {
	files, err := Load("testdata", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("Load found %d files, want debian and ubuntu", len(files))
	}
	for _, distro := range []string{"debian", "ubuntu"} {
		f := files[distro]
		data := readFixture(t, filepath.Join("testdata", distro+".csv"))
		sum := sha256.Sum256(data)
		if f.Distro != distro || f.Name != distro+".csv" || f.Size != int64(len(data)) || f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: got %s %s size %d sha256 %s, want size %d sha256 %x", distro, f.Distro, f.Name, f.Size, f.SHA256, len(data), sum)
		}
		if want := parseFixture(t, filepath.Join("testdata", distro+".csv"), distro); len(f.Rows) != len(want) {
			t.Errorf("%s: %d rows, ParseCSV gives %d", distro, len(f.Rows), len(want))
		}
		for _, r := range f.Rows {
			if r.Source != fixtureSource || r.Distro != distro {
				t.Fatalf("%s: row %s has source %q distro %q", distro, r.Series, r.Source, r.Distro)
			}
		}
	}

	dir := t.TempDir()
	if _, err := Load(dir, fixtureSource); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of an empty folder: %v, want fs.ErrNotExist", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ubuntu.csv"), []byte("version,codename,series,created\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, fixtureSource); !errors.Is(err, ErrNoReleases) || !strings.Contains(err.Error(), "ubuntu.csv line 1") {
		t.Errorf("Load of a header-only ubuntu.csv: %v", err)
	}
}

// TestDate: the row's dates are calendar days whichever zone a time is in,
// and read as dates in JSON.
func TestDate(t *testing.T) {
	d := datasets.DateOf(time.Date(2026, 7, 10, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600)))
	if d.String() != "2026-07-11" || !d.Time().Equal(at("2026-07-11")) || d.IsZero() {
		t.Errorf("DateOf(23:30 at UTC-2 on the 10th) = %s (%s)", d, d.Time())
	}
	var zero datasets.Date
	if zero.String() != "" || !zero.Time().IsZero() || !zero.IsZero() {
		t.Errorf("zero Date = %q %s", zero, zero.Time())
	}
	row := bySeries(t, parseFixture(t, debianFixture, "debian"), "forky")
	b, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"Created":"2025-08-09"`)) || !bytes.Contains(b, []byte(`"EOL":""`)) {
		t.Errorf("JSON %s", b)
	}
	var back datasets.ReleaseRow
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, row) {
		t.Errorf("JSON round trip: %+v %v, want %+v", back, err, row)
	}
	if err := json.Unmarshal([]byte(`{"Created":"2025-13-01"}`), &back); err == nil {
		t.Error("month 13 accepted")
	}
}

package report

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestOutputs: Outputs names every output once, CSVs first in CSVNames
// order and the HTML page last, and each renders exactly what the
// output's own method writes.
func TestOutputs(t *testing.T) {
	want := []string{"csv/downgrades.csv", "csv/by_section.csv", "csv/by_priority.csv", "csv/dependency_changes.csv",
		"csv/essential_changes.csv", "csv/largest_jumps.csv", "csv/lag.csv", "csv/unmatched.csv", "csv/sources.csv",
		"report.md", "report.html"}
	// big: the version corpus's ~3,900 pairs with dependency deltas on a
	// third of them and one clause list larger than any buffer, so that
	// the changes table spans many buffer flushes and one cell is written
	// past the buffer.
	big := func() Data {
		c := corpusChanges(t)
		for i := range c {
			if i%3 == 0 {
				c[i].DependsAdded = []string{"libc6 (>= 2.36)", c[i].Package + " (= " + c[i].NewVersion + ")"}
				c[i].DependsChanged = []string{"perl, \"quoted\" (>= 5) -> perl (>= 5.36)"}
			}
		}
		c[len(c)/2].DependsRemoved = []string{strings.Repeat("libhuge-dev (>= 1.0), ", 8000)}
		return Data{Old: bookwormOld, New: bookwormNew, Summary: summarize(bookwormOld, bookwormNew, c), Changes: c, Format: "deb"}
	}
	for _, s := range append(samples, struct {
		name string
		data func() Data
	}{"big", big}) {
		t.Run(s.name, func(t *testing.T) {
			r := New(s.data())
			var names []string
			type file struct {
				Name string
				Data []byte
			}
			var files []file
			for _, o := range r.Outputs() {
				names = append(names, o.Name)
				var b bytes.Buffer
				if err := o.Render(&b); err != nil {
					t.Fatal(err)
				}
				files = append(files, file{o.Name, b.Bytes()})
			}
			if !slices.Equal(names, want) {
				t.Fatalf("Outputs names\n %q\nwant\n %q", names, want)
			}
			for _, f := range files {
				var b bytes.Buffer
				var err error
				switch name, isCSV := strings.CutPrefix(f.Name, "csv/"); {
				case isCSV:
					err = r.CSV(&b, name)
				case f.Name == "report.md":
					err = r.Markdown(&b)
				default:
					err = r.HTML(&b)
				}
				if err != nil {
					t.Fatal(err)
				}
				if b.Len() == 0 || !bytes.Equal(f.Data, b.Bytes()) {
					t.Errorf("%s from Outputs (%d bytes) differs from its own render (%d bytes)", f.Name, len(f.Data), b.Len())
				}
			}
			// Pages renders the same two pages, in the same order.
			pages, err := r.Pages()
			if err != nil {
				t.Fatal(err)
			}
			if len(pages) != 2 || pages[0].Name != "report.md" || pages[1].Name != "report.html" ||
				!bytes.Equal(pages[0].Data, files[len(files)-2].Data) || !bytes.Equal(pages[1].Data, files[len(files)-1].Data) {
				t.Error("Pages differ from the pages of Outputs")
			}
			// The package-level functions render the same bytes.
			var page, md bytes.Buffer
			if err := HTML(&page, s.data()); err != nil {
				t.Fatal(err)
			}
			if err := Markdown(&md, s.data()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(page.Bytes(), files[len(files)-1].Data) || !bytes.Equal(md.Bytes(), files[len(files)-2].Data) {
				t.Error("HTML or Markdown of Data differs from the Report's")
			}
		})
	}
}

// TestReportDoesNotChangeData: New refers to the caller's rows; rendering
// must leave them (and their order) as they were.
func TestReportDoesNotChangeData(t *testing.T) {
	d := sampleData()
	before := sampleData()
	for _, o := range New(d).Outputs() {
		if err := o.Render(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	for i := range d.Changes {
		a, b := d.Changes[i], before.Changes[i]
		if a.Package != b.Package || a.Kind != b.Kind || a.OldVersion != b.OldVersion || !slices.Equal(a.DependsRemoved, b.DependsRemoved) {
			t.Fatalf("row %d changed: %+v, was %+v", i, a, b)
		}
	}
	for i := range d.Sources {
		if d.Sources[i].Source != before.Sources[i].Source || !slices.Equal(d.Sources[i].Binaries, before.Sources[i].Binaries) {
			t.Fatalf("source %d changed: %+v", i, d.Sources[i])
		}
	}
}

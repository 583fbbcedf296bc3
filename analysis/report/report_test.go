package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden (and testdata/*screenshot.png) from the current output")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./analysis/report -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./analysis/report -update rewrites it); got:\n%s", path, got)
	}
}

var samples = []struct {
	name string
	data func() Data
}{
	{"bookworm", sampleData},
	{"cross", crossData},
}

func TestMarkdownGolden(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Markdown(&b, s.data()); err != nil {
				t.Fatal(err)
			}
			golden(t, s.name+".md.golden", b.Bytes())
		})
	}
}

func TestCSVGolden(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			for _, name := range CSVNames {
				var b bytes.Buffer
				if err := WriteCSV(&b, name, s.data()); err != nil {
					t.Fatal(err)
				}
				golden(t, csvGolden(s.name, name), b.Bytes())
			}
		})
	}
}

// csvGolden names the golden file of one CSV table of a sample.
func csvGolden(sample, table string) string {
	return sample + "." + strings.TrimSuffix(table, ".csv") + ".csv.golden"
}

// TestNoStaleGoldenFiles: every golden file is one a test compares, so a
// table that leaves CSVNames cannot leave behind a golden nothing reads
// (and that a reader would take for the table's current output).
func TestNoStaleGoldenFiles(t *testing.T) {
	compared := map[string]bool{}
	for _, s := range samples {
		compared[s.name+".md.golden"] = true
		for _, name := range CSVNames {
			compared[csvGolden(s.name, name)] = true
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files in testdata")
	}
	for _, f := range files {
		if !compared[filepath.Base(f)] {
			t.Errorf("%s is compared by no test: remove it", f)
		}
	}
}

func TestWriteCSVUnknownTable(t *testing.T) {
	err := WriteCSV(new(bytes.Buffer), "secrets.csv", sampleData())
	if err == nil || !strings.Contains(err.Error(), "secrets.csv") {
		t.Fatalf("err = %v, want one naming the table", err)
	}
}

package releases

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
	"github.com/distroscope/distroscope/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./releases -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s changed; a schema change needs a new table version.\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

// TestSchemaGolden pins the releases table's Parquet schema and the Arrow
// schema Arrow's own reader derives from it, as datasets does for its
// tables.
func TestSchemaGolden(t *testing.T) {
	tb := datasets.Releases
	golden(t, fmt.Sprintf("%s.v%d.parquet-schema", tb.Name, tb.Version), tb.Schema.String()+"\n")
	as, err := datasets.ArrowSchema(tb)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, fmt.Sprintf("%s.v%d.arrow-schema", tb.Name, tb.Version), as.String()+"\n")
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	s, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestWriteRoundTrip commits both fixtures to a folder store and reads the
// Parquet back: same rows (sorted by series), absent dates stored as nulls,
// the partition and manifest as documented, nothing left staged; a second
// Write of the same CSV reuses the partition.
func TestWriteRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	files, err := Load("testdata", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, distro := range []string{"debian", "ubuntu"} {
		t.Run(distro, func(t *testing.T) {
			f := files[distro]
			m, err := Write(ctx, st, f, now)
			if err != nil {
				t.Fatal(err)
			}
			newest := slices.MaxFunc(f.Rows, func(a, b datasets.ReleaseRow) int { return int(a.Created - b.Created) }).Created.Time()
			wantPart := datasets.Partition{Distro: distro, Release: "all", Snapshot: datasets.SnapshotID(newest, f.SHA256)}
			if m.Partition != wantPart || f.Partition() != wantPart {
				t.Errorf("partition %+v (File.Partition %+v), want %+v", m.Partition, f.Partition(), wantPart)
			}
			if !strings.HasPrefix(m.Partition.Snapshot, newest.Format("20060102")+"T000000Z-"+f.SHA256[:12]) {
				t.Errorf("snapshot id %s does not start with the newest creation date and the hash", m.Partition.Snapshot)
			}
			wantInputs := []datasets.Input{{Path: distro + ".csv", Size: f.Size, SHA256: f.SHA256}}
			if m.Table != "releases" || m.SchemaVersion != 1 || m.Rows != int64(len(f.Rows)) || !m.CommittedAt.Equal(now) ||
				!reflect.DeepEqual(m.Inputs, wantInputs) || len(m.Files) != 1 || m.Files[0].Key != datasets.Releases.DataKey(wantPart) {
				t.Errorf("manifest %+v", m)
			}
			wantKey := "releases/v1/distro=" + distro + "/release=all/snapshot=" + wantPart.Snapshot + "/part-00000.parquet"
			if m.Files[0].Key != wantKey {
				t.Errorf("data key %s, want %s", m.Files[0].Key, wantKey)
			}
			if staged, err := st.List(ctx, "_staging/"); err != nil || len(staged) != 0 {
				t.Errorf("staging area after Write: %v %v", staged, err)
			}

			data := storetest.Get(t, st, m.Files[0].Key)
			pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if !parquet.SameNodes(pf.Schema(), datasets.Releases.Schema) {
				t.Errorf("file schema %s", pf.Schema())
			}
			if v, _ := pf.Lookup("distroscope.table"); v != "releases" {
				t.Errorf("distroscope.table = %q", v)
			}
			got, err := parquet.Read[datasets.ReleaseRow](bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(f.Rows)
			slices.SortFunc(want, func(a, b datasets.ReleaseRow) int { return datasets.CompareReleaseRows(&a, &b) })
			for i := range want {
				want[i].Distro = "" // the partition's, not the file's
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows read back differ:\ngot  %+v\nwant %+v", got, want)
			}

			// Absent dates are nulls, not 1970: count them per column.
			nulls := map[string]int64{}
			for _, rg := range pf.Metadata().RowGroups {
				for _, c := range rg.Columns {
					nulls[strings.Join(c.MetaData.PathInSchema, ".")] += c.MetaData.Statistics.NullCount
				}
			}
			var zero int64
			for _, col := range []struct {
				name string
				get  func(datasets.ReleaseRow) datasets.Date
			}{
				{"release_date", func(r datasets.ReleaseRow) datasets.Date { return r.ReleaseDate }},
				{"eol", func(r datasets.ReleaseRow) datasets.Date { return r.EOL }},
				{"eol_lts", func(r datasets.ReleaseRow) datasets.Date { return r.EOLLTS }},
				{"eol_esm", func(r datasets.ReleaseRow) datasets.Date { return r.EOLESM }},
				{"eol_legacy", func(r datasets.ReleaseRow) datasets.Date { return r.EOLLegacy }},
			} {
				var n int64
				for _, r := range f.Rows {
					if col.get(r).IsZero() {
						n++
					}
				}
				if nulls[col.name] != n {
					t.Errorf("%s: %d nulls in the file, %d rows without the date", col.name, nulls[col.name], n)
				}
				zero += n
			}
			if zero == 0 {
				t.Errorf("no absent dates to check")
			}

			// The same CSV again: the committed partition, unchanged.
			again, err := Write(ctx, st, f, now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again, m) {
				t.Errorf("second Write: %+v, want the first manifest %+v", again, m)
			}
			if !bytes.Equal(storetest.Get(t, st, m.Files[0].Key), data) {
				t.Errorf("second Write rewrote the data")
			}
		})
	}
	ms, err := datasets.ListManifests(ctx, st, datasets.Releases)
	if err != nil || len(ms) != 2 {
		t.Fatalf("ListManifests: %d %v, want one partition per distro", len(ms), err)
	}
}

// TestWriteEditedCSV: a distro-info-data update that only moves a date
// keeps the snapshot id's date and gets a new partition beside the old one.
func TestWriteEditedCSV(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	data := readFixture(t, debianFixture)
	orig, err := Read(bytes.NewReader(data), "debian", "debian.csv", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	edited, err := Read(bytes.NewReader(bytes.Replace(data, []byte("2028-08-09"), []byte("2028-08-10"), 1)), "debian", "debian.csv", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	m1, err := Write(ctx, st, orig, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Write(ctx, st, edited, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	s1, s2 := m1.Partition.Snapshot, m2.Partition.Snapshot
	if s1 == s2 || s1[:17] != s2[:17] {
		t.Errorf("snapshots %s and %s: want the same date, different hashes", s1, s2)
	}
	ms, err := datasets.ListManifests(ctx, st, datasets.Releases)
	if err != nil || len(ms) != 2 {
		t.Errorf("ListManifests: %d %v, want both partitions", len(ms), err)
	}
}

func TestWriteRejects(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	f, err := Read(bytes.NewReader(readFixture(t, debianFixture)), "debian", "debian.csv", fixtureSource)
	if err != nil {
		t.Fatal(err)
	}
	noHash, noRows, badDistro := f, f, f
	noHash.SHA256 = "f52f5cc3"
	noRows.Rows = nil
	badDistro.Distro = "Debian GNU/Linux"
	for name, in := range map[string]File{"short hash": noHash, "no rows": noRows, "bad distro": badDistro} {
		if m, err := Write(ctx, st, in, time.Time{}); err == nil {
			t.Errorf("%s: committed %+v", name, m.Partition)
		}
	}
	if objs, err := st.List(ctx, ""); err != nil || len(objs) != 0 {
		t.Errorf("rejected writes left %v %v", objs, err)
	}
}

package datasets_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/store"
	"github.com/distroscope/distroscope/store/localfs"
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
		t.Fatalf("%v (run go test ./datasets -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s changed; a schema change needs a new table version.\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}

// TestSchemasGolden pins every table's Parquet and Arrow schema: changing a
// column silently would break every reader of committed data.
func TestSchemasGolden(t *testing.T) {
	for _, tb := range datasets.Tables {
		t.Run(tb.Name, func(t *testing.T) {
			golden(t, fmt.Sprintf("%s.v%d.parquet-schema", tb.Name, tb.Version), tb.Schema.String()+"\n")
			as, err := datasets.ArrowSchema(tb)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, fmt.Sprintf("%s.v%d.arrow-schema", tb.Name, tb.Version), as.String()+"\n")
		})
	}
}

func newStore(t *testing.T) store.Store { return newStoreB(t) }

func newStoreB(t testing.TB) store.Store {
	t.Helper()
	s, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// randomRows makes rows with every kind of column filled, in shuffled order.
func randomRows(n int, seed uint64, arch string) []datasets.PackageRow {
	r := rand.New(rand.NewPCG(seed, 7))
	rows := make([]datasets.PackageRow, n)
	for i := range rows {
		name := fmt.Sprintf("pkg-%05d", r.IntN(n*4))
		rows[i] = datasets.PackageRow{
			Component: "main", IndexArchitecture: arch, Package: name, Version: fmt.Sprintf("%d.%d-%d", r.IntN(3), r.IntN(20), r.IntN(5)),
			Architecture: []string{arch, "all"}[r.IntN(2)], Source: "src-" + name, SourceVersion: "1.0",
			Section: []string{"", "libs", "utils"}[r.IntN(3)], Essential: r.IntN(10) == 0,
			InstalledSizeKiB: int64(r.IntN(1 << 20)), Size: int64(r.IntN(1 << 24)),
			Depends:  slices.Repeat([]string{"libc6 (>= 2.36)"}, r.IntN(3)),
			Provides: []string{}, // empty and nil lists both read back as empty
		}
		if r.IntN(4) == 0 {
			rows[i].Extra = map[string]string{"Ruby-Versions": "all", "X-Field": fmt.Sprint(i)}
		}
	}
	return rows
}

func writeRows(t testing.TB, rows []datasets.PackageRow, rowGroup int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, datasets.Packages, datasets.ComparePackageRows, rowGroup)
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Rows() != int64(len(rows)) || w.Bytes() != int64(buf.Len()) {
		t.Fatalf("writer counts rows=%d bytes=%d, wrote %d rows %d bytes", w.Rows(), w.Bytes(), len(rows), buf.Len())
	}
	return buf.Bytes()
}

func readRows(t *testing.T, data []byte) ([]datasets.PackageRow, *parquet.File) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	r := parquet.NewGenericReader[datasets.PackageRow](bytes.NewReader(data))
	defer r.Close()
	out := make([]datasets.PackageRow, r.NumRows())
	n, err := r.Read(out)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return out[:n], f
}

func normalize(rows []datasets.PackageRow) {
	for i := range rows {
		for _, l := range []*[]string{&rows[i].Depends, &rows[i].Provides} {
			if len(*l) == 0 {
				*l = nil
			}
		}
		if len(rows[i].Extra) == 0 {
			rows[i].Extra = nil
		}
	}
}

func TestWriterSortsEachRowGroupAndRoundTrips(t *testing.T) {
	rows := randomRows(5000, 1, "amd64")
	data := writeRows(t, rows, 1000)
	got, f := readRows(t, data)
	if len(f.RowGroups()) != 5 {
		t.Errorf("row groups = %d, want 5 (5000 rows bounded at 1000)", len(f.RowGroups()))
	}
	// Within each row group of 1000 input rows, the output is that group sorted.
	for g := 0; g < 5; g++ {
		want := slices.Clone(rows[g*1000 : (g+1)*1000])
		slices.SortStableFunc(want, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) })
		normalize(want)
		part := got[g*1000 : (g+1)*1000]
		normalize(part)
		for i := range want {
			if fmt.Sprint(want[i]) != fmt.Sprint(part[i]) {
				t.Fatalf("group %d row %d:\n got %+v\nwant %+v", g, i, part[i], want[i])
			}
		}
	}
	md := f.Metadata()
	if kv := keyValue(f, "distroscope.table"); kv != "packages" {
		t.Errorf("table metadata = %q", kv)
	}
	if md.RowGroups[0].Columns[0].MetaData.Statistics.MinValue == nil {
		t.Errorf("no statistics on the first column")
	}
}

// TestWriteAll: sorted rows are written as row groups from the caller's
// slice, unsorted ones through Write; both read back as Write gives them.
func TestWriteAll(t *testing.T) {
	sorted := randomRows(2500, 2, "amd64")
	slices.SortStableFunc(sorted, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) })
	unsorted := randomRows(2500, 3, "amd64")
	for _, tc := range []struct {
		name string
		rows []datasets.PackageRow
	}{{"sorted", sorted}, {"unsorted", unsorted}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := datasets.NewWriter(&buf, datasets.Packages, datasets.ComparePackageRows, 1000)
			if err := w.WriteAll(tc.rows); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, f := readRows(t, buf.Bytes())
			want, _ := readRows(t, writeRows(t, tc.rows, 1000))
			if w.Rows() != int64(len(tc.rows)) || len(got) != len(want) || len(f.RowGroups()) != 3 {
				t.Fatalf("rows %d (writer says %d), want %d; %d row groups, want 3", len(got), w.Rows(), len(want), len(f.RowGroups()))
			}
			normalize(got)
			normalize(want)
			for i := range want {
				if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
					t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func keyValue(f *parquet.File, key string) string {
	v, _ := f.Lookup(key)
	return v
}

func stagePart(t *testing.T, st store.Store, key string, rows []datasets.PackageRow) datasets.StagedPart {
	return stagePartB(t, st, key, rows)
}

func stagePartB(t testing.TB, st store.Store, key string, rows []datasets.PackageRow) datasets.StagedPart {
	t.Helper()
	data := writeRows(t, rows, 700)
	if err := st.Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	return datasets.StagedPart{Key: key, Rows: int64(len(rows))}
}

var part = datasets.Partition{Distro: "debian", Release: "trixie", Snapshot: "20260101T000000Z-0123456789ab"}

func TestPublishCombinesPartsIntoOneObject(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	var all []datasets.PackageRow
	var parts []datasets.StagedPart
	for i, arch := range []string{"amd64", "arm64", "i386"} {
		// Each staged part is sorted by name, as a Debian index is.
		rows := randomRows(1500+i*300, uint64(10+i), arch)
		slices.SortFunc(rows, func(a, b datasets.PackageRow) int { return datasets.ComparePackageRows(&a, &b) })
		all = append(all, rows...)
		parts = append(parts, stagePart(t, st, datasets.StagingKey(datasets.Packages, part, "main_"+arch), rows))
	}
	m, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: part, Parts: parts,
		Manifest: datasets.Manifest{Producer: "test", Inputs: []datasets.Input{{Path: "main/binary-amd64/Packages.gz", Size: 1, SHA256: "ab"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != int64(len(all)) || len(m.Files) != 1 || m.Files[0].Key != datasets.Packages.DataKey(part) {
		t.Fatalf("manifest = %+v", m)
	}
	objs, err := st.List(ctx, datasets.Packages.PartitionPrefix(part))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 {
		t.Fatalf("partition holds %d objects, want data + manifest: %+v", len(objs), objs)
	}
	rc, err := st.Get(ctx, m.Files[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if int64(len(data)) != m.Files[0].Bytes {
		t.Errorf("manifest says %d bytes, object has %d", m.Files[0].Bytes, len(data))
	}
	got, f := readRows(t, data)
	if len(got) != len(all) {
		t.Fatalf("published %d rows, want %d", len(got), len(all))
	}
	// Every row group is sorted by package and bounded; together they are
	// the staged parts' row groups.
	start := 0
	for g, rg := range f.RowGroups() {
		n := int(rg.NumRows())
		for i := start + 1; i < start+n; i++ {
			if got[i-1].Package > got[i].Package {
				t.Fatalf("row group %d not sorted by package at row %d: %s > %s", g, i, got[i-1].Package, got[i].Package)
			}
		}
		start += n
	}
	if want := 3 + 3 + 3; len(f.RowGroups()) != want { // 1500, 1800, 2100 rows staged in row groups of 700
		t.Errorf("%d row groups, want the %d staged ones", len(f.RowGroups()), want)
	}
	// Same multiset of rows.
	key := func(r datasets.PackageRow) string {
		return r.Package + "|" + r.IndexArchitecture + "|" + r.Version + "|" + r.Architecture
	}
	wantKeys, gotKeys := make([]string, len(all)), make([]string, len(got))
	for i := range all {
		wantKeys[i], gotKeys[i] = key(all[i]), key(got[i])
	}
	slices.Sort(wantKeys)
	slices.Sort(gotKeys)
	if !slices.Equal(wantKeys, gotKeys) {
		t.Errorf("published rows differ from staged rows")
	}
	for _, rg := range f.RowGroups() {
		if rg.NumRows() > datasets.DefaultRowGroupRows {
			t.Errorf("row group of %d rows exceeds the bound", rg.NumRows())
		}
	}
	// The manifest reads back and a second publish is a no-op.
	back, ok, err := datasets.Committed(ctx, st, datasets.Packages, part)
	if err != nil || !ok || back.Rows != m.Rows || back.Producer != "test" || len(back.Inputs) != 1 {
		t.Fatalf("Committed = %+v %v %v", back, ok, err)
	}
	again, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: part,
		Parts: []datasets.StagedPart{{Key: "_staging/missing.parquet", Rows: 1}}})
	if err != nil || !again.CommittedAt.Equal(m.CommittedAt) {
		t.Fatalf("second publish should return the committed manifest untouched: %+v %v", again, err)
	}
}

func TestPublishSinglePartIsACopy(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	rows := randomRows(300, 3, "amd64")
	p := stagePart(t, st, datasets.StagingKey(datasets.Packages, part, "main_amd64"), rows)
	m, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: part, Parts: []datasets.StagedPart{p}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := st.Get(ctx, p.Key)
	b, _ := st.Get(ctx, m.Files[0].Key)
	ad, _ := io.ReadAll(a)
	bd, _ := io.ReadAll(b)
	a.Close()
	b.Close()
	if !bytes.Equal(ad, bd) {
		t.Errorf("single-part publish should copy the staged object byte for byte")
	}
}

func TestPublishFailuresCommitNothing(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		setup func(st store.Store) datasets.PublishInput
		want  string
	}{
		{"row count mismatch", func(st store.Store) datasets.PublishInput {
			p1 := stagePart(t, st, datasets.StagingKey(datasets.Packages, part, "a"), randomRows(50, 1, "amd64"))
			p2 := stagePart(t, st, datasets.StagingKey(datasets.Packages, part, "b"), randomRows(50, 2, "arm64"))
			p2.Rows = 49
			return datasets.PublishInput{Table: datasets.Packages, Partition: part, Parts: []datasets.StagedPart{p1, p2}}
		}, "staged parts hold 100 rows"},
		{"missing staged part", func(st store.Store) datasets.PublishInput {
			return datasets.PublishInput{Table: datasets.Packages, Partition: part, Parts: []datasets.StagedPart{{Key: "_staging/x/a.parquet", Rows: 1}}}
		}, "not found"},
		{"corrupt staged part", func(st store.Store) datasets.PublishInput {
			p1 := stagePart(t, st, datasets.StagingKey(datasets.Packages, part, "a"), randomRows(50, 1, "amd64"))
			junk := []byte("PAR1 this is not parquet PAR1")
			st.Put(ctx, "_staging/junk.parquet", bytes.NewReader(junk), int64(len(junk)))
			return datasets.PublishInput{Table: datasets.Packages, Partition: part, Parts: []datasets.StagedPart{p1, {Key: "_staging/junk.parquet", Rows: 1}}}
		}, "_staging/junk.parquet"},
		{"hostile partition", func(st store.Store) datasets.PublishInput {
			return datasets.PublishInput{Table: datasets.Packages, Partition: datasets.Partition{Distro: "../etc", Release: "x", Snapshot: "y"},
				Parts: []datasets.StagedPart{{Key: "_staging/a", Rows: 1}}}
		}, "partition distro"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			in := tc.setup(st)
			_, err := datasets.Publish(ctx, st, in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			objs, _ := st.List(ctx, datasets.Packages.Prefix())
			if len(objs) != 0 {
				t.Errorf("a failed publish left %v", objs)
			}
		})
	}
}

// TestArrowReadsWhatWeWrite reads a published file with Arrow's own reader
// and checks it sees exactly the derived schema.
func TestArrowReadsWhatWeWrite(t *testing.T) {
	data := writeRows(t, randomRows(200, 5, "amd64"), 0)
	pr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: 64}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	want, _ := datasets.ArrowSchema(datasets.Packages)
	if !tbl.Schema().Equal(want) {
		t.Errorf("arrow reads\n%s\nderived\n%s", tbl.Schema(), want)
	}
	if tbl.NumRows() != 200 {
		t.Errorf("arrow reads %d rows", tbl.NumRows())
	}
}

func TestJanitor(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	done := part
	abandoned := datasets.Partition{Distro: "debian", Release: "sid", Snapshot: "20250101T000000Z-aaaaaaaaaaaa"}
	// A committed partition whose staged parts were left behind.
	p := stagePart(t, st, datasets.StagingKey(datasets.Packages, done, "main_amd64"), randomRows(10, 1, "amd64"))
	if _, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Packages, Partition: done, Parts: []datasets.StagedPart{p}}); err != nil {
		t.Fatal(err)
	}
	s := stagePart(t, st, datasets.StagingKey(datasets.Snapshots, done, "x"), randomRows(1, 1, "amd64"))
	_ = s
	// Make the snapshots manifest exist too (Janitor wants every table).
	snapRowsKey := datasets.StagingKey(datasets.Snapshots, done, "snapshot")
	var buf bytes.Buffer
	w := datasets.NewWriter(&buf, datasets.Snapshots, datasets.CompareSnapshotRows, 0)
	w.Write(&datasets.SnapshotRow{Origin: "Debian", IndexPath: "main/binary-amd64/Packages.gz", ReleaseDate: time.Now(), FetchedAt: time.Now()})
	w.Close()
	st.Put(ctx, snapRowsKey, bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if _, err := datasets.Publish(ctx, st, datasets.PublishInput{Table: datasets.Snapshots, Partition: done, Parts: []datasets.StagedPart{{Key: snapRowsKey, Rows: 1}}}); err != nil {
		t.Fatal(err)
	}
	// An abandoned run: staged part, and a data object without manifest.
	stagePart(t, st, datasets.StagingKey(datasets.Packages, abandoned, "main_amd64"), randomRows(10, 2, "amd64"))
	junk := []byte("x")
	st.Put(ctx, datasets.Packages.DataKey(abandoned), bytes.NewReader(junk), 1)

	// Young leftovers of an uncommitted partition are left alone.
	rep, err := datasets.Janitor(ctx, st, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range rep.StagedDeleted {
		if strings.Contains(k, abandoned.Snapshot) {
			t.Errorf("janitor removed a young staged part of a run that may still be going: %s", k)
		}
	}
	if len(rep.StagedDeleted) != 3 || len(rep.UncommittedFiles) != 0 {
		t.Errorf("first pass = %+v, want the 3 staged objects of the committed partition", rep)
	}
	// Old ones go.
	rep, err = datasets.Janitor(ctx, st, time.Hour, time.Now().Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.StagedDeleted) != 1 || len(rep.UncommittedFiles) != 1 || rep.UncommittedFiles[0] != datasets.Packages.DataKey(abandoned) {
		t.Errorf("second pass = %+v", rep)
	}
	left, _ := st.List(ctx, "")
	for _, o := range left {
		if strings.HasPrefix(o.Key, "_staging/") || strings.Contains(o.Key, abandoned.Snapshot) {
			t.Errorf("left behind: %s", o.Key)
		}
	}
	if _, ok, _ := datasets.Committed(ctx, st, datasets.Packages, done); !ok {
		t.Errorf("janitor touched a committed partition")
	}
}

func TestLayout(t *testing.T) {
	if got := datasets.Packages.DataKey(part); got != "packages/v2/distro=debian/release=trixie/snapshot=20260101T000000Z-0123456789ab/part-00000.parquet" {
		t.Errorf("DataKey = %s", got)
	}
	if p, ok := datasets.ParsePartitionPrefix(datasets.Packages, datasets.Packages.ManifestKey(part)); !ok || p != part {
		t.Errorf("ParsePartitionPrefix = %+v %v", p, ok)
	}
	for in, want := range map[string]string{"Debian": "debian", "Ubuntu Ports": "ubuntu-ports", " Linux Mint ": "linux-mint", "a/../b": "a-..-b"} {
		if got := datasets.Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if id := datasets.SnapshotID(time.Date(2026, 7, 11, 10, 16, 37, 0, time.UTC), "ABCF5882746E99"); id != "20260711T101637Z-abcf5882746e" {
		t.Errorf("SnapshotID = %s", id)
	}
	for _, bad := range []datasets.Partition{{"", "a", "b"}, {"a", "b/c", "d"}, {"a", "b", "x=y"}, {"..", "b", "c"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}

// TestImageComparePartition: two full image keys make a valid partition
// (a partition value is at most 128 characters), distinct pairs distinct
// partitions, and the same pair the same one.
func TestImageComparePartition(t *testing.T) {
	d1 := strings.Repeat("ab", 32)
	d2 := strings.Repeat("cd", 32)
	a := datasets.ImagePartition("debian", "bookworm", datasets.ImageKey("sha256:"+d1, 2))
	b := datasets.ImagePartition("debian", "trixie", datasets.ImageKey("sha256:"+d2, 2)+"p")
	p := datasets.ImageComparePartition(a, b)
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if want := "sha256-" + d1[:24] + "~a2~sha256-" + d2[:24] + "~a2p"; p.Snapshot != want || p.Release != "bookworm~trixie" {
		t.Errorf("partition %+v, want snapshot %s", p, want)
	}
	if q := datasets.ImageComparePartition(b, a); q == p {
		t.Errorf("the pair reversed has the same partition %+v", q)
	}
	if q := datasets.ImageComparePartition(a, b); q != p {
		t.Errorf("the same pair: %+v, then %+v", p, q)
	}
}

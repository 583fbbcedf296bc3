package formats_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
)

// fixtureSource is the whole fixture suite on mirror, trusting keyring.
func fixtureSource(mirror, keyring string) repo.Spec {
	return repo.Spec{
		Mirror:        mirror,
		Suite:         formatstest.Suite,
		Components:    slices.Clone(formatstest.Components),
		Architectures: slices.Clone(formatstest.Architectures),
		SignedBy:      []string{keyring},
	}
}

// testContext bounds every network step of a test: the fixture is served on
// 127.0.0.1, so anything slower than this is a hang.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// resolveFixture resolves the fixture served at mirror and returns the index
// named name ("main/amd64").
func resolveFixture(t *testing.T, mirror, keyring, name string) repo.Index {
	t.Helper()
	rel, err := formats.Apt{}.Resolve(testContext(t), repo.DefaultFetcher(), fixtureSource(mirror, keyring), time.Now())
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	for _, ix := range rel.Indexes {
		if ix.Name() == name {
			return ix
		}
	}
	t.Fatalf("Resolve gave no index %s", name)
	return repo.Index{}
}

// only is ix with just its candidate of compression c.
func only(t *testing.T, ix repo.Index, c repo.Compression) repo.Index {
	t.Helper()
	for _, cand := range ix.Candidates {
		if cand.Compression == c {
			ix.Candidates = []repo.Candidate{cand}
			return ix
		}
	}
	t.Fatalf("%s has no %s candidate", ix.Name(), c)
	return ix
}

// ingest runs IngestIndex into memory and reads the Parquet back.
func ingest(t *testing.T, ctx context.Context, ix repo.Index, opts repo.IngestOptions) ([]datasets.PackageRow, repo.IngestResult, error) {
	t.Helper()
	var buf bytes.Buffer
	res, err := repo.Ingest(ctx, repo.DefaultFetcher(), ix, formats.Apt{}.Parse, &buf, opts)
	if err != nil {
		return nil, res, err
	}
	if res.ParquetBytes != int64(buf.Len()) {
		t.Errorf("%s: ParquetBytes = %d, but %d bytes were written", ix.Name(), res.ParquetBytes, buf.Len())
	}
	return readRows(t, buf.Bytes()), res, nil
}

// readRows reads a packages Parquet file with parquet-go's generic reader.
func readRows(t *testing.T, data []byte) []datasets.PackageRow {
	t.Helper()
	r := parquet.NewGenericReader[datasets.PackageRow](bytes.NewReader(data))
	defer r.Close()
	rows := make([]datasets.PackageRow, 0, r.NumRows())
	buf := make([]datasets.PackageRow, 16)
	for {
		// parquet-go decodes a map into the one already in the row, adding
		// keys: a reused buffer must be zeroed or rows inherit extras.
		clear(buf)
		n, err := r.Read(buf)
		for i := range n {
			rows = append(rows, buf[i])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read parquet: %v", err)
		}
		if n == 0 {
			t.Fatalf("read parquet: no progress after %d rows", len(rows))
		}
	}
	if int64(len(rows)) != r.NumRows() {
		t.Fatalf("read %d rows, the file says %d", len(rows), r.NumRows())
	}
	return rows
}

// expectedRows is the oracle's view of one index as PackageRows.
func expectedRows(t *testing.T, name string) []datasets.PackageRow {
	t.Helper()
	exp, ok := formatstest.Expected(t)[name]
	if !ok {
		t.Fatalf("expected.json has no index %s", name)
	}
	comp, arch, _ := strings.Cut(name, "/")
	rows := make([]datasets.PackageRow, len(exp))
	for i, e := range exp {
		rows[i] = e.PackageRow(comp, arch)
	}
	return rows
}

// rowKey identifies a row for error messages and matching.
func rowKey(r *datasets.PackageRow) string {
	return fmt.Sprintf("%s/%s %s %s %s", r.Component, r.IndexArchitecture, r.Package, r.Version, r.Architecture)
}

func sortRows(rows []datasets.PackageRow) []datasets.PackageRow {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b datasets.PackageRow) int {
		return cmp.Or(datasets.ComparePackageRows(&a, &b), cmp.Compare(a.SHA256, b.SHA256))
	})
	return rows
}

// compareRows checks got against want row by row and field by field,
// whatever the order, treating nil and empty lists and maps alike.
func compareRows(t *testing.T, what string, want, got []datasets.PackageRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
	}
	want, got = sortRows(want), sortRows(got)
	for i := range min(len(want), len(got)) {
		for _, d := range diffRow(&want[i], &got[i]) {
			t.Errorf("%s: row %s: %s", what, rowKey(&want[i]), d)
		}
	}
}

// diffRow lists the fields of two rows that differ.
func diffRow(want, got *datasets.PackageRow) []string {
	var out []string
	wv, gv := reflect.ValueOf(want).Elem(), reflect.ValueOf(got).Elem()
	for i := range wv.NumField() {
		w, g := wv.Field(i), gv.Field(i)
		switch w.Kind() {
		case reflect.Slice, reflect.Map:
			if w.Len() == 0 && g.Len() == 0 {
				continue
			}
		}
		if !reflect.DeepEqual(w.Interface(), g.Interface()) {
			out = append(out, fmt.Sprintf("%s = %#v, want %#v", wv.Type().Field(i).Name, g.Interface(), w.Interface()))
		}
	}
	return out
}

// wantCorrupt checks that err marks corrupt input and names the file.
func wantCorrupt(t *testing.T, err error, file string, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one wrapping ErrCorrupt about %s", file)
	}
	if !errors.Is(err, repo.ErrCorrupt) {
		t.Errorf("error %q does not wrap ErrCorrupt", err)
	}
	msg := err.Error()
	for _, w := range append([]string{file}, words...) {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not mention %q", msg, w)
		}
	}
}

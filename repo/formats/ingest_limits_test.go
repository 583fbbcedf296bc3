package formats_test

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
)

// firstStanza is the fixture's first stanza, with its blank line.
func firstStanza(t *testing.T) string {
	t.Helper()
	first, _, _ := strings.Cut(string(fixturePlain(t)), "\n\n")
	return first + "\n\n"
}

// TestIngestDecompressionLimit: the size the Release gives the plain file
// can only lower the limit on what an index decompresses to, never raise
// it (a Release declaring 4.36 GB let a bomb commit 2.2 M rows), and the
// plain file's SHA256, when the Release gives it, is checked.
func TestIngestDecompressionLimit(t *testing.T) {
	plain := fixturePlain(t)
	first := firstStanza(t)
	bombPlain := bytes.Repeat([]byte(first), (16<<20)/len(first))
	bomb := gzipped(t, bombPlain)
	tampered := flipMiddleByte(plain)

	tests := []struct {
		name  string
		index func(t *testing.T) repo.Index
		opts  repo.IngestOptions
		words []string
	}{
		{
			name: "the Release declares more than the limit",
			index: func(t *testing.T) repo.Index {
				ix := handmade(t, map[string][]byte{"Packages.gz": bomb}, "Packages.gz", "gz")
				ix.UncompressedSize, ix.UncompressedSHA256 = 4_360_000_000, hashOf(plain)
				return ix
			},
			opts:  repo.IngestOptions{MaxUncompressed: 1 << 20},
			words: []string{"4360000000", "limit", strconv.Itoa(1 << 20)},
		},
		{
			name: "the Release declares more than the default limit",
			index: func(t *testing.T) repo.Index {
				ix := handmade(t, map[string][]byte{"Packages.gz": bomb}, "Packages.gz", "gz")
				ix.UncompressedSize, ix.UncompressedSHA256 = 4_360_000_000, hashOf(plain)
				return ix
			},
			words: []string{"4360000000", "limit", strconv.Itoa(repo.DefaultMaxUncompressed)},
		},
		{
			name: "a bomb under the declared size, over the limit",
			index: func(t *testing.T) repo.Index {
				ix := handmade(t, map[string][]byte{"Packages.gz": bomb}, "Packages.gz", "gz")
				ix.UncompressedSize, ix.UncompressedSHA256 = int64(len(bombPlain)), hashOf(bombPlain)
				return ix
			},
			opts:  repo.IngestOptions{MaxUncompressed: 1 << 20},
			words: []string{"limit", strconv.Itoa(1 << 20)},
		},
		{
			name: "the plain file's SHA256 differs",
			index: func(t *testing.T) repo.Index {
				ix := handmade(t, map[string][]byte{"Packages.gz": gzipped(t, plain)}, "Packages.gz", "gz")
				ix.UncompressedSize, ix.UncompressedSHA256 = int64(len(plain)), hashOf(tampered)
				return ix
			},
			words: []string{"SHA256", hashOf(plain), hashOf(tampered)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := tt.index(t)
			rows, _, err := ingest(t, testContext(t), ix, tt.opts)
			wantCorrupt(t, err, ix.Candidates[0].URL, tt.words...)
			if rows != nil {
				t.Errorf("%d rows returned with the error", len(rows))
			}
		})
	}
}

// TestIngestRowGroupsBoundedInBytes: rows are buffered for a row group up
// to a number of bytes, not only of rows, so that large stanzas (a thousand
// of 900 KB took a worker to 2 GB) cannot fill a worker's memory.
func TestIngestRowGroupsBoundedInBytes(t *testing.T) {
	var deps []string
	for i := range 2000 {
		deps = append(deps, fmt.Sprintf("libdependency%d (>= 1.%d)", i, i))
	}
	var plain strings.Builder
	for i := range 200 {
		fmt.Fprintf(&plain, "Package: big%d\nVersion: 1.0\nArchitecture: amd64\nDepends: %s\n\n", i, strings.Join(deps, ", "))
	}
	stanza := plain.Len() / 200
	ix := handmade(t, map[string][]byte{"Packages": []byte(plain.String())}, "Packages", "")
	const budget = 1 << 20
	var out bytes.Buffer
	res, err := repo.Ingest(testContext(t), repo.DefaultFetcher(), ix, formats.Apt{}.Parse, &out, repo.IngestOptions{MaxRowGroupBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 200 {
		t.Fatalf("%d rows, want 200", res.Rows)
	}
	f, err := parquet.OpenFile(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for _, rg := range f.RowGroups() {
		sizes = append(sizes, rg.NumRows())
	}
	if limit := int64(budget/stanza + 1); slices.Max(sizes) > limit {
		t.Errorf("row groups of %v rows of %d bytes each: more than %d rows (%d bytes) in one", sizes, stanza, limit, budget)
	}
}

// TestIngestInvalidUTF8: text that is not UTF-8 (Latin-1, in old
// third-party repositories) is read as Latin-1 wherever it is kept, so
// that the table stays readable, and the rows and fields are counted.
func TestIngestInvalidUTF8(t *testing.T) {
	first := firstStanza(t)
	latin1 := strings.NewReplacer(
		"Maintainer: Ryan Finnie", "Maintainer: R\xfcdiger Finnie",
		"Description: Ping utility", "Description: Ping utilit\xe9",
		"Homepage: https://www.finnie.org/software/2ping/", "Homepage: https://www.finnie.org/software/2ping/\xa0\nX-Note: na\xefve \xc3\xa9t\xe9",
	).Replace(first)
	if latin1 == first {
		t.Fatal("nothing replaced")
	}
	second := strings.Replace(first, "Package: 2ping\n", "Package: 2ping-clean\n", 1)
	ix := handmade(t, map[string][]byte{"Packages": []byte(latin1 + second)}, "Packages", "")
	var notices []repo.Notice
	rows, res, err := ingest(t, testContext(t), ix, repo.IngestOptions{OnNotice: func(n repo.Notice) { notices = append(notices, n) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	got, clean := rows[0], rows[1]
	if got.Package != "2ping" {
		got, clean = clean, got
	}
	for _, c := range []struct{ name, got, want string }{
		{"maintainer", got.Maintainer, "Rüdiger Finnie <ryan@finnie.org>"},
		{"description", got.Description, "Ping utilité to determine directional packet loss"},
		{"homepage", got.Homepage, "https://www.finnie.org/software/2ping/\u00a0"},
		// Valid UTF-8 ("é") is kept as it is; only the bytes around it
		// that are not are read as Latin-1.
		{"extra X-Note", got.Extra["X-Note"], "naïve été"},
		{"the clean row", clean.Maintainer, "Ryan Finnie <ryan@finnie.org>"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if res.InvalidUTF8Rows != 1 || res.InvalidUTF8Fields != 4 {
		t.Errorf("InvalidUTF8Rows, Fields = %d, %d; want 1, 4", res.InvalidUTF8Rows, res.InvalidUTF8Fields)
	}
	if want := []string{"description", "extra", "homepage", "maintainer"}; !slices.Equal(res.InvalidUTF8Columns, want) {
		t.Errorf("InvalidUTF8Columns = %q, want %q", res.InvalidUTF8Columns, want)
	}
	if len(notices) != 1 || notices[0].Kind != repo.NoticeInvalidUTF8 || !strings.Contains(notices[0].String(), "1 row") {
		t.Errorf("notices %v, want one %s notice", notices, repo.NoticeInvalidUTF8)
	}
}

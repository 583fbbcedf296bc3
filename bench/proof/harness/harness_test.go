package harness

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/store/localfs"
)

type row struct {
	Name      string `parquet:"name"`
	FetchedAt int64  `parquet:"fetched_at"`
}

// putRows commits rows as a Parquet object, and a nightly record.
func putRows(t *testing.T, st *localfs.Store, key string, rows []row) {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	for k, data := range map[string][]byte{key: buf.Bytes(), "nightly_runs/plan=p/date=1.json": []byte("{}")} {
		if err := st.Put(context.Background(), k, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
	}
}

func contentsOf(t *testing.T, objects map[string][]row) Contents {
	t.Helper()
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for k, rows := range objects {
		putRows(t, st, k, rows)
	}
	c, err := ReadContents(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestContentsDiff: the same rows are identical whatever their
// fetched_at; a changed value, a missing row, an extra object or a staged
// leftover is told apart, the leftover being no difference.
func TestContentsDiff(t *testing.T) {
	const key = "packages/v2/distro=d/release=r/snapshot=s/part-00000.parquet"
	want := contentsOf(t, map[string][]row{key: {{"a", 1}, {"b", 1}}})
	for _, tt := range []struct {
		name    string
		objects map[string][]row
		diff    string
	}{
		{"fetched later", map[string][]row{key: {{"a", 2}, {"b", 3}}}, ""},
		{"staged leftover", map[string][]row{key: {{"a", 1}, {"b", 1}}, "_staging/d/r/s/packages/x.parquet": {{"z", 1}}}, ""},
		{"changed value", map[string][]row{key: {{"a", 1}, {"c", 1}}}, key + ": row 1 differs"},
		{"missing row", map[string][]row{key: {{"a", 1}}}, key + ": 1 rows, the undisturbed run 2"},
		{"duplicate object", map[string][]row{key: {{"a", 1}, {"b", 1}}, strings.Replace(key, "00000", "00001", 1): {{"a", 1}}},
			"extra object " + strings.Replace(key, "00000", "00001", 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			diff := contentsOf(t, tt.objects).Diff(want)
			if got := strings.Join(diff, "; "); got != tt.diff {
				t.Errorf("diff = %q, want %q", got, tt.diff)
			}
		})
	}
}

// TestMirrorHold: the held GET sends the share of the file it was told,
// waits, and once released sends the rest; the next GET is not held.
func TestMirrorHold(t *testing.T) {
	root := t.TempDir()
	data := bytes.Repeat([]byte("0123456789"), 10000)
	if err := os.MkdirAll(filepath.Join(root, "dists", "s"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "dists", "s", "Packages.gz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ServeMirror(root)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	h := m.HoldFile("ingest", "/dists/s/", 0.25)
	got := make(chan []byte, 1)
	go func() {
		resp, err := http.Get(m.URL + "/dists/s/Packages.gz")
		if err != nil {
			got <- nil
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- b
	}()
	select {
	case <-h.Hit():
	case <-time.After(10 * time.Second):
		t.Fatal("the GET was not held")
	}
	if _, sent, size := h.Sent(); sent != int64(len(data))/4 || size != int64(len(data)) {
		t.Errorf("held after %d of %d bytes, want %d of %d", sent, size, len(data)/4, len(data))
	}
	select {
	case <-got:
		t.Fatal("the held GET ended before its release")
	case <-time.After(200 * time.Millisecond):
	}
	h.Release()
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("released GET got %d bytes, want the file's %d", len(b), len(data))
	}
	resp, err := http.Get(m.URL + "/dists/s/Packages.gz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(b, data) {
		t.Errorf("second GET got %d bytes, want %d", len(b), len(data))
	}
}

package settings

import (
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// authMapFS is a MapFS of the given files' contents.
func authMapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fsys
}

// authDiff fails t unless got and want hold the same rows in the same order.
func authDiff(t *testing.T, got, want []Setting) {
	t.Helper()
	n := max(len(got), len(want))
	for i := range n {
		var g, w string
		if i < len(got) {
			g = fmt.Sprintf("%+v", got[i])
		}
		if i < len(want) {
			w = fmt.Sprintf("%+v", want[i])
		}
		if g != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, g, w)
		}
	}
}

// authCheckRows fails t unless every row names a file of fsys and a line
// inside it (or is a builtin without either), as the fuzz targets assert.
func authCheckRows(t *testing.T, fsys fs.FS, rows []Setting) {
	t.Helper()
	for _, r := range rows {
		if r.Builtin {
			if r.File != "" || r.Line != 0 {
				t.Fatalf("builtin row with a place: %+v", r)
			}
			continue
		}
		data, err := fs.ReadFile(fsys, strings.TrimPrefix(r.File, "/"))
		if err != nil || !strings.HasPrefix(r.File, "/") {
			t.Fatalf("row from a file not in the input: %+v (%v)", r, err)
		}
		if r.Line < 1 || r.Line > strings.Count(string(data), "\n")+1 {
			t.Fatalf("row from line %d of a %d-byte file: %+v", r.Line, len(data), r)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

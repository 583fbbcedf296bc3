package settings

import (
	"bytes"
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// imageRootLink is a MapFS symlink to target.
func imageRootLink(target string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
}

// imageRootCheckRows fails t unless every row points at a line that exists
// in fsys (or, with Line 0, at a symlink or directory of it), or is a
// built-in default with no file at all.
func imageRootCheckRows(t *testing.T, fsys fstest.MapFS, rows []Setting) {
	t.Helper()
	for _, r := range rows {
		if r.Builtin {
			if r.File != "" || r.Line != 0 {
				t.Errorf("built-in row %+v has a file", r)
			}
			continue
		}
		f, ok := fsys[strings.TrimPrefix(r.File, "/")]
		dir := false
		for name := range fsys {
			dir = dir || strings.HasPrefix(name, strings.TrimPrefix(r.File, "/")+"/")
		}
		switch {
		case !ok && !dir:
			t.Errorf("row %+v: no file %s in the input", r, r.File)
		case r.Line == 0:
			if ok && f.Mode&fs.ModeSymlink == 0 && f.Mode&fs.ModeDir == 0 {
				t.Errorf("row %+v: line 0 of a regular file", r)
			}
		case !ok || r.Line < 0 || r.Line > bytes.Count(f.Data, []byte{'\n'})+1:
			t.Errorf("row %+v: line %d outside %s", r, r.Line, r.File)
		}
	}
}

func TestImageRootResolve(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/localtime":              imageRootLink("/usr/share/zoneinfo/Etc/UTC"),
		"usr/share/zoneinfo/Etc/UTC": {Data: []byte("TZif")},
		"etc/up":                     imageRootLink("../../../../usr/share/zoneinfo/Etc/UTC"),
		"etc/dirlink":                imageRootLink("../usr/share/zoneinfo"),
		"etc/loop":                   imageRootLink("loop2"),
		"etc/loop2":                  imageRootLink("/etc/loop"),
		"etc/sysctl.d/masked.conf":   imageRootLink("/dev/null"),
		"etc/dangling":               imageRootLink("/run/nothing"),
	}
	root := imageRoot{fsys}
	for name, want := range map[string]string{
		"etc/localtime":       "usr/share/zoneinfo/Etc/UTC",
		"etc/up":              "usr/share/zoneinfo/Etc/UTC", // ".." stops at the root
		"etc/dirlink/Etc/UTC": "usr/share/zoneinfo/Etc/UTC",
	} {
		got, err := root.resolve(name)
		if err != nil || got != want {
			t.Errorf("resolve(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := root.resolve("etc/loop"); !errors.Is(err, errImageRootLinks) {
		t.Errorf("resolve of a loop: %v, want %v", err, errImageRootLinks)
	}
	if _, _, err := root.readFile("etc/dangling"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("readFile of a dangling link: %v, want not exist", err)
	}
	data, file, err := root.readFile("etc/sysctl.d/masked.conf")
	if err != nil || len(data) != 0 || file != "/dev/null" {
		t.Errorf("readFile of a link to /dev/null = %q, %q, %v; want empty /dev/null", data, file, err)
	}
	big := fstest.MapFS{"etc/big": {Data: make([]byte, maxFileBytes+1)}}
	if _, _, err := (imageRoot{big}).readFile("etc/big"); err == nil || !strings.Contains(err.Error(), "/etc/big is larger") {
		t.Errorf("readFile of a file over the bound: %v", err)
	}
}

// imageRootEqual compares rows, an empty result equal to none.
func imageRootEqual(got, want []Setting) bool {
	return len(got) == 0 && len(want) == 0 || reflect.DeepEqual(got, want)
}

// imageRootFuzzOne runs parse over fsys and checks that whatever rows it
// returns point inside fsys.
func imageRootFuzzOne(t *testing.T, parse func(fs.FS) ([]Setting, error), fsys fstest.MapFS) {
	t.Helper()
	rows, err := parse(fsys)
	if err != nil {
		return
	}
	imageRootCheckRows(t, fsys, rows)
}

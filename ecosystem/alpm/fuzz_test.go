package alpm

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzAlpmDB feeds one package directory made of the fuzzed desc, depends
// and files entries through the reader, with and without WithFiles.
func FuzzAlpmDB(f *testing.F) {
	real := realEntries(f)
	for i := 1; i < len(real); i += 2 {
		dir := strings.TrimSuffix(real[i-1].name, "/")
		desc := real[i].body
		head, tail, _ := strings.Cut(desc, "%DEPENDS%")
		f.Add(dir, []byte(desc), []byte(nil), []byte("%FILES%\nusr/\nusr/bin/\nusr/bin/x\n"))
		f.Add(dir, []byte(head), []byte("%DEPENDS%"+tail), []byte(nil))
	}
	f.Add("a-1-1", []byte("%NAME%\na\n%VERSION%\n1-1\n\n%CSIZE%\n\n%X%\n%Y%\n"), []byte("\r\n%DEPENDS%\nb>=1\n"), []byte("%FILES%\n../x\n"))
	f.Fuzz(func(t *testing.T, dir string, desc, depends, files []byte) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range []struct {
			name string
			body []byte
		}{{"files", files}, {"desc", desc}, {"depends", depends}} {
			if e.body == nil {
				continue
			}
			if err := tw.WriteHeader(&tar.Header{Name: dir + "/" + e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}); err != nil {
				return // a name tar cannot hold
			}
			tw.Write(e.body)
		}
		if err := tw.Close(); err != nil {
			return
		}
		for _, opts := range [][]Option{nil, {WithFiles()}} {
			r := NewReader(bytes.NewReader(buf.Bytes()), "fuzz", opts...)
			var last error
			for calls := 0; ; calls++ {
				if calls > 4 {
					t.Fatal("no progress")
				}
				p, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					var pe *ParseError
					if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "alpm: fuzz") {
						t.Fatalf("error %q is not a *ParseError naming the database", err)
					}
					if err == last { // final: archive-level damage
						break
					}
					last = err
					continue
				}
				if p.Name == "" || p.Version == "" || p.Dir != p.Name+"-"+p.Version {
					t.Fatalf("inconsistent package %+v", p)
				}
				if len(opts) == 0 && p.Files != nil {
					t.Fatal("files read without WithFiles")
				}
				for _, list := range [][]string{p.Depends, p.Provides, p.Conflicts, p.Replaces, p.MakeDepends, p.CheckDepends} {
					for _, c := range NormalRelations(list) {
						if strings.ContainsAny(c, "<>=") && !strings.Contains(c, " (") {
							t.Fatalf("relation %q is not in normal form", c)
						}
					}
				}
			}
		}
	})
}

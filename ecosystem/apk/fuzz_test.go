package apk

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/ecosystem/apk/apktest"
)

// FuzzAPKINDEX feeds the APKINDEX text through the record reader and, as
// the index member of a one-stream archive, through Reader.
func FuzzAPKINDEX(f *testing.F) {
	for _, fx := range apktest.Fixtures(f) {
		data, err := os.ReadFile(fx.Text)
		if err != nil {
			f.Fatal(err)
		}
		recs := strings.SplitAfter(string(data), "\n\n")
		for i := 0; i < len(recs); i += 3 {
			f.Add([]byte(strings.Join(recs[i:min(i+3, len(recs))], "")))
		}
	}
	f.Add([]byte("P:a\nV:1-r0\nD:!b c>=1 d~2 e><Q1C4uoV7SdMdDhYg4OCVmI71D8HIA=\nD:f\np:g=1\ni:h=1 !j\nk:0\nZ:x\nZ:y\r\n\n\nP:b\n"))
	f.Fuzz(fuzzAPKINDEX)
}

func fuzzAPKINDEX(t *testing.T, in []byte) {
	{
		check := func(next func() (*Package, error), name string) {
			var last error
			for calls := 0; ; calls++ {
				if calls > len(in)+2 {
					t.Fatalf("%d calls to Next on %d bytes: no progress", calls, len(in))
				}
				p, err := next()
				if err == io.EOF {
					return
				}
				if err != nil {
					var pe *ParseError
					if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "apkindex: "+name) {
						t.Fatalf("error %q is not a *ParseError naming the file", err)
					}
					if err == last {
						return // final
					}
					last = err
					continue
				}
				if p.Name == "" || p.Version == "" || p.Line < 1 || strings.ContainsAny(p.Name+p.Version, " \t\n") {
					t.Fatalf("bad package %+v", p)
				}
				// Every dependency is in normal form when rendered and
				// parses back to itself from its apk spelling.
				for _, list := range [][]Dependency{p.Depends, p.Provides, p.InstallIf} {
					for _, d := range list {
						c := d.String()
						name, rest, versioned := strings.Cut(strings.TrimPrefix(c, "!"), " (")
						if name == "" || versioned && !strings.HasSuffix(rest, ")") {
							t.Fatalf("dependency %q is not in normal form", c)
						}
						spelled := d.Name + d.Op + d.Version
						if d.Conflict {
							spelled = "!" + spelled
						}
						if again, err := ParseDependency(spelled); err != nil || again != d {
							t.Fatalf("dependency %+v does not parse back: %+v, %v", d, again, err)
						}
					}
				}
			}
		}
		check(NewPackagesReader(bytes.NewReader(in), "fuzz").Next, "fuzz")
		r, err := NewReader(bytes.NewReader(archive(t, tarMember{name: "APKINDEX", body: string(in)})), "fuzz.tar.gz")
		if err != nil {
			t.Fatal(err)
		}
		check(r.Next, "fuzz.tar.gz")
	}
}

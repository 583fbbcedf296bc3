package deb

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

// seedStanzas adds the fixtures' stanzas to a fuzz corpus in small groups, so
// that seeds stay short enough to mutate usefully.
func seedStanzas(f *testing.F, files ...string) {
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		stanzas := strings.SplitAfter(string(data), "\n\n")
		for i := 0; i < len(stanzas); i += 3 {
			f.Add([]byte(strings.Join(stanzas[i:min(i+3, len(stanzas))], "")))
		}
	}
}

func FuzzPackagesReader(f *testing.F) {
	seedStanzas(f, statusFixture, updatesFixture)
	data, err := os.ReadFile(mainFixture)
	if err != nil {
		f.Fatal(err)
	}
	for _, stanza := range strings.SplitAfter(string(data), "\n\n")[:40] {
		f.Add([]byte(stanza))
	}
	f.Add([]byte("Package: a\nVersion: 1\nArchitecture: all\nDescription: x\n long\n .\nDepends: b [amd64] <!x>,\n c|d\n# c\n\n \t\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		pr := NewPackagesReader(bytes.NewReader(in), "fuzz")
		for calls := 0; ; calls++ {
			if calls > len(in)+1 {
				t.Fatalf("%d calls to Next on %d bytes: no progress", calls, len(in))
			}
			p, err := pr.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Line < 1 || !strings.HasPrefix(err.Error(), "deb: fuzz line ") {
					t.Fatalf("error %q is not a *ParseError naming a line", err)
				}
				if errors.Is(err, ErrLineTooLong) || errors.Is(err, ErrStanzaTooLarge) {
					return
				}
				continue
			}
			if p.Package == "" || p.Version == "" || p.Architecture == "" || p.Line < 1 {
				t.Fatalf("incomplete package %+v", p)
			}
			if strings.Contains(p.Description, "\n") {
				t.Fatalf("description keeps more than its first line: %q", p.Description)
			}
			for _, clauses := range [][]string{p.Depends, p.PreDepends, p.Recommends, p.Suggests, p.Enhances,
				p.Conflicts, p.Breaks, p.Provides, p.Replaces, p.BuiltUsing, p.StaticBuiltUsing} {
				for _, c := range clauses {
					rels, err := ParseRelationClause(c)
					if err != nil {
						t.Fatalf("normalized clause %q does not parse: %v", c, err)
					}
					if s := string(appendAlternatives(nil, rels)); s != c {
						t.Fatalf("clause %q is not in normal form (%q)", c, s)
					}
				}
			}
		}
	})
}

func FuzzParseRelease(f *testing.F) {
	for _, file := range []string{releaseFixture, securityReleaseFixture} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("Date: Sat, 11 Jul 2026 10:16:37 +0200\nSHA1:\n 0000000000000000000000000000000000000000 0 a\n# c\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		rel, err := ParseRelease(bytes.NewReader(in))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "deb: Release line ") {
				t.Fatalf("error %q is not a *ParseError naming a line", err)
			}
			return
		}
		for i, file := range rel.Files {
			if i > 0 && rel.Files[i-1].Path >= file.Path {
				t.Fatalf("files not sorted and unique: %q then %q", rel.Files[i-1].Path, file.Path)
			}
			if got, ok := rel.File(file.Path); !ok || got != file {
				t.Fatalf("File(%q) = %+v, %v", file.Path, got, ok)
			}
			for _, h := range []struct {
				hash string
				n    int
			}{{file.MD5, 32}, {file.SHA1, 40}, {file.SHA256, 64}, {file.SHA512, 128}} {
				if h.hash != "" && len(h.hash) != h.n {
					t.Fatalf("%s: hash %q has the wrong length", file.Path, h.hash)
				}
			}
		}
	})
}

func FuzzParseRelationClause(f *testing.F) {
	for _, s := range []string{
		"libc6 (>= 2.34)", "python3:any", "default-mta | mail-transport-agent", "a (<1)",
		"foo:native (>= 1) [ linux-any ]  <!nocheck>  <cross !stage1>", "gpgv | gpgv2 | gpgv1",
		"zlib1g (>= 1:1.2.0)", "libgcc1 (= 1:12.2.0-14+deb12u1)", "a [amd64 !i386] <x> | b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rels, err := ParseRelationClause(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidRelation) {
				t.Fatalf("error %v is not ErrInvalidRelation", err)
			}
			return
		}
		if len(rels) == 0 {
			t.Fatal("no alternatives and no error")
		}
		norm := string(appendAlternatives(nil, rels))
		again, err := ParseRelationClause(norm)
		if err != nil {
			t.Fatalf("normal form %q of %q does not parse: %v", norm, s, err)
		}
		if !reflect.DeepEqual(again, rels) {
			t.Fatalf("normal form %q parses to %+v, not %+v", norm, again, rels)
		}
		var n relationNormalizer
		if got, err := n.clause(norm); err != nil || got != norm {
			t.Fatalf("normalizing %q again gives %q, %v", norm, got, err)
		}
		if isNormalClause(s) && norm != s {
			t.Fatalf("fast path calls %q normal, parser normalizes to %q", s, norm)
		}
	})
}

package synth

import (
	"archive/tar"
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// apkVersion spells a version as apk does: "1.2.3_rc1-r0" (no epoch;
// the build number counts from 0).
func apkVersion(p *pkg) string {
	return p.v.upstream("_") + "-r" + strconv.Itoa(p.v.rev-1)
}

// writeAPK writes one APKINDEX entry, letters in the order apk index
// writes them.
func (s *source) writeAPK(w *bufio.Writer, p *pkg) {
	stem := s.pool[p.proj].stem
	version := apkVersion(p)
	d := digestsOf(s.Name, p.name, version)
	arch := s.arch
	if p.indep {
		arch = "noarch"
	}
	field := func(letter, v string) {
		if v != "" {
			w.WriteString(letter + ":" + v + "\n")
		}
	}
	field("C", "Q1"+base64.StdEncoding.EncodeToString(d.sha1))
	field("P", p.name)
	field("V", version)
	field("A", arch)
	field("S", itoa(p.size))
	field("I", itoa(p.isize))
	field("T", summary(descRand(p)))
	field("U", s.homepage(p))
	field("L", license(p))
	field("o", stem)
	field("m", s.maints[p.maint])
	field("t", itoa(p.time))
	field("c", hex.EncodeToString(d.sha1))
	var deps []string
	for _, id := range p.deps {
		q := &s.all[id]
		switch {
		case q.kind == kindLib:
			deps = append(deps, "so:lib"+s.pool[q.proj].stem+".so."+strconv.Itoa(s.pool[q.proj].so))
		case (int(id)+int(p.proj))%5 < 2:
			deps = append(deps, q.name+">="+q.v.upstream("_"))
		default:
			deps = append(deps, q.name)
		}
	}
	if id, ok := s.conflict(p); ok {
		deps = append(deps, "!"+s.all[id].name)
	}
	if !p.indep {
		deps = append(deps, "so:libc.musl-x86_64.so.1")
	}
	field("D", strings.Join(deps, " "))
	switch {
	case p.kind == kindLib:
		so := strconv.Itoa(s.pool[p.proj].so)
		field("p", "so:lib"+stem+".so."+so+"="+so+".0.0")
	case p.kind == kindBin && p.extras&2 != 0:
		field("p", "cmd:"+stem+"="+version)
	}
	if p.kind == kindDoc && p.extras&1 != 0 {
		field("i", "docs "+stem+"="+version)
	}
	w.WriteByte('\n')
}

// writeAPKSuite writes the current suite: per component, an
// APKINDEX.tar.gz holding DESCRIPTION and APKINDEX, as apk index writes
// it before it is signed.
func (s *source) writeAPKSuite(root string) (Suite, error) {
	name := s.Suites[s.suite].Name
	su := Suite{Name: name}
	for ci, comp := range s.Components {
		var text bytes.Buffer
		w := bufio.NewWriter(&text)
		n, _ := s.each(ci, func(p *pkg) error { s.writeAPK(w, p); return nil })
		w.Flush()
		dir := filepath.Join(root, s.Name, name, comp, s.arch)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return su, err
		}
		mtime := suiteDate(s.suite)
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		tw := tar.NewWriter(zw)
		desc := name + "-" + strconv.Itoa(s.suite) + "-g" + hex.EncodeToString(digestsOf(s.Name, name, comp).sha1[:5])
		for _, m := range []struct {
			name string
			body []byte
		}{{"DESCRIPTION", []byte(desc)}, {"APKINDEX", text.Bytes()}} {
			if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
				return su, err
			}
			if _, err := tw.Write(m.body); err != nil {
				return su, err
			}
		}
		if err := tw.Close(); err != nil {
			return su, err
		}
		if err := zw.Close(); err != nil {
			return su, err
		}
		if err := os.WriteFile(filepath.Join(dir, "APKINDEX.tar.gz"), out.Bytes(), 0o644); err != nil {
			return su, err
		}
		su.Indexes = append(su.Indexes, Index{Component: comp, Architecture: s.arch, Rows: n})
		su.Rows += n
	}
	return su, nil
}

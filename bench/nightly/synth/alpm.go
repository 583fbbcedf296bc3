package synth

import (
	"archive/tar"
	"bufio"
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// alpmVersion spells a version as pacman does: [epoch:]pkgver-pkgrel,
// "1.2.3rc1" for a release candidate.
func alpmVersion(p *pkg) string {
	v := p.v.upstream("") + "-" + strconv.Itoa(p.v.rev)
	if p.v.epoch > 0 {
		v = strconv.Itoa(p.v.epoch) + ":" + v
	}
	return v
}

// alpmDesc is one package's desc entry, sections in the order repo-add
// writes them.
func (s *source) alpmDesc(b *strings.Builder, p *pkg) {
	stem := s.pool[p.proj].stem
	version := alpmVersion(p)
	arch := s.arch
	if p.indep {
		arch = "any"
	}
	d := digestsOf(s.Name, p.name, version)
	section := func(name string, values ...string) {
		if len(values) == 0 {
			return
		}
		b.WriteString("%" + name + "%\n")
		for _, v := range values {
			b.WriteString(v + "\n")
		}
		b.WriteString("\n")
	}
	rel := func(ids []int32, optional bool) []string {
		var out []string
		for _, id := range ids {
			q := &s.all[id]
			v := q.name
			if (int(id)+int(p.proj))%5 < 2 && !optional {
				v += ">=" + q.v.upstream("")
			}
			if optional {
				v += ": " + summary(descRand(q))
			}
			out = append(out, v)
		}
		return out
	}
	section("FILENAME", p.name+"-"+version+"-"+arch+".pkg.tar.zst")
	section("NAME", p.name)
	section("BASE", stem)
	section("VERSION", version)
	section("DESC", summary(descRand(p)))
	section("CSIZE", itoa(p.size))
	section("ISIZE", itoa(p.isize))
	section("MD5SUM", d.md5)
	section("SHA256SUM", d.sha256)
	// A detached signature's worth of base64, as databases carry one per
	// package.
	section("PGPSIG", base64.StdEncoding.EncodeToString([]byte(d.sha256+d.md5+d.sha256[:30])))
	section("URL", s.homepage(p))
	section("LICENSE", license(p))
	section("ARCH", arch)
	section("BUILDDATE", itoa(p.time))
	section("PACKAGER", s.maints[p.maint])
	if id, ok := s.conflict(p); ok {
		section("CONFLICTS", s.all[id].name)
	}
	if p.kind == kindLib {
		section("PROVIDES", "lib"+stem+".so="+strconv.Itoa(s.pool[p.proj].so)+"-64")
	}
	section("DEPENDS", rel(p.deps, false)...)
	section("OPTDEPENDS", rel(p.recs, true)...)
	if p.extras&2 != 0 && len(p.deps) > 0 {
		section("MAKEDEPENDS", rel(p.deps[:1], false)...)
	}
}

// writeALPMSuite writes the current suite: per component, COMPONENT.db,
// a gzip-compressed tar of NAME-VERSION/desc entries, as repo-add makes it.
func (s *source) writeALPMSuite(root string) (Suite, error) {
	name := s.Suites[s.suite].Name
	su := Suite{Name: name}
	mtime := suiteDate(s.suite)
	for ci, comp := range s.Components {
		dir := filepath.Join(root, s.Name, "repos", name, comp, "os", s.arch)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return su, err
		}
		f, err := os.Create(filepath.Join(dir, comp+".db"))
		if err != nil {
			return su, err
		}
		fw := bufio.NewWriterSize(f, 256<<10)
		zw := gzip.NewWriter(fw)
		tw := tar.NewWriter(zw)
		var desc strings.Builder
		n, err := s.each(ci, func(p *pkg) error {
			desc.Reset()
			s.alpmDesc(&desc, p)
			entry := p.name + "-" + alpmVersion(p)
			if err := tw.WriteHeader(&tar.Header{Name: entry + "/", Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeDir, Format: tar.FormatUSTAR}); err != nil {
				return err
			}
			if err := tw.WriteHeader(&tar.Header{Name: entry + "/desc", Mode: 0o644, Size: int64(desc.Len()), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}); err != nil {
				return err
			}
			_, err := tw.Write([]byte(desc.String()))
			return err
		})
		if err == nil {
			err = tw.Close()
		}
		if err == nil {
			err = zw.Close()
		}
		if err == nil {
			err = fw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return su, err
		}
		su.Indexes = append(su.Indexes, Index{Component: comp, Architecture: s.arch, Rows: n})
		su.Rows += n
	}
	return su, nil
}

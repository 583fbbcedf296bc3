package synth

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

var xmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// rpmEVR spells a version as rpm does: epoch, ver ("1.2~rc1") and rel
// with the dist tag of the release the package was built for ("2.el9").
func (s *source) rpmEVR(p *pkg) (epoch, ver, rel string) {
	return strconv.Itoa(p.v.epoch), p.v.upstream("~"), strconv.Itoa(p.v.rev) + "." + s.dist(p.built)
}

// writeRPM writes one <package> of primary.xml as createrepo_c does:
// provides of itself (and its soname for a library), requires with
// versions for some, a pre-install requirement and rpmlib's for some,
// and the binaries it installs.
func (s *source) writeRPM(w *bufio.Writer, p *pkg) {
	stem := s.pool[p.proj].stem
	e, v, r := s.rpmEVR(p)
	arch := s.arch
	if p.indep {
		arch = "noarch"
	}
	dr := descRand(p)
	sum := summary(dr)
	d := digestsOf(s.Name, p.name, e+":"+v+"-"+r)
	fmt.Fprintf(w, "<package type=\"rpm\">\n  <name>%s</name>\n  <arch>%s</arch>\n  <version epoch=\"%s\" ver=\"%s\" rel=\"%s\"/>\n", p.name, arch, e, v, r)
	fmt.Fprintf(w, "  <checksum type=\"sha256\" pkgid=\"YES\">%s</checksum>\n  <summary>%s</summary>\n  <description>%s</description>\n",
		d.sha256, xmlEscaper.Replace(sum), xmlEscaper.Replace(strings.Join(paragraphs(dr), "\n\n")))
	fmt.Fprintf(w, "  <packager>%s</packager>\n  <url>%s</url>\n  <time file=\"%d\" build=\"%d\"/>\n",
		xmlEscaper.Replace(s.maints[p.maint]), s.homepage(p), p.time+3600, p.time)
	fmt.Fprintf(w, "  <size package=\"%d\" installed=\"%d\" archive=\"%d\"/>\n  <location href=\"Packages/%c/%s-%s-%s.%s.rpm\"/>\n",
		p.size, p.isize, p.isize+p.isize/50, p.name[0], p.name, v, r, arch)
	fmt.Fprintf(w, "  <format>\n    <rpm:license>%s</rpm:license>\n    <rpm:vendor>%s</rpm:vendor>\n    <rpm:group>Unspecified</rpm:group>\n",
		license(p), s.Name)
	fmt.Fprintf(w, "    <rpm:buildhost>build%02d.%s</rpm:buildhost>\n    <rpm:sourcerpm>%s-%s-%s.src.rpm</rpm:sourcerpm>\n    <rpm:header-range start=\"4504\" end=\"%d\"/>\n",
		p.proj%40, s.domain, stem, v, r, 4504+int64(len(sum))*8+p.size%20000)
	w.WriteString("    <rpm:provides>\n")
	fmt.Fprintf(w, "      <rpm:entry name=\"%s\" flags=\"EQ\" epoch=\"%s\" ver=\"%s\" rel=\"%s\"/>\n", p.name, e, v, r)
	if !p.indep {
		fmt.Fprintf(w, "      <rpm:entry name=\"%s(x86-64)\" flags=\"EQ\" epoch=\"%s\" ver=\"%s\" rel=\"%s\"/>\n", p.name, e, v, r)
	}
	if p.kind == kindLib {
		fmt.Fprintf(w, "      <rpm:entry name=\"lib%s.so.%d()(64bit)\"/>\n", stem, s.pool[p.proj].so)
	}
	w.WriteString("    </rpm:provides>\n")
	if len(p.deps) > 0 || !p.indep {
		w.WriteString("    <rpm:requires>\n")
		if p.extras&8 != 0 {
			w.WriteString("      <rpm:entry name=\"/bin/sh\" pre=\"1\"/>\n")
		}
		for _, id := range p.deps {
			s.rpmEntry(w, p, id)
		}
		if !p.indep {
			w.WriteString("      <rpm:entry name=\"libc.so.6(GLIBC_2.34)(64bit)\"/>\n      <rpm:entry name=\"rtld(GNU_HASH)\"/>\n")
		}
		w.WriteString("    </rpm:requires>\n")
	}
	if id, ok := s.conflict(p); ok {
		w.WriteString("    <rpm:obsoletes>\n")
		s.rpmEntry(w, p, id)
		w.WriteString("    </rpm:obsoletes>\n")
	}
	if len(p.recs) > 0 {
		w.WriteString("    <rpm:recommends>\n")
		for _, id := range p.recs {
			s.rpmEntry(w, p, id)
		}
		w.WriteString("    </rpm:recommends>\n")
	}
	if p.kind == kindBin {
		fmt.Fprintf(w, "    <file>/usr/bin/%s</file>\n", stem)
	}
	w.WriteString("  </format>\n</package>\n")
}

func (s *source) rpmEntry(w *bufio.Writer, from *pkg, id int32) {
	d := &s.all[id]
	if (int(id)+int(from.proj))%5 < 2 {
		e, v, _ := s.rpmEVR(d)
		fmt.Fprintf(w, "      <rpm:entry name=\"%s\" flags=\"GE\" epoch=\"%s\" ver=\"%s\"/>\n", d.name, e, v)
		return
	}
	fmt.Fprintf(w, "      <rpm:entry name=\"%s\"/>\n", d.name)
}

// writeRPMMDSuite writes the current suite: per component, a repository
// with its primary.xml.gz under its SHA256 and a repomd.xml naming it.
func (s *source) writeRPMMDSuite(root string) (Suite, error) {
	name := s.Suites[s.suite].Name
	su := Suite{Name: name}
	stamp := suiteDate(s.suite).Unix()
	for ci, comp := range s.Components {
		repodata := filepath.Join(root, s.Name, name, comp, s.arch, "os", "repodata")
		tmp := filepath.Join(repodata, "primary.xml.gz.tmp")
		var n int64
		count := 0
		for _, id := range s.members {
			if int(s.all[id].comp) == ci {
				count++
			}
		}
		plain, gz, err := writeCompressed(tmp, func(w *bufio.Writer) error {
			fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"%d\">\n", count)
			var err error
			n, err = s.each(ci, func(p *pkg) error { s.writeRPM(w, p); return nil })
			w.WriteString("</metadata>\n")
			return err
		})
		if err != nil {
			return su, err
		}
		href := "repodata/" + gz.sha256 + "-primary.xml.gz"
		if err := os.Rename(tmp, filepath.Join(repodata, gz.sha256+"-primary.xml.gz")); err != nil {
			return su, err
		}
		var md bytes.Buffer
		fmt.Fprintf(&md, `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>%d</revision>
  <data type="primary">
    <checksum type="sha256">%s</checksum>
    <open-checksum type="sha256">%s</open-checksum>
    <location href="%s"/>
    <timestamp>%d</timestamp>
    <size>%d</size>
    <open-size>%d</open-size>
  </data>
</repomd>
`, stamp, gz.sha256, plain.sha256, href, stamp, gz.size, plain.size)
		if err := os.WriteFile(filepath.Join(repodata, "repomd.xml"), md.Bytes(), 0o644); err != nil {
			return su, err
		}
		su.Indexes = append(su.Indexes, Index{Component: comp, Architecture: s.arch, Rows: n})
		su.Rows += n
	}
	return su, nil
}

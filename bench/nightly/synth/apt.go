package synth

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/klauspost/compress/gzip"
)

// debVersion spells a version as Debian does: [epoch:]upstream[-revision],
// "~rc1" for a release candidate, "+dfsg" on repacked sources, no
// revision for native packages, and the source's revision style
// ("-0ubuntu2", "-3+deb13u1" for an update to a released suite).
func (s *source) debVersion(p *pkg) string {
	var b strings.Builder
	if p.v.epoch > 0 {
		b.WriteString(strconv.Itoa(p.v.epoch) + ":")
	}
	b.WriteString(p.v.upstream("~"))
	switch {
	case p.proj%10 == 0:
		return b.String() // native
	case p.proj%9 == 0:
		b.WriteString("+dfsg")
	}
	rev := strconv.Itoa(p.v.rev)
	switch s.revSuffix {
	case "ubuntu":
		b.WriteString("-0ubuntu" + rev)
	case "+deb":
		b.WriteString("-" + rev)
		if p.built > 0 {
			fmt.Fprintf(&b, "+deb%du1", s.suiteBase+p.built)
		}
	default:
		b.WriteString("-" + rev)
	}
	return b.String()
}

// debRelation is one dependency clause on package id: some versioned,
// a few with an alternative.
func (s *source) debRelation(from *pkg, id int32, op string) string {
	d := &s.all[id]
	c := d.name
	if (int(id)+int(from.proj))%5 < 2 {
		v := d.v.upstream("~")
		if d.v.epoch > 0 {
			v = strconv.Itoa(d.v.epoch) + ":" + v
		}
		c += " (" + op + " " + v + ")"
	}
	if id%19 == 0 && int(id)+1 < len(s.all) {
		c += " | " + s.all[id+1].name
	}
	return c
}

func (s *source) debRelations(from *pkg, ids []int32, op string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = s.debRelation(from, id, op)
	}
	return strings.Join(parts, ", ")
}

// writeStanza writes one Packages stanza, fields in the order dpkg-scanpackages
// and dak write them.
func (s *source) writeStanza(w *bufio.Writer, p *pkg) {
	stem := s.pool[p.proj].stem
	version := s.debVersion(p)
	arch := s.arch
	if p.indep {
		arch = "all"
	}
	field := func(name, value string) {
		if value != "" {
			w.WriteString(name)
			w.WriteString(": ")
			w.WriteString(value)
			w.WriteByte('\n')
		}
	}
	field("Package", p.name)
	if p.name != stem {
		field("Source", stem)
	}
	field("Version", version)
	field("Installed-Size", itoa(p.isize/1024+1))
	field("Maintainer", s.maints[p.maint])
	field("Architecture", arch)
	if p.extras&1 != 0 || p.kind == kindLib {
		field("Multi-Arch", map[bool]string{true: "same", false: "foreign"}[p.kind == kindLib])
	}
	if p.extras&2 != 0 {
		field("Provides", stem+"-abi-"+strconv.Itoa(s.pool[p.proj].so))
	}
	deps := p.deps
	if p.extras&8 != 0 && len(deps) > 0 {
		field("Pre-Depends", s.debRelation(p, deps[0], ">="))
		deps = deps[1:]
	}
	field("Depends", s.debRelations(p, deps, ">="))
	field("Recommends", s.debRelations(p, p.recs, ">="))
	if id, ok := s.conflict(p); ok {
		rel := s.debRelation(p, id, "<<")
		field("Breaks", rel)
		field("Replaces", rel)
	}
	r := descRand(p)
	short := summary(r)
	field("Description", short)
	long := ""
	if s.longDesc {
		var b strings.Builder
		for i, para := range paragraphs(r) {
			if i > 0 {
				b.WriteString(" .\n")
			}
			for _, line := range wrap(para, 72) {
				b.WriteString(" " + line + "\n")
			}
		}
		long = b.String()
		w.WriteString(long)
	}
	field("Homepage", s.homepage(p))
	if !s.longDesc {
		sum := md5.Sum([]byte(short + "\n"))
		field("Description-md5", hex.EncodeToString(sum[:]))
	}
	field("Section", s.sectionOf(p))
	field("Priority", "optional")
	noEpoch := version
	if i := strings.IndexByte(noEpoch, ':'); i >= 0 {
		noEpoch = noEpoch[i+1:]
	}
	pool := stem[:1]
	if strings.HasPrefix(stem, "lib") && len(stem) > 3 {
		pool = stem[:4]
	}
	comp := s.Components[p.comp]
	field("Filename", "pool/"+comp+"/"+pool+"/"+stem+"/"+p.name+"_"+noEpoch+"_"+arch+".deb")
	field("Size", itoa(p.size))
	d := digestsOf(s.Name, p.name, version)
	field("MD5sum", d.md5)
	field("SHA256", d.sha256)
	w.WriteByte('\n')
}

// releaseFile is one file a Release lists.
type releaseFile struct {
	path   string
	size   int64
	sha256 string
}

// writeAptSuite writes the current suite as dists/SUITE: each index's
// Packages.gz (the plain Packages is listed in the Release, as Debian
// lists it, but not served) and an InRelease clearsigned by key.
func (s *source) writeAptSuite(root string, key *openpgp.Entity) (Suite, error) {
	name := s.Suites[s.suite].Name
	dists := filepath.Join(root, s.Name, "dists", name)
	su := Suite{Name: name}
	var files []releaseFile
	for ci, comp := range s.Components {
		rel := comp + "/binary-" + s.arch + "/Packages"
		out := filepath.Join(dists, filepath.FromSlash(rel)+".gz")
		var n int64
		plain, gz, err := writeCompressed(out, func(w *bufio.Writer) error {
			var err error
			n, err = s.each(ci, func(p *pkg) error { s.writeStanza(w, p); return nil })
			return err
		})
		if err != nil {
			return su, err
		}
		files = append(files, releaseFile{rel, plain.size, plain.sha256}, releaseFile{rel + ".gz", gz.size, gz.sha256})
		su.Indexes = append(su.Indexes, Index{Component: comp, Architecture: s.arch, Rows: n})
		su.Rows += n
	}
	date := suiteDate(s.suite)
	var rel bytes.Buffer
	fmt.Fprintf(&rel, "Origin: %s\nLabel: %s\nSuite: %s\nCodename: %s\nVersion: %d\nDate: %s\nArchitectures: %s\nComponents: %s\nDescription: %s %s (synthetic)\nSHA256:\n",
		s.Name, s.Name, name, name, s.suiteBase+s.suite+1, date.Format(time.RFC1123), s.arch, strings.Join(s.Components, " "), s.Name, name)
	for _, f := range files {
		fmt.Fprintf(&rel, " %s %16d %s\n", f.sha256, f.size, f.path)
	}
	if err := os.WriteFile(filepath.Join(dists, "Release"), rel.Bytes(), 0o644); err != nil {
		return su, err
	}
	var signed bytes.Buffer
	// The signature's salt (go-crypto salts EdDSA signatures) comes from
	// the seed too, so that the same seed signs the same bytes.
	salt := rand.NewChaCha8(sha256.Sum256(fmt.Appendf(nil, "%d %s %s", s.seed, s.Name, name)))
	cfg := &packet.Config{DefaultHash: crypto.SHA256, Time: func() time.Time { return date }, Rand: salt}
	w, err := clearsign.Encode(&signed, key.PrivateKey, cfg)
	if err != nil {
		return su, fmt.Errorf("synth: sign %s: %w", name, err)
	}
	if _, err := w.Write(rel.Bytes()); err != nil {
		return su, err
	}
	if err := w.Close(); err != nil {
		return su, fmt.Errorf("synth: sign %s: %w", name, err)
	}
	return su, os.WriteFile(filepath.Join(dists, "InRelease"), signed.Bytes(), 0o644)
}

// sized is the size and SHA256 of a file's bytes.
type sized struct {
	size   int64
	sha256 string
}

type countHash struct {
	n int64
	h hash.Hash
}

func (c *countHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

func (c *countHash) sized() sized { return sized{c.n, hex.EncodeToString(c.h.Sum(nil))} }

// writeCompressed writes what fill writes gzip-compressed to path, and
// returns the size and SHA256 of the plain and of the compressed bytes.
func writeCompressed(path string, fill func(w *bufio.Writer) error) (plain, compressed sized, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return plain, compressed, err
	}
	f, err := os.Create(path)
	if err != nil {
		return plain, compressed, err
	}
	defer f.Close()
	ch := &countHash{h: sha256.New()}
	fw := bufio.NewWriterSize(io.MultiWriter(f, ch), 256<<10)
	zw, err := gzip.NewWriterLevel(fw, gzip.DefaultCompression)
	if err != nil {
		return plain, compressed, err
	}
	ph := &countHash{h: sha256.New()}
	w := bufio.NewWriterSize(io.MultiWriter(zw, ph), 256<<10)
	if err := fill(w); err != nil {
		return plain, compressed, err
	}
	if err := w.Flush(); err != nil {
		return plain, compressed, err
	}
	if err := zw.Close(); err != nil {
		return plain, compressed, err
	}
	if err := fw.Flush(); err != nil {
		return plain, compressed, err
	}
	return ph.sized(), ch.sized(), f.Close()
}

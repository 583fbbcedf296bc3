package synth

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"strings"
)

// words make up summaries and descriptions.
var words = strings.Fields(`library tool utility daemon server client interface bindings module plugin
framework toolkit extension driver parser compiler interpreter runtime engine backend frontend viewer
editor manager monitor scanner generator converter for the a an of and with to from in on using based
simple fast small lightweight portable modern secure flexible extensible graphical command-line
network file image audio video text data configuration package system kernel memory process thread
cache database storage protocol format document font theme icon shell terminal window desktop
support development documentation headers shared static files scripts examples tests python perl
rust go java ruby lua haskell ocaml emacs vim gtk qt x11 wayland xml json yaml http tls ssh dns
compression encryption authentication logging testing debugging profiling packaging building
this provides contains includes implements offers allows enables handles reads writes manages
users applications programs developers administrators which that can may is are be it its also`)

// summary is a package's one-line description, 3 to 9 words.
func summary(r *rand.Rand) string {
	var b strings.Builder
	for i := range 3 + r.IntN(7) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[r.IntN(len(words))])
	}
	return b.String()
}

// paragraphs is a long description: 1 to 3 paragraphs of 2 to 5 sentences,
// 300 to 700 characters in most packages.
func paragraphs(r *rand.Rand) []string {
	var out []string
	for range 1 + r.IntN(3) {
		var b strings.Builder
		for s := range 2 + r.IntN(4) {
			if s > 0 {
				b.WriteByte(' ')
			}
			for w := range 6 + r.IntN(11) {
				word := words[r.IntN(len(words))]
				if w == 0 {
					word = strings.ToUpper(word[:1]) + word[1:]
				} else {
					b.WriteByte(' ')
				}
				b.WriteString(word)
			}
			b.WriteByte('.')
		}
		out = append(out, b.String())
	}
	return out
}

// wrap breaks a paragraph into lines of at most width characters.
func wrap(text string, width int) []string {
	var lines []string
	for len(text) > width {
		i := strings.LastIndexByte(text[:width+1], ' ')
		if i <= 0 {
			i = width
		}
		lines = append(lines, text[:i])
		text = strings.TrimLeft(text[i:], " ")
	}
	return append(lines, text)
}

// descRand is the random stream a package's descriptions come from: the
// same in every suite, as a package's description seldom changes.
func descRand(p *pkg) *rand.Rand { return rand.New(rand.NewPCG(p.desc, 7)) }

// digests stand in for a package file's checksums: derived from its
// source, name and version, so they are stable and distinct.
type digests struct {
	sha256 string
	md5    string
	sha1   []byte
}

func digestsOf(source, name, version string) digests {
	id := []byte(source + "\x00" + name + "\x00" + version)
	s := sha256.Sum256(id)
	m := md5.Sum(id)
	h := sha1.Sum(id)
	return digests{sha256: hex.EncodeToString(s[:]), md5: hex.EncodeToString(m[:]), sha1: h[:]}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sectionOf is a package's Debian section (and rpm group, in rpm's
// words).
func (s *source) sectionOf(p *pkg) string {
	switch p.kind {
	case kindLib:
		return "libs"
	case kindDev:
		return "libdevel"
	case kindDoc:
		return "doc"
	case kindPython:
		return "python"
	case kindPerl:
		return "perl"
	}
	return [...]string{"utils", "admin", "net", "devel", "web", "x11", "text", "science", "games", "sound", "video", "editors", "graphics", "misc"}[p.proj%14]
}

// license is the project's license, one of the common ones.
func license(p *pkg) string {
	return [...]string{"MIT", "GPL-2.0-or-later", "GPL-3.0-or-later", "Apache-2.0", "BSD-3-Clause", "LGPL-2.1-or-later", "MPL-2.0", "ISC", "GPL-2.0-only", "Artistic-1.0-Perl OR GPL-1.0-or-later"}[p.proj%10]
}

// homepage is the project's, on an example domain.
func (s *source) homepage(p *pkg) string {
	stem := s.pool[p.proj].stem
	if p.proj%3 == 0 {
		return "https://git.example.org/" + stem + "/" + stem
	}
	return "https://" + stem + ".example.org/"
}

// each calls fn with the current suite's packages of component ci.
func (s *source) each(ci int, fn func(p *pkg) error) (int64, error) {
	var n int64
	for _, id := range s.members {
		p := &s.all[id]
		if int(p.comp) != ci {
			continue
		}
		if err := fn(p); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

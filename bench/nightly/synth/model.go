package synth

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// project is an upstream project of the pool every source draws from: its
// name stem, the binary packages distributions split it into, its soname
// and its upstream version. Sharing the pool is what makes comparisons
// across distributions pair names and versions.
type project struct {
	stem  string
	kinds []kind
	so    int // soname major, for libfoo3
	v     version
}

// kind is what a binary package of a project is; each ecosystem names it
// its own way (name).
type kind uint8

const (
	kindBin kind = iota
	kindLib
	kindDev
	kindDoc
	kindPython
	kindPerl
)

// version is an upstream version and a packaging revision; each
// ecosystem spells it its own way (spell*). pre is a release candidate
// number (0: a release).
type version struct {
	epoch int
	comps []int
	pre   int
	rev   int
}

func (v version) upstream(preSep string) string {
	var b strings.Builder
	for i, c := range v.comps {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.Itoa(c))
	}
	if v.pre > 0 {
		b.WriteString(preSep + "rc" + strconv.Itoa(v.pre))
	}
	return b.String()
}

// bump is the next version: mostly a new upstream release (one component
// raised, the later ones zeroed, the revision back to 1), else a new
// revision of the same one.
func (v version) bump(r *rand.Rand) version {
	n := version{epoch: v.epoch, comps: slices.Clone(v.comps), rev: v.rev + 1}
	if r.IntN(10) < 7 {
		i := len(n.comps) - 1 - min(len(n.comps)-1, int(r.ExpFloat64()*0.7))
		n.comps[i]++
		for j := i + 1; j < len(n.comps); j++ {
			n.comps[j] = 0
		}
		n.pre, n.rev = 0, 1
	}
	return n
}

var (
	onsets = strings.Fields("b c d f g h j k l m n p r s t v w z br ch cr dr fl gl gr kl pl pr sh st tr th sp sk qu")
	nuclei = strings.Fields("a e i o u a e i o ai ea io ou y")
	codas  = []string{"", "", "", "n", "r", "s", "x", "l", "m", "t", "ck", "ng", "ft"}
	tails  = strings.Fields("utils tools common core data server client gtk qt plugins extras base bin")
)

// newPool makes n projects with distinct stems, deterministically from seed.
func newPool(seed uint64, n int) []project {
	r := rand.New(rand.NewPCG(seed, 0x9001))
	seen := make(map[string]bool, n)
	out := make([]project, 0, n)
	for len(out) < n {
		var b strings.Builder
		for range 1 + r.IntN(3) {
			b.WriteString(onsets[r.IntN(len(onsets))] + nuclei[r.IntN(len(nuclei))] + codas[r.IntN(len(codas))])
		}
		switch x := r.IntN(20); {
		case x < 2:
			b.WriteString("-" + tails[r.IntN(len(tails))])
		case x < 3:
			b.WriteString(strconv.Itoa(2 + r.IntN(4)))
		}
		stem := b.String()
		if len(stem) < 3 || seen[stem] {
			continue
		}
		seen[stem] = true
		p := project{stem: stem, so: r.IntN(12), v: randomVersion(r)}
		if r.IntN(4) != 0 {
			p.kinds = append(p.kinds, kindBin)
		}
		if r.IntN(3) == 0 || len(p.kinds) == 0 {
			p.kinds = append(p.kinds, kindLib)
			if r.IntN(10) != 0 {
				p.kinds = append(p.kinds, kindDev)
			}
		}
		if r.IntN(5) == 0 {
			p.kinds = append(p.kinds, kindDoc)
		}
		if r.IntN(8) == 0 {
			p.kinds = append(p.kinds, kindPython)
		}
		if r.IntN(16) == 0 {
			p.kinds = append(p.kinds, kindPerl)
		}
		out = append(out, p)
	}
	return out
}

// randomVersion has real versions' shapes: mostly two or three
// components, a few dates (20240115) and release candidates.
func randomVersion(r *rand.Rand) version {
	v := version{rev: 1 + r.IntN(3)}
	if r.IntN(15) == 0 {
		v.comps = []int{(2015+r.IntN(11))*10000 + 100*(1+r.IntN(12)) + 1 + r.IntN(28)}
		return v
	}
	n := 2 + r.IntN(3)
	if n == 4 && r.IntN(2) == 0 {
		n = 3
	}
	v.comps = make([]int, n)
	v.comps[0] = int(r.ExpFloat64() * 2)
	for i := 1; i < n; i++ {
		v.comps[i] = int(r.ExpFloat64() * 8)
	}
	if r.IntN(25) == 0 {
		v.pre = 1 + r.IntN(3)
	}
	return v
}

// pkg is one binary package of a source, across its suites: it changes in
// place as the suites are generated one after the other.
type pkg struct {
	name   string
	proj   int32
	kind   kind
	comp   uint8 // index into the source's components
	maint  uint16
	v      version
	built  int // the suite it was last built for
	size   int64
	isize  int64
	deps   []int32 // ids of other packages of the source
	recs   []int32
	time   int64 // build time, Unix seconds
	indep  bool  // architecture-independent
	desc   uint64
	extras uint8 // bit 0 Multi-Arch, 1 Provides, 2 Breaks/Replaces, 3 Pre-Depends
}

// source is the packages of one source: every package it ever had (ids
// index all) and the members of the current suite.
type source struct {
	sourcePlan
	pool    []project
	r       *rand.Rand
	all     []pkg
	members []int32
	order   []int // the pool, in the order the source adopts projects
	next    int
	maints  []string
	names   map[string]bool
	suite   int
	seed    uint64
}

func newSource(sp sourcePlan, pool []project, seed uint64) *source {
	s := &source{sourcePlan: sp, pool: pool, r: rand.New(rand.NewPCG(seed, uint64(sp.index)+1)), names: map[string]bool{}, seed: seed}
	s.order = s.r.Perm(len(pool))
	nMaint := 20 + sp.first/40
	for range nMaint {
		s.maints = append(s.maints, s.maintainer())
	}
	for len(s.members) < sp.first {
		s.adopt()
	}
	s.sort()
	return s
}

var (
	firstNames = strings.Fields("Alex Ana Bruno Chen Dana Elif Femi Greta Hiro Ines Jonas Kaia Lars Maya Nils Olga Priya Quinn Rosa Sven Tariq Uma Vera Wen Yusuf Zoe")
	lastNames  = strings.Fields("Albers Brandt Costa Dubois Eriksen Fischer Garcia Hansen Ito Jensen Kowalski Lindqvist Moreau Novak Okafor Petrov Quist Rossi Schmidt Tanaka Ueda Varga Weber Xu Yilmaz Zhou")
	teams      = strings.Fields("Python Perl GNOME KDE Rust Go Java Ruby Science Games Fonts Multimedia Kernel Security Toolchain")
)

func (s *source) maintainer() string {
	r := s.r
	if r.IntN(4) == 0 {
		t := teams[r.IntN(len(teams))]
		return t + " Team <" + strings.ToLower(t) + "-team@" + s.domain + ">"
	}
	f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	return f + " " + l + " <" + strings.ToLower(f[:1]+l) + "@" + s.domain + ">"
}

// adopt takes the source's next project from the pool and adds its
// binary packages, each with its dependencies, to the current suite.
func (s *source) adopt() {
	if s.next == len(s.order) {
		return // the pool is used up: the source stops growing
	}
	pi := int32(s.order[s.next])
	s.next++
	p := s.pool[pi]
	r := s.r
	v := version{epoch: p.v.epoch, comps: slices.Clone(p.v.comps), pre: p.v.pre, rev: p.v.rev}
	switch x := r.IntN(4); { // distributions lag or lead upstream
	case x == 0 && v.comps[len(v.comps)-1] > 0:
		v.comps[len(v.comps)-1]--
	case x == 1:
		v = v.bump(r)
	}
	if r.IntN(12) == 0 {
		v.epoch = 1 + r.IntN(2)
	}
	comp := uint8(0)
	if len(s.Components) > 1 && r.IntN(5) == 0 {
		comp = 1
	}
	lib := int32(-1)
	for _, k := range p.kinds {
		name := s.name(p, k)
		if s.names[name] {
			continue // another project's package has the name already
		}
		s.names[name] = true
		id := int32(len(s.all))
		q := pkg{name: name, proj: pi, kind: k, comp: comp, maint: uint16(r.IntN(len(s.maints))), v: v,
			built: s.suite, desc: r.Uint64(), indep: k == kindDoc || k == kindPython || k == kindPerl}
		q.size = int64(math.Exp(10.3 + 1.6*r.NormFloat64()))
		if k == kindDoc {
			q.size *= 3
		}
		q.size = min(max(q.size, 800), 2<<30)
		q.isize = q.size * int64(2+r.IntN(4))
		q.time = suiteDate(s.suite).Unix() - int64(r.IntN(400*86400))
		q.extras = uint8(r.IntN(256)) & uint8(r.IntN(256)) & uint8(r.IntN(256)) // each bit about one in eight
		// Dependencies: a library's -dev package needs it; the rest pick
		// a skewed count (most have a few, some a dozen) among the
		// packages already there, the first ones — the base system —
		// most often, as libc6 is.
		if k == kindDev && lib >= 0 {
			q.deps = append(q.deps, lib)
		}
		nDeps := min(15, int(r.ExpFloat64()*3.2))
		for range nDeps {
			if len(s.all) == 0 {
				break
			}
			var d int32
			if r.IntN(2) == 0 {
				d = int32(r.IntN(max(1, min(len(s.all), 40))))
			} else {
				d = int32(r.IntN(len(s.all)))
			}
			if !slices.Contains(q.deps, d) {
				q.deps = append(q.deps, d)
			}
		}
		if r.IntN(4) == 0 && len(s.all) > 0 {
			q.recs = append(q.recs, int32(r.IntN(len(s.all))))
		}
		if k == kindLib {
			lib = id
		}
		s.all = append(s.all, q)
		s.members = append(s.members, id)
	}
}

// conflict is the package p breaks, conflicts with or obsoletes, when it
// does (extras bit 2): another package of the source, not one it needs.
func (s *source) conflict(p *pkg) (int32, bool) {
	if p.extras&4 == 0 || len(s.all) < 2 {
		return 0, false
	}
	id := int32(p.desc % uint64(len(s.all)))
	if slices.Contains(p.deps, id) || s.all[id].name == p.name {
		return 0, false
	}
	return id, true
}

// name is how the source's ecosystem names a project's binary package.
func (s *source) name(p project, k kind) string {
	so := strconv.Itoa(p.so)
	switch s.Format {
	case "apt":
		lib := "lib" + p.stem
		if p.stem[len(p.stem)-1] >= '0' && p.stem[len(p.stem)-1] <= '9' {
			lib += "-"
		}
		return [...]string{p.stem, lib + so, "lib" + p.stem + "-dev", p.stem + "-doc", "python3-" + p.stem, "lib" + p.stem + "-perl"}[k]
	case "rpm-md":
		return [...]string{p.stem, p.stem + "-libs", p.stem + "-devel", p.stem + "-doc", "python3-" + p.stem, "perl-" + p.stem}[k]
	case "apk":
		return [...]string{p.stem, p.stem + "-libs", p.stem + "-dev", p.stem + "-doc", "py3-" + p.stem, "perl-" + p.stem}[k]
	default:
		return [...]string{p.stem, "lib" + p.stem, p.stem + "-headers", p.stem + "-docs", "python-" + p.stem, "perl-" + p.stem}[k]
	}
}

// nextSuite turns the current suite into the next: 10–20% of its packages
// at a new version (every binary package of a project together, as a
// source package is rebuilt), about 3% removed and 5% added.
func (s *source) nextSuite() {
	r := s.r
	s.suite++
	bumpShare := 0.10 + 0.10*r.Float64()
	// A project is rebuilt or not as a whole: every binary package of it
	// gets the same answer.
	type decision struct {
		bump bool
		v    version
	}
	decided := map[int32]decision{}
	kept := s.members[:0]
	for _, id := range s.members {
		p := &s.all[id]
		if r.Float64() < 0.03 {
			continue
		}
		kept = append(kept, id)
		d, seen := decided[p.proj]
		if !seen {
			d.bump = r.Float64() < bumpShare
			if d.bump {
				d.v = p.v.bump(r)
			}
			decided[p.proj] = d
		}
		if !d.bump {
			continue
		}
		v := d.v
		p.v, p.built = v, s.suite
		p.time = suiteDate(s.suite).Unix() - int64(r.IntN(80*86400))
		p.size += p.size / int64(8+r.IntN(40)) * int64(r.IntN(3)-1)
	}
	s.members = kept
	for target := len(s.members) + len(s.members)/20; len(s.members) < target && s.next < len(s.order); {
		s.adopt()
	}
	s.sort()
}

// sort orders the members by name, as archive tools write indexes.
func (s *source) sort() {
	slices.SortFunc(s.members, func(a, b int32) int { return strings.Compare(s.all[a].name, s.all[b].name) })
}

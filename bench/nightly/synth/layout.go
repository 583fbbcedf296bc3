package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/distroscope/distroscope/repo"
)

// Config is everything the generated tree follows from.
type Config struct {
	// Seed makes the tree: the same seed, the same bytes.
	Seed uint64
	// Sources is how many sources to generate, in the four formats in the
	// ratio 40:25:20:20 (apt, rpm-md, apk, alpm); at least four, one of
	// each.
	Sources int
	// Rows is about how many package rows every suite of every source
	// holds together; the sizes of the size classes are scaled to it. The
	// tree's Rows says the exact figure.
	Rows int64
}

// DefaultConfig is the benchmark's: 105 sources, about 2.5 million rows,
// which keeps the large sources at Debian's 60–70k packages per index.
func DefaultConfig() Config { return Config{Seed: 1, Sources: 105, Rows: 2_500_000} }

func (c Config) validate() error {
	if c.Sources < 4 {
		return fmt.Errorf("synth: %d sources: want at least 4, one per format", c.Sources)
	}
	if c.Rows < int64(c.Sources)*10 {
		return fmt.Errorf("synth: %d rows for %d sources: want at least 10 rows a source", c.Rows, c.Sources)
	}
	return nil
}

// Source is one generated source: a catalogue entry and what its suites
// hold.
type Source struct {
	Name          string      `json:"name"`
	Format        repo.Format `json:"format"`
	Class         string      `json:"class"` // large, medium, small
	Components    []string    `json:"components"`
	Architectures []string    `json:"architectures"`
	// URLTemplate is set where the format's default layout has no place
	// for several suites (alpm: Arch's archive layout, repos/SUITE/…).
	URLTemplate string  `json:"url_template,omitempty"`
	Suites      []Suite `json:"suites"`
}

// Suite is one suite of a source and its rows, per index and in all.
type Suite struct {
	Name    string  `json:"name"`
	Indexes []Index `json:"indexes"`
	Rows    int64   `json:"rows"`
}

// Index is one component × architecture of a suite.
type Index struct {
	Component    string `json:"component"`
	Architecture string `json:"architecture"`
	Rows         int64  `json:"rows"`
}

// Ref is SOURCE/SUITE, as catalogues and plans name a snapshot.
func (s Source) Ref(suite string) string { return s.Name + "/" + suite }

// Rows is every row of every suite of the source.
func (s Source) Rows() int64 {
	var n int64
	for _, su := range s.Suites {
		n += su.Rows
	}
	return n
}

// formatShares is the ratio of formats among the sources.
var formatShares = []struct {
	format repo.Format
	share  int
}{{repo.FormatApt, 40}, {repo.FormatRPMMD, 25}, {repo.FormatAPK, 20}, {repo.FormatALPM, 20}}

// sizeClass is a kind of source by the packages of its first suite: real
// archives range from Debian's main (~65k) through Fedora, Alpine
// community and Arch extra (10–30k) to small distributions and overlays.
type sizeClass struct {
	name     string
	min, max int
}

var (
	large  = sizeClass{"large", 60_000, 70_000}
	medium = sizeClass{"medium", 10_000, 30_000}
	small  = sizeClass{"small", 1_000, 5_000}
)

// sourcePlan is a source before its packages exist: its size class,
// suites and the packages its first suite is to hold.
type sourcePlan struct {
	Source
	index int // position among all sources, for its random stream
	first int // packages of the first suite
	flavor
}

// layOut lays the sources out: formats by share, size classes (about one in
// twenty large, apt and rpm-md only; a quarter medium; the rest small),
// one to three suites each, and first-suite sizes scaled so that all suites
// together hold about c.Rows.
func layOut(c Config) []sourcePlan {
	r := rand.New(rand.NewPCG(c.Seed, 0x5eed))
	counts := make([]int, len(formatShares))
	left := c.Sources
	for i, f := range formatShares {
		counts[i] = 1 + (c.Sources-len(formatShares))*f.share/105
		left -= counts[i]
	}
	for i := 0; left > 0; i = (i + 1) % len(counts) {
		counts[i]++
		left--
	}
	nLarge := max(1, c.Sources/20)
	largeOf := map[repo.Format]int{repo.FormatApt: (nLarge*3 + 4) / 5, repo.FormatRPMMD: nLarge - (nLarge*3+4)/5}
	var out []sourcePlan
	for fi, f := range formatShares {
		nMedium := max(1, counts[fi]*25/100)
		for k := range counts[fi] {
			class := small
			switch {
			case k < largeOf[f.format]:
				class = large
			case k < largeOf[f.format]+nMedium:
				class = medium
			}
			nSuites := 1 + r.IntN(3)
			if class == large || k == 0 {
				// The comparisons that matter most, and at least one
				// of each format.
				nSuites = 2 + r.IntN(2)
			}
			sp := sourcePlan{index: len(out), first: class.min + r.IntN(class.max-class.min+1)}
			sp.Name = fmt.Sprintf("synth-%s-%02d", f.format, k+1)
			sp.Format, sp.Class = f.format, class.name
			sp.flavor = newFlavor(f.format, r)
			sp.Components = sp.flavor.components[:1+boolInt(r.IntN(3) == 0)]
			sp.Architectures = []string{sp.flavor.arch}
			if f.format == repo.FormatALPM {
				sp.URLTemplate = "{mirror}/repos/{suite}/{component}/os/{arch}/{component}.db"
			}
			for s := range nSuites {
				sp.Suites = append(sp.Suites, Suite{Name: sp.flavor.suiteName(s)})
			}
			out = append(out, sp)
		}
	}
	// Each suite after the first holds about 2% more packages (5% added,
	// 3% removed).
	var raw float64
	for _, sp := range out {
		for s := range sp.Suites {
			raw += float64(sp.first) * math.Pow(1.02, float64(s))
		}
	}
	scale := float64(c.Rows) / raw
	for i := range out {
		out[i].first = max(10, int(math.Round(float64(out[i].first)*scale)))
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

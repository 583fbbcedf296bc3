package synth

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"gopkg.in/yaml.v3"

	"github.com/distroscope/distroscope/repo"
)

// generatorVersion is part of the cache key: bump it whenever what a
// Config generates changes, so that no stale tree is reused.
const generatorVersion = 1

// Tree is a generated set of repositories on disk.
type Tree struct {
	// Dir holds one folder per source, keyring.gpg and plan.yaml.
	Dir    string `json:"-"`
	Config Config `json:"config"`
	// Fingerprint is that of the key that signs every apt InRelease
	// (uppercase hex); its public key is Keyring.
	Fingerprint string   `json:"fingerprint"`
	Sources     []Source `json:"sources"`
	Rows        int64    `json:"rows"`
	// Reused says the tree was found in the cache, not generated now.
	Reused bool `json:"-"`
	// Took is how long generating it took (zero when reused).
	Took time.Duration `json:"-"`
}

// Keyring is the binary OpenPGP keyring whose key signs the apt suites.
func (t *Tree) Keyring() string { return filepath.Join(t.Dir, "keyring.gpg") }

// PlanFile is the nightly plan over every source (plan.Parse reads it).
func (t *Tree) PlanFile() string { return filepath.Join(t.Dir, "plan.yaml") }

// Snapshots counts the suites of every source.
func (t *Tree) Snapshots() int {
	n := 0
	for _, s := range t.Sources {
		n += len(s.Suites)
	}
	return n
}

// Find returns the source called name.
func (t *Tree) Find(name string) (Source, bool) {
	for _, s := range t.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// Generate returns the tree Config c makes, under cacheDir/<key>: from the
// cache when a finished one is there, else written now (into a temporary
// folder renamed into place once complete, so an interrupted run leaves
// nothing that looks finished). Sources are generated in parallel, one
// per CPU.
func Generate(cacheDir string, c Config) (*Tree, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	key := sha256.Sum256(fmt.Appendf(nil, "v%d seed=%d sources=%d rows=%d", generatorVersion, c.Seed, c.Sources, c.Rows))
	dir := filepath.Join(cacheDir, fmt.Sprintf("seed%d-%dsources-%drows-%s", c.Seed, c.Sources, c.Rows, hex.EncodeToString(key[:4])))
	if t, err := load(dir); err == nil {
		t.Reused = true
		return t, nil
	}
	start := time.Now()
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, ".generating-")
	if err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	defer os.RemoveAll(tmp)
	t, err := generate(tmp, c)
	if err != nil {
		return nil, err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	t.Dir, t.Took = dir, time.Since(start)
	return t, nil
}

const manifestName = "manifest.json"

func load(dir string) (*Tree, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	t := &Tree{Dir: dir}
	if err := json.Unmarshal(data, t); err != nil {
		return nil, fmt.Errorf("synth: %s: %w", dir, err)
	}
	return t, nil
}

func generate(dir string, c Config) (*Tree, error) {
	plans := layOut(c)
	largest := 0
	for _, p := range plans {
		largest = max(largest, p.first)
	}
	// Enough projects for the largest source to grow through its suites.
	pool := newPool(c.Seed, max(1000, largest*9/10))
	key, err := signingKey(c.Seed)
	if err != nil {
		return nil, err
	}
	t := &Tree{Dir: dir, Config: c, Fingerprint: strings.ToUpper(hex.EncodeToString(key.PrimaryKey.Fingerprint)),
		Sources: make([]Source, len(plans))}
	var kr bytes.Buffer
	if err := key.Serialize(&kr); err != nil {
		return nil, fmt.Errorf("synth: keyring: %w", err)
	}
	if err := os.WriteFile(t.Keyring(), kr.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	// Largest first, so that no CPU is left with a large source at the end.
	order := make([]int, len(plans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(plans[b].first*len(plans[b].Suites), plans[a].first*len(plans[a].Suites))
	})
	jobs := make(chan int)
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				t.Sources[i], errs[i] = writeSource(dir, plans[i], pool, c.Seed, key)
			}
		}()
	}
	for _, i := range order {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, s := range t.Sources {
		t.Rows += s.Rows()
	}
	if err := os.WriteFile(t.PlanFile(), t.plan(), 0o644); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, err
	}
	return t, os.WriteFile(filepath.Join(dir, manifestName), data, 0o644)
}

// writeSource generates one source's suites, each from the one before.
func writeSource(dir string, sp sourcePlan, pool []project, seed uint64, key *openpgp.Entity) (Source, error) {
	s := newSource(sp, pool, seed)
	out := sp.Source
	out.Suites = nil
	for i := range sp.Suites {
		if i > 0 {
			s.nextSuite()
		}
		var su Suite
		var err error
		switch sp.Format {
		case repo.FormatApt:
			su, err = s.writeAptSuite(dir, key)
		case repo.FormatRPMMD:
			su, err = s.writeRPMMDSuite(dir)
		case repo.FormatAPK:
			su, err = s.writeAPKSuite(dir)
		case repo.FormatALPM:
			su, err = s.writeALPMSuite(dir)
		}
		if err != nil {
			return out, fmt.Errorf("synth: %s/%s: %w", sp.Name, sp.Suites[i].Name, err)
		}
		out.Suites = append(out.Suites, su)
	}
	return out, nil
}

// keyEpoch is when the signing key was made: before every suite's date.
var keyEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// signingKey is the tree's archive key, an Ed25519 OpenPGP key made
// deterministically from the seed (the same seed, the same key, the same
// signatures), valid forever.
func signingKey(seed uint64) (*openpgp.Entity, error) {
	cfg := &packet.Config{
		Rand:      rand.NewChaCha8(sha256.Sum256(fmt.Appendf(nil, "distroscope synth key %d", seed))),
		Time:      func() time.Time { return keyEpoch },
		Algorithm: packet.PubKeyAlgoEdDSA,
	}
	e, err := openpgp.NewEntity("distroscope synthetic archive", "bench:nightly", "archive@example.org", cfg)
	if err != nil {
		return nil, fmt.Errorf("synth: signing key: %w", err)
	}
	return e, nil
}

// plan is the nightly plan over the tree: every source, every suite
// against the next, and some pairs across distributions — the newest
// suites of neighbouring sources of one format, and of the first sources of
// different formats.
func (t *Tree) plan() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# The nightly of bench:nightly over synthetic repositories (bench/nightly/synth):\n# seed %d, %d sources, %d package rows.\nname: synthetic\nschedule:\n  cron: \"0 3 * * *\"\n  time_zone: UTC\nretention: 30d\nsnapshots:\n",
		t.Config.Seed, len(t.Sources), t.Rows)
	for _, s := range t.Sources {
		fmt.Fprintf(&b, "  - source: %s\n", s.Name)
	}
	b.WriteString("comparisons:\n")
	for _, s := range t.Sources {
		if len(s.Suites) > 1 {
			fmt.Fprintf(&b, "  - consecutive: %s\n", s.Name)
		}
	}
	for _, e := range t.crossPairs() {
		fmt.Fprintf(&b, "  - from: %s\n    to: %s\n", e[0], e[1])
	}
	return []byte(b.String())
}

// crossPairs are the comparisons across distributions the plan makes.
func (t *Tree) crossPairs() [][2]string {
	newest := func(s Source) string { return s.Ref(s.Suites[len(s.Suites)-1].Name) }
	byFormat := map[repo.Format][]Source{}
	for _, s := range t.Sources {
		byFormat[s.Format] = append(byFormat[s.Format], s)
	}
	var out [][2]string
	for _, f := range formatShares {
		list := byFormat[f.format]
		for i := 0; i+1 < len(list) && i < 3; i++ {
			out = append(out, [2]string{newest(list[i]), newest(list[i+1])})
		}
	}
	for i, f := range formatShares {
		g := formatShares[(i+1)%len(formatShares)]
		if a, b := byFormat[f.format], byFormat[g.format]; len(a) > 0 && len(b) > 0 {
			out = append(out, [2]string{newest(a[0]), newest(b[0])})
		}
	}
	return out
}

// catalogEntry is a catalogue entry as repo/catalog reads it.
type catalogEntry struct {
	Name          string   `yaml:"name"`
	Format        string   `yaml:"format"`
	Mirror        string   `yaml:"mirror"`
	Suites        []string `yaml:"suites,flow"`
	Components    []string `yaml:"components,flow"`
	Architectures []string `yaml:"architectures,flow"`
	URLTemplate   string   `yaml:"url_template,omitempty"`
	Keyring       []string `yaml:"keyring,omitempty,flow"`
}

// Catalog is the sources catalogue of the tree served at baseURL: every
// source, its mirror baseURL/NAME, the apt ones trusting the tree's key.
func (t *Tree) Catalog(baseURL string) []byte {
	var doc struct {
		Sources []catalogEntry `yaml:"sources"`
	}
	for _, s := range t.Sources {
		e := catalogEntry{Name: s.Name, Format: string(s.Format), Mirror: strings.TrimRight(baseURL, "/") + "/" + s.Name,
			Components: s.Components, Architectures: s.Architectures, URLTemplate: s.URLTemplate}
		for _, su := range s.Suites {
			e.Suites = append(e.Suites, su.Name)
		}
		if s.Format == repo.FormatApt {
			e.Keyring = []string{t.Keyring()}
		}
		doc.Sources = append(doc.Sources, e)
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		panic(err) // plain strings and lists always marshal
	}
	return append([]byte("# The sources of the synthetic tree "+filepath.Base(t.Dir)+", served at "+baseURL+".\n"), data...)
}

// WriteCatalog writes Catalog(baseURL) to path.
func (t *Tree) WriteCatalog(path, baseURL string) error {
	if err := os.WriteFile(path, t.Catalog(baseURL), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// Server serves a tree on 127.0.0.1.
type Server struct {
	// URL is the base URL, without a trailing slash: a source's mirror is
	// URL/NAME.
	URL string
	srv *http.Server
}

// Serve serves dir on a free port of 127.0.0.1 with a plain
// http.FileServer (Content-Length announced, 404 for what is missing), as
// a mirror does.
func Serve(dir string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("synth: serve: %w", err)
	}
	s := &Server{URL: "http://" + l.Addr().String(), srv: &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 10 * time.Second}}
	go s.srv.Serve(l)
	return s, nil
}

// Close stops serving.
func (s *Server) Close() error { return s.srv.Shutdown(context.Background()) }

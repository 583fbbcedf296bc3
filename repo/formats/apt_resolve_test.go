package formats_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/openpgp"
	"github.com/distroscope/distroscope/repo"
	"github.com/distroscope/distroscope/repo/formats"
	"github.com/distroscope/distroscope/repo/formats/formatstest"
	"github.com/distroscope/distroscope/repo/repotest"
)

// removeFiles deletes files of a copied repository, relative to its suite.
func removeFiles(names ...string) func(t *testing.T, root string) {
	return func(t *testing.T, root string) {
		for _, n := range names {
			if err := os.Remove(filepath.Join(root, "dists", formatstest.Suite, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// editFile rewrites one file of a copied repository, relative to its suite.
func editFile(name string, edit func([]byte) []byte) func(t *testing.T, root string) {
	return func(t *testing.T, root string) {
		p := filepath.Join(root, "dists", formatstest.Suite, name)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, edit(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func replaceOnce(old, new string) func([]byte) []byte {
	return func(b []byte) []byte { return []byte(strings.Replace(string(b), old, new, 1)) }
}

func TestResolve(t *testing.T) {
	rel := formatstest.Release(t)
	keyring := formatstest.Path(t, "keyring.gpg")
	armored := formatstest.Path(t, "keyring.asc")
	other := formatstest.Path(t, "other-keyring.gpg")
	fpr := formatstest.Fingerprint(t)
	inline, err := os.ReadFile(armored)
	if err != nil {
		t.Fatal(err)
	}
	afterExpiry := rel.ValidUntil.Add(time.Second)

	tests := []struct {
		name    string
		tamper  func(t *testing.T, root string) // on a copy; nil serves the committed fixture
		source  func(src *repo.Spec)
		now     time.Time // zero: time.Now()
		want    *resolveWant
		wantIs  []error  // the error must wrap each
		mention []string // and name each
	}{
		{name: "InRelease, binary keyring", want: &resolveWant{from: "InRelease", signed: true}},
		{
			name:   "InRelease, armored keyring",
			source: func(s *repo.Spec) { s.SignedBy = []string{armored} },
			want:   &resolveWant{from: "InRelease", signed: true},
		},
		{
			name:   "inline Signed-By",
			source: func(s *repo.Spec) { s.SignedBy, s.SignedByInline = nil, string(inline) },
			want:   &resolveWant{from: "InRelease", signed: true},
		},
		{
			name:   "Signed-By fingerprint of the signer",
			source: func(s *repo.Spec) { s.SignedByFingerprints = []string{fpr} },
			want:   &resolveWant{from: "InRelease", signed: true},
		},
		{
			name: "compression order plain first",
			source: func(s *repo.Spec) {
				s.CompressionOrder = []repo.Compression{"", "xz", "gz"}
			},
			want: &resolveWant{from: "InRelease", signed: true, order: []repo.Compression{"", "xz", "gz"}},
		},
		{
			name:   "Release + Release.gpg when InRelease is missing",
			tamper: removeFiles("InRelease"),
			want:   &resolveWant{from: "Release", signed: true},
		},
		{
			name:    "wrong keyring",
			source:  func(s *repo.Spec) { s.SignedBy = []string{other} },
			wantIs:  []error{repo.ErrCorrupt, openpgp.ErrNoTrustedSignature},
			mention: []string{"dists/fixture/InRelease", fpr[len(fpr)-16:]},
		},
		{
			name:    "wrong keyring, Release.gpg",
			tamper:  removeFiles("InRelease"),
			source:  func(s *repo.Spec) { s.SignedBy = []string{other} },
			wantIs:  []error{repo.ErrCorrupt, openpgp.ErrNoTrustedSignature},
			mention: []string{"dists/fixture/Release", "Release.gpg"},
		},
		{
			name:    "Signed-By fingerprint of another key",
			source:  func(s *repo.Spec) { s.SignedByFingerprints = []string{strings.Repeat("AB", 20)} },
			wantIs:  []error{repo.ErrCorrupt, openpgp.ErrNoTrustedSignature},
			mention: []string{"dists/fixture/InRelease"},
		},
		{
			name:   "wrong keyring allowed unsigned",
			source: func(s *repo.Spec) { s.SignedBy, s.AllowUnsigned = []string{other}, true },
			want:   &resolveWant{from: "InRelease", signed: false},
		},
		{
			name:    "InRelease text changed after signing",
			tamper:  editFile("InRelease", replaceOnce("Codename: fixture", "Codename: fixturf")),
			wantIs:  []error{repo.ErrCorrupt, openpgp.ErrBadSignature},
			mention: []string{"dists/fixture/InRelease"},
		},
		{
			name: "Release changed after signing",
			tamper: func(t *testing.T, root string) {
				removeFiles("InRelease")(t, root)
				editFile("Release", replaceOnce("Suite: testing", "Suite: testinf"))(t, root)
			},
			wantIs:  []error{repo.ErrCorrupt, openpgp.ErrBadSignature},
			mention: []string{"dists/fixture/Release"},
		},
		{
			name:    "unsigned",
			tamper:  removeFiles("InRelease", "Release.gpg"),
			wantIs:  []error{repo.ErrCorrupt},
			mention: []string{"dists/fixture/Release", "unsigned"},
		},
		{
			name:   "unsigned, allowed",
			tamper: removeFiles("InRelease", "Release.gpg"),
			source: func(s *repo.Spec) { s.AllowUnsigned = true },
			want:   &resolveWant{from: "Release", signed: false},
		},
		{
			name:    "expired",
			now:     afterExpiry,
			wantIs:  []error{repo.ErrCorrupt},
			mention: []string{"dists/fixture/InRelease", "Valid-Until", rel.ValidUntil.Format(time.RFC3339)},
		},
		{
			name:   "expired, allowed",
			now:    afterExpiry,
			source: func(s *repo.Spec) { s.AllowExpired = true },
			want:   &resolveWant{from: "InRelease", signed: true},
		},
		{
			name:    "unknown component",
			source:  func(s *repo.Spec) { s.Components = []string{"main", "non-free"} },
			wantIs:  []error{repo.ErrCorrupt},
			mention: []string{`"non-free"`, "main contrib"},
		},
		{
			name:    "unknown architecture",
			source:  func(s *repo.Spec) { s.Architectures = []string{"riscv64"} },
			wantIs:  []error{repo.ErrCorrupt},
			mention: []string{`"riscv64"`, "amd64 arm64"},
		},
		{
			name:    "unknown suite",
			source:  func(s *repo.Spec) { s.Suite = "nosuch" },
			wantIs:  []error{repo.ErrNoSuchSuite, repo.ErrInvalidSource},
			mention: []string{`apt: no suite "nosuch" on http://127.0.0.1:`, "(dists/nosuch/InRelease and Release: 404)"},
		},
		{
			name:    "no components",
			source:  func(s *repo.Spec) { s.Components = nil },
			wantIs:  []error{repo.ErrInvalidSource},
			mention: []string{"component"},
		},
	}
	mirror, _ := formatstest.Repo(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := mirror
			if tt.tamper != nil {
				root := formatstest.CopyRepo(t)
				tt.tamper(t, root)
				base = formatstest.Serve(t, root)
			}
			src := fixtureSource(base, keyring)
			if tt.source != nil {
				tt.source(&src)
			}
			now := tt.now
			if now.IsZero() {
				now = time.Now()
			}
			got, err := formats.Apt{}.Resolve(testContext(t), repo.DefaultFetcher(), src, now)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Resolve succeeded, want an error")
				}
				for _, target := range tt.wantIs {
					if !errors.Is(err, target) {
						t.Errorf("error %q does not wrap %q", err, target)
					}
				}
				if slices.Contains(tt.wantIs, repo.ErrInvalidSource) && errors.Is(err, repo.ErrCorrupt) {
					t.Errorf("error %q wraps ErrCorrupt, but the source, not the mirror, is wrong", err)
				}
				for _, m := range tt.mention {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("error %q does not mention %q", err, m)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			checkResolved(t, got, src, rel, fpr, *tt.want)
		})
	}
}

// resolveWant is what a successful Resolve must have done.
type resolveWant struct {
	from   string // "InRelease" or "Release"
	signed bool
	order  []repo.Compression // nil: DefaultCompressionOrder
}

func checkResolved(t *testing.T, got *repo.Resolved, src repo.Spec, rel formatstest.ExpectedRelease, fpr string, want resolveWant) {
	t.Helper()
	if wantURL := src.Mirror + "/dists/fixture/" + want.from; got.ReleaseURL != wantURL {
		t.Errorf("ReleaseURL = %q, want %q", got.ReleaseURL, wantURL)
	}
	// The snapshot is named by the Release text, which is the same whether
	// it came clearsigned or detached.
	wantPart := datasets.Partition{
		Distro:   datasets.Normalize(rel.Origin),
		Release:  datasets.Normalize(rel.Codename),
		Snapshot: datasets.SnapshotID(rel.Date, rel.SHA256),
	}
	if got.Partition != wantPart {
		t.Errorf("Partition = %+v, want %+v", got.Partition, wantPart)
	}
	if got.ReleaseSHA256 != rel.SHA256 {
		t.Errorf("ReleaseSHA256 = %s, want the Release file's %s", got.ReleaseSHA256, rel.SHA256)
	}
	for _, f := range []struct{ name, got, want string }{
		{"Origin", got.Origin, rel.Origin}, {"Label", got.Label, rel.Label},
		{"Suite", got.Suite, rel.Suite}, {"Codename", got.Codename, rel.Codename},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if !got.Date.Equal(rel.Date) || !got.ValidUntil.Equal(rel.ValidUntil) {
		t.Errorf("Date, ValidUntil = %s, %s; want %s, %s", got.Date, got.ValidUntil, rel.Date, rel.ValidUntil)
	}
	if want.signed {
		if !slices.Contains(got.Signers, fpr) {
			t.Errorf("Signers = %q, want the fixture key %s", got.Signers, fpr)
		}
	} else if len(got.Signers) != 0 {
		t.Errorf("Signers = %q for an unverified Release, want none", got.Signers)
	}

	order := want.order
	if order == nil {
		order = repo.DefaultCompressionOrder
	}
	var wantNames []string
	for _, comp := range src.Components {
		for _, arch := range src.Architectures {
			wantNames = append(wantNames, comp+"/"+arch)
		}
	}
	var gotNames []string
	for _, ix := range got.Indexes {
		gotNames = append(gotNames, ix.Name())
	}
	if !slices.Equal(gotNames, wantNames) {
		t.Fatalf("indexes %q, want %q", gotNames, wantNames)
	}
	for _, ix := range got.Indexes {
		dir := ix.Component + "/binary-" + ix.Architecture
		var wantCands []repo.Candidate
		for _, c := range order {
			path := dir + "/Packages"
			if c != "" {
				path += "." + string(c)
			}
			f, ok := rel.Files[path]
			if !ok {
				continue
			}
			// By hash first, then the canonical name for mirrors without by-hash/.
			for _, u := range []string{src.Mirror + "/dists/fixture/" + dir + "/by-hash/SHA256/" + f.SHA256, src.Mirror + "/dists/fixture/" + path} {
				wantCands = append(wantCands, repo.Candidate{URL: u, Path: path, Compression: c, Size: f.Size, SHA256: f.SHA256})
			}
		}
		if !slices.Equal(ix.Candidates, wantCands) {
			t.Errorf("%s: candidates\n%+v\nwant\n%+v", ix.Name(), ix.Candidates, wantCands)
		}
		plain, ok := rel.Files[dir+"/Packages"]
		if ix.UncompressedSize != plain.Size || ix.UncompressedSHA256 != plain.SHA256 {
			t.Errorf("%s: uncompressed %d %s, want %d %s (listed: %v)", ix.Name(),
				ix.UncompressedSize, ix.UncompressedSHA256, plain.Size, plain.SHA256, ok)
		}
		if ix.Name() == formatstest.XZOnly {
			if len(ix.Candidates) != 2 || ix.Candidates[0].Compression != "xz" || ix.Candidates[1].Compression != "xz" || ix.UncompressedSize != 0 {
				t.Errorf("%s: want only the .xz and no plain size, got %+v", ix.Name(), ix)
			}
		}
	}
}

// TestResolveByHashServed checks that every URL Resolve picks, by hash and
// by canonical name, is served and hashes to what the Release says: the
// fixture's by-hash tree is complete and Resolve builds its URLs the way the
// mirror lays them out.
func TestResolveByHashServed(t *testing.T) {
	mirror, keyring := formatstest.Repo(t)
	src := fixtureSource(mirror, keyring)
	src.CompressionOrder = []repo.Compression{"gz", "xz", ""}
	got, err := formats.Apt{}.Resolve(testContext(t), repo.DefaultFetcher(), src, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	byHash, canonical := 0, 0
	for _, ix := range got.Indexes {
		for i, c := range ix.Candidates {
			// Acquire-By-Hash: each compression by hash, then by name.
			if want := i%2 == 0; strings.Contains(c.URL, "/by-hash/SHA256/") != want {
				t.Errorf("%s: candidate %d is %s, want by-hash %v", ix.Name(), i, c.URL, want)
			}
			if strings.Contains(c.URL, "/by-hash/SHA256/") {
				byHash++
			} else {
				canonical++
			}
			resp, err := http.Get(c.URL)
			if err != nil {
				t.Fatal(err)
			}
			h := sha256.New()
			size, err := io.Copy(h, resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: %s %v", c.URL, resp.Status, err)
			}
			if sum := hex.EncodeToString(h.Sum(nil)); sum != c.SHA256 || size != c.Size {
				t.Errorf("%s: served %d bytes hashing %s, the Release says %d %s", c.URL, size, sum, c.Size, c.SHA256)
			}
		}
	}
	// 3 compressions for three indexes, the .xz alone for the fourth.
	if byHash != 10 || canonical != 10 {
		t.Errorf("checked %d by-hash and %d canonical candidates, want 10 of each", byHash, canonical)
	}
}

// TestResolveNotByHash: without Acquire-By-Hash the candidates are the
// plain paths of the Release.
func TestResolveNotByHash(t *testing.T) {
	root := formatstest.CopyRepo(t)
	removeFiles("InRelease", "Release.gpg")(t, root)
	editFile("Release", replaceOnce("Acquire-By-Hash: yes\n", ""))(t, root)
	mirror := formatstest.Serve(t, root)
	src := fixtureSource(mirror, "")
	src.SignedBy, src.AllowUnsigned = nil, true
	got, err := formats.Apt{}.Resolve(testContext(t), repo.DefaultFetcher(), src, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, ix := range got.Indexes {
		for _, c := range ix.Candidates {
			if want := mirror + "/dists/fixture/" + c.Path; c.URL != want {
				t.Errorf("%s: URL %s, want %s", ix.Name(), c.URL, want)
			}
		}
	}
}

// TestResolveMirrorAnswers: a suite the mirror does not have is an answer —
// an invalid source at once, naming the suite and the mirror — while a
// mirror that is down, busy or unreachable stays worth retrying, said in a
// few words that name the URL.
func TestResolveMirrorAnswers(t *testing.T) {
	status := map[string]int{} // path → status; unlisted paths are 404
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, ok := status[r.URL.Path]; ok {
			w.WriteHeader(code)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	status["/debian/dists/gone/Release"] = http.StatusGone
	status["/debian/dists/busy/InRelease"] = http.StatusServiceUnavailable
	status["/debian/dists/halfbusy/Release"] = http.StatusBadGateway
	closed := repotest.ClosedPort(t)
	mirror := srv.URL + "/debian"

	tests := []struct {
		name, mirror, suite string
		f                   *repo.Fetcher
		want                string
		invalid             bool
	}{
		{name: "misspelt suite", mirror: mirror, suite: "bookwrom", invalid: true,
			want: `apt: no suite "bookwrom" on ` + mirror + ` (dists/bookwrom/InRelease and Release: 404)`},
		{name: "mirror with a trailing slash", mirror: mirror + "/", suite: "bookwrom", invalid: true,
			want: `apt: no suite "bookwrom" on ` + mirror + ` (dists/bookwrom/InRelease and Release: 404)`},
		{name: "Release gone", mirror: mirror, suite: "gone", invalid: true,
			want: `apt: no suite "gone" on ` + mirror + ` (dists/gone/InRelease: 404, Release: 410)`},
		{name: "InRelease 503", mirror: mirror, suite: "busy",
			want: "repo: GET " + mirror + "/dists/busy/InRelease: 503 Service Unavailable"},
		{name: "InRelease 404, Release 502", mirror: mirror, suite: "halfbusy",
			want: "repo: GET " + mirror + "/dists/halfbusy/Release: 502 Bad Gateway"},
		{name: "closed port", mirror: closed + "/debian", suite: "bookworm",
			want: "repo: GET " + closed + "/debian/dists/bookworm/InRelease: connection refused"},
		{name: "unknown host", mirror: "http://mirror.invalid/debian", suite: "bookworm", f: repotest.UnknownHost(),
			want: "repo: GET http://mirror.invalid/debian/dists/bookworm/InRelease: unknown host mirror.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			if f == nil {
				f = repo.DefaultFetcher()
			}
			src := fixtureSource(tt.mirror, formatstest.Path(t, "keyring.gpg"))
			src.Suite = tt.suite
			_, err := formats.Apt{}.Resolve(testContext(t), f, src, time.Now())
			if err == nil {
				t.Fatal("Resolve succeeded")
			}
			if err.Error() != tt.want {
				t.Errorf("error\n%q\nwant\n%q", err, tt.want)
			}
			if errors.Is(err, repo.ErrNoSuchSuite) != tt.invalid || errors.Is(err, repo.ErrInvalidSource) != tt.invalid || errors.Is(err, repo.ErrCorrupt) {
				t.Errorf("error %q: ErrNoSuchSuite %v, ErrInvalidSource %v, ErrCorrupt %v; want %v, %v, false", err,
					errors.Is(err, repo.ErrNoSuchSuite), errors.Is(err, repo.ErrInvalidSource), errors.Is(err, repo.ErrCorrupt), tt.invalid, tt.invalid)
			}
		})
	}
}

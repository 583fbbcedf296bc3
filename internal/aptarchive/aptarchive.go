// Package aptarchive builds, for tests, a dated archive of an apt
// repository — the mirror as it was at several times, as distributions'
// snapshot archives keep it — from real Packages indexes that the test
// edits (packages removed, added, re-versioned), signs each state's
// InRelease with a key of its own, and serves it on 127.0.0.1 the way a
// snapshot archive does: /archive/<name>/<YYYYMMDDThhmmssZ>/dists/… answers
// any timestamp with the newest state at or before it.
package aptarchive

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/distroscope/distroscope/repo"
)

// Stanza is one entry of a Packages index, its text as the index has it.
type Stanza struct {
	Name string
	Text string
}

// Stanzas is a Packages index, in order.
type Stanzas []Stanza

// ReadStanzas reads a real Packages file.
func ReadStanzas(file string) (Stanzas, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("aptarchive: %w", err)
	}
	var out Stanzas
	for _, text := range strings.Split(strings.TrimSpace(string(data)), "\n\n") {
		first, _, _ := strings.Cut(text, "\n")
		name, ok := strings.CutPrefix(first, "Package:")
		if !ok {
			return nil, fmt.Errorf("aptarchive: %s: a stanza does not start with Package: %q", file, first)
		}
		out = append(out, Stanza{Name: strings.TrimSpace(name), Text: text})
	}
	return out, nil
}

// Names lists the packages, in order.
func (s Stanzas) Names() []string {
	var out []string
	for _, st := range s {
		out = append(out, st.Name)
	}
	return out
}

// Without is s less the named packages.
func (s Stanzas) Without(names ...string) Stanzas {
	return slices.DeleteFunc(slices.Clone(s), func(st Stanza) bool { return slices.Contains(names, st.Name) })
}

// Plus is s with more stanzas at the end.
func (s Stanzas) Plus(more ...Stanza) Stanzas { return append(slices.Clone(s), more...) }

// Reversioned is s with the named package's Version field set to version.
func (s Stanzas) Reversioned(name, version string) Stanzas {
	out := slices.Clone(s)
	for i, st := range out {
		if st.Name != name {
			continue
		}
		lines := strings.Split(st.Text, "\n")
		for j, l := range lines {
			if strings.HasPrefix(l, "Version:") {
				lines[j] = "Version: " + version
			}
		}
		out[i].Text = strings.Join(lines, "\n")
	}
	return out
}

// Version is the named package's Version field ("" when s lacks it).
func (s Stanzas) Version(name string) string {
	for _, st := range s {
		if st.Name != name {
			continue
		}
		for _, l := range strings.Split(st.Text, "\n") {
			if v, ok := strings.CutPrefix(l, "Version:"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// Bytes is the index as a Packages file.
func (s Stanzas) Bytes() []byte {
	var b bytes.Buffer
	for _, st := range s {
		b.WriteString(st.Text)
		b.WriteString("\n\n")
	}
	return b.Bytes()
}

// Key makes an Ed25519 archive key created at created and expiring at
// expires (never, when zero): an archive's key that has expired since the
// states it signed.
func Key(created, expires time.Time) (*openpgp.Entity, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return created }}
	if !expires.IsZero() {
		cfg.KeyLifetimeSecs = uint32(expires.Sub(created) / time.Second)
	}
	e, err := openpgp.NewEntity("distroscope test archive", "aptarchive", "archive@example.org", cfg)
	if err != nil {
		return nil, fmt.Errorf("aptarchive: key: %w", err)
	}
	return e, nil
}

// WriteKeyring writes the key's public part, binary, as a Signed-By file.
func WriteKeyring(file string, key *openpgp.Entity) error {
	var b bytes.Buffer
	if err := key.Serialize(&b); err != nil {
		return fmt.Errorf("aptarchive: keyring: %w", err)
	}
	return os.WriteFile(file, b.Bytes(), 0o644)
}

// State is the repository as the archive kept it at At, which is also
// its Release's Date.
type State struct {
	At time.Time
	// Packages are the indexes by "component/architecture".
	Packages map[string]Stanzas
	// ValidFor sets Valid-Until to At + ValidFor (none when zero), as
	// Debian's Releases expire a week after their Date.
	ValidFor time.Duration
}

// Archive is where and how the states are written.
type Archive struct {
	Root string // the folder Handler serves
	Name string // the archive's name: /archive/<Name>/
	// Suite is the folder under dists/; Origin and Codename go into the
	// Release (the snapshot's partition).
	Suite, Origin, Codename string
	Key                     *openpgp.Entity
}

// Write writes each state under Root/Name/<timestamp>/dists/Suite: the
// Packages and Packages.gz of each index and an InRelease clearsigned by
// Key at the state's time.
func (a Archive) Write(states ...State) error {
	for _, st := range states {
		if err := a.write(st); err != nil {
			return fmt.Errorf("aptarchive: %s at %s: %w", a.Name, st.At.UTC().Format(repo.ArchiveDateLayout), err)
		}
	}
	return nil
}

func (a Archive) write(st State) error {
	dists := filepath.Join(a.Root, a.Name, st.At.UTC().Format(repo.ArchiveDateLayout), "dists", a.Suite)
	var comps, archs []string
	var sums strings.Builder
	names := make([]string, 0, len(st.Packages))
	for ix := range st.Packages {
		names = append(names, ix)
	}
	sort.Strings(names)
	for _, ix := range names {
		comp, arch, ok := strings.Cut(ix, "/")
		if !ok {
			return fmt.Errorf("index %q is not component/architecture", ix)
		}
		if !slices.Contains(comps, comp) {
			comps = append(comps, comp)
		}
		if !slices.Contains(archs, arch) {
			archs = append(archs, arch)
		}
		rel := comp + "/binary-" + arch + "/Packages"
		plain := st.Packages[ix].Bytes()
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // no name or time: the same bytes each run
		zw.Write(plain)
		if err := zw.Close(); err != nil {
			return err
		}
		for name, data := range map[string][]byte{rel: plain, rel + ".gz": gz.Bytes()} {
			file := filepath.Join(dists, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(file, data, 0o644); err != nil {
				return err
			}
		}
		for _, f := range []struct {
			name string
			data []byte
		}{{rel, plain}, {rel + ".gz", gz.Bytes()}} {
			sum := sha256.Sum256(f.data)
			fmt.Fprintf(&sums, " %s %16d %s\n", hex.EncodeToString(sum[:]), len(f.data), f.name)
		}
	}
	var rel bytes.Buffer
	fmt.Fprintf(&rel, "Origin: %s\nLabel: %s\nSuite: %s\nCodename: %s\nDate: %s\n", a.Origin, a.Origin, a.Suite, a.Codename,
		st.At.UTC().Format(time.RFC1123))
	if st.ValidFor > 0 {
		fmt.Fprintf(&rel, "Valid-Until: %s\n", st.At.Add(st.ValidFor).UTC().Format(time.RFC1123))
	}
	fmt.Fprintf(&rel, "Architectures: %s\nComponents: %s\nDescription: distroscope test archive %s\nSHA256:\n%s",
		strings.Join(archs, " "), strings.Join(comps, " "), a.Name, sums.String())
	if err := os.WriteFile(filepath.Join(dists, "Release"), rel.Bytes(), 0o644); err != nil {
		return err
	}
	var signed bytes.Buffer
	w, err := clearsign.Encode(&signed, a.Key.PrivateKey, &packet.Config{DefaultHash: crypto.SHA256, Time: func() time.Time { return st.At }})
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	w.Write(rel.Bytes())
	if err := w.Close(); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	return os.WriteFile(filepath.Join(dists, "InRelease"), signed.Bytes(), 0o644)
}

// Handler serves root's archives like a snapshot archive:
// /archive/<name>/<timestamp>/<path> is <path> in the newest state of
// <name> at or before <timestamp> — 404 before the first.
func Handler(root string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 4)
		if len(parts) != 4 || parts[0] != "archive" || strings.Contains(r.URL.Path, "..") {
			http.NotFound(w, r)
			return
		}
		name, stamp, rest := parts[1], parts[2], parts[3]
		at, err := time.Parse(repo.ArchiveDateLayout, stamp)
		if err != nil {
			http.Error(w, fmt.Sprintf("bad timestamp %q (want %s)", stamp, repo.ArchiveDateLayout), http.StatusBadRequest)
			return
		}
		state, err := nearestState(filepath.Join(root, name), at)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		file := filepath.Join(root, name, state, filepath.FromSlash(path.Clean("/"+rest)))
		f, err := os.Open(file)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil || info.IsDir() {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, info.Name(), info.ModTime(), f)
	})
}

// nearestState is the newest state folder of an archive at or before at.
func nearestState(dir string, at time.Time) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	best, bestAt := "", time.Time{}
	for _, e := range entries {
		t, err := time.Parse(repo.ArchiveDateLayout, e.Name())
		if err != nil || !e.IsDir() || t.After(at) || (best != "" && !t.After(bestAt)) {
			continue
		}
		best, bestAt = e.Name(), t
	}
	if best == "" {
		return "", errors.New("no state at or before " + at.Format(repo.ArchiveDateLayout))
	}
	return best, nil
}

// Serve serves root (Handler) on 127.0.0.1 until the test ends and returns
// the base URL; an archive's catalogue URL is URL(base, name).
func Serve(t testing.TB, root string) string {
	t.Helper()
	srv := httptest.NewServer(Handler(root))
	t.Cleanup(srv.Close)
	return srv.URL
}

// URL is the catalogue's archive URL of name under base, with {date}.
func URL(base, name string) string {
	return strings.TrimRight(base, "/") + "/archive/" + name + "/" + repo.ArchiveDatePlaceholder + "/"
}

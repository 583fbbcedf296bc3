package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/distroscope/distroscope/ecosystem/openpgp"
	"github.com/distroscope/distroscope/repo"
)

// Policy is how a snapshot's metadata must be verified: the keys trusted
// and the opt-outs taken. It is part of a run's identity
// (workflows.SnapshotRunID): a start that trusts other keys, or takes no
// opt-out, must never be answered by a run that accepted more.
//
// Keys are named by what they are, not where they are kept: a keyring
// file's path says nothing about the keys it holds today, and two paths may
// hold the same keys.
type Policy struct {
	// Keys identify the trusted keys, sorted: "openpgp:<primary-key
	// fingerprint>" for apt and rpm-md keyrings, "apk:<name>:<SHA-256 of the
	// key file>" for apk keys (signatures name their key by file name).
	Keys []string
	// Fingerprints are apt's Signed-By fingerprints, normalised and sorted:
	// they narrow Keys.
	Fingerprints []string
	// Unread are the keyrings that could not be read here (a worker on
	// another machine may read them): by path, the only name left.
	Unread []string
	// AllowUnsigned and AllowExpired are the opt-outs (--allow-unsigned,
	// --allow-expired, the catalogue's, apt's [trusted=yes]).
	AllowUnsigned, AllowExpired bool
}

// String is the policy in one canonical line: equal policies have equal
// strings.
func (p Policy) String() string {
	return fmt.Sprintf("keys=%s;signed-by-fingerprints=%s;unread=%s;allow-unsigned=%t;allow-expired=%t",
		strings.Join(p.Keys, ","), strings.Join(p.Fingerprints, ","), strings.Join(p.Unread, ","), p.AllowUnsigned, p.AllowExpired)
}

// trustedKey is one key a source trusts: the policy's name for it, and the
// name a snapshot's signed_by records when it verified a signature.
type trustedKey struct{ id, signer string }

// PolicyOf is the verification policy spec is resolved under, with the
// keys read from its keyrings as the format reads them: apt's Signed-By
// files and inline keys, or apt's trusted keyrings under AptRoot when it
// has none; rpm-md's keyring (none: nothing is checked); apk's key files.
// alpm verifies no signature, so only its opt-outs count.
func PolicyOf(spec repo.Spec) Policy {
	keys, unread := keysOf(spec)
	p := Policy{Unread: unread, AllowUnsigned: spec.AllowUnsigned, AllowExpired: spec.AllowExpired}
	for _, k := range keys {
		p.Keys = append(p.Keys, k.id)
	}
	if spec.FormatOrApt() == repo.FormatApt {
		p.Fingerprints = normalizeFingerprints(spec.SignedByFingerprints)
	}
	slices.Sort(p.Keys)
	p.Keys = slices.Compact(p.Keys)
	slices.Sort(p.Unread)
	return p
}

func normalizeFingerprints(fprs []string) []string {
	var out []string
	for _, f := range fprs {
		out = append(out, strings.ToUpper(strings.Join(strings.Fields(f), "")))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// keyrings remembers the fingerprints of each keyring file read, by its
// path, size and modification time: a command that starts a comparison
// asks for both sides' keys and both run identities, and parsing Debian's
// keyring took 15 ms each time — 45 ms of a 60 ms command.
var keyrings = struct {
	sync.Mutex
	m map[keyringFile]keyringRead
}{m: map[keyringFile]keyringRead{}}

type keyringFile struct {
	path  string
	size  int64
	mtime time.Time
}

type keyringRead struct {
	fprs []string
	err  error
}

// keyringFingerprints is the primary-key fingerprints of the OpenPGP
// keyring at path, read once per version of the file.
func keyringFingerprints(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	k := keyringFile{path, fi.Size(), fi.ModTime()}
	keyrings.Lock()
	defer keyrings.Unlock()
	if r, ok := keyrings.m[k]; ok {
		return r.fprs, r.err
	}
	kr, err := openpgp.LoadKeyring([]string{path}, nil)
	r := keyringRead{err: err}
	if kr != nil {
		r.fprs = kr.Fingerprints()
	}
	keyrings.m[k] = r
	return r.fprs, r.err
}

// keysOf reads the keys spec trusts. A keyring that cannot be read is
// returned by name in unread rather than failing: the policy still has to
// differ from one that read it.
func keysOf(spec repo.Spec) (keys []trustedKey, unread []string) {
	switch spec.FormatOrApt() {
	case repo.FormatApt, repo.FormatRPMMD:
		openpgpKeys := func(kr *openpgp.Keyring) {
			for _, f := range kr.Fingerprints() {
				keys = append(keys, trustedKey{id: "openpgp:" + f, signer: f})
			}
		}
		for _, path := range spec.SignedBy {
			fprs, err := keyringFingerprints(path)
			for _, f := range fprs {
				keys = append(keys, trustedKey{id: "openpgp:" + f, signer: f})
			}
			if err != nil {
				unread = append(unread, path)
			}
		}
		if spec.SignedByInline != "" {
			kr, err := openpgp.LoadKeyring(nil, []byte(spec.SignedByInline))
			openpgpKeys(kr)
			if err != nil {
				sum := sha256.Sum256([]byte(spec.SignedByInline))
				unread = append(unread, "inline:"+hex.EncodeToString(sum[:]))
			}
		}
		if spec.FormatOrApt() == repo.FormatApt && len(spec.SignedBy) == 0 && spec.SignedByInline == "" {
			root := spec.AptRoot
			if root == "" {
				root = "/"
			}
			kr, err := openpgp.DefaultKeyring(root)
			openpgpKeys(kr)
			if err != nil {
				unread = append(unread, "apt-trusted:"+root)
			}
		}
	case repo.FormatAPK:
		for _, path := range spec.SignedBy {
			data, err := os.ReadFile(path)
			if err != nil {
				unread = append(unread, path)
				continue
			}
			sum := sha256.Sum256(data)
			name := filepath.Base(path)
			keys = append(keys, trustedKey{id: "apk:" + name + ":" + hex.EncodeToString(sum[:]), signer: name})
		}
	}
	return keys, unread
}

// Verification is what the catalogue says a distribution's committed
// snapshots must have been verified by for a comparison to use them.
type Verification struct {
	// Signers are the keys, as the snapshots table's signed_by names them
	// (OpenPGP primary-key fingerprints, apk key names): a snapshot
	// verified by one of them is the distribution's own.
	Signers []string
	// Optional is true when the catalogue takes the source unverified: it
	// opts out (allow_unsigned, apt's [trusted=yes]), or it names no key for
	// a format that then checks nothing (rpm-md, apk), or the format
	// verifies no signature at all (alpm).
	Optional bool
	// By names the keyring, for messages.
	By string
}

// Verification is what the catalogue entry called name says its snapshots
// must be verified by. It fails when there is no such entry, or when the
// entry must be verified but none of its keys can be read.
//
// Signed-By fingerprints narrow the keys to the primary keys they name; a
// fingerprint of a subkey ("…!") cannot be mapped to its primary key here,
// so when none names a primary key every key of the keyring stays (the
// snapshot itself was verified under the narrowing).
func (c *Catalog) Verification(name, aptRoot string) (Verification, error) {
	e, ok := c.Find(name)
	if !ok {
		return Verification{}, fmt.Errorf("catalog: no source called %q", name)
	}
	spec := repo.Spec{Format: repo.Format(e.Format), SignedBy: e.Keyring, SignedByInline: e.signedByInline,
		SignedByFingerprints: e.signedByFingerprints, AptRoot: aptRoot}
	keys, unread := keysOf(spec)
	v := Verification{By: "the keyring of catalogue source " + name}
	if e.File != "" {
		v.By += fmt.Sprintf(" (%s line %d)", e.File, e.Line)
	}
	for _, k := range keys {
		v.Signers = append(v.Signers, k.signer)
	}
	if fprs := normalizeFingerprints(e.signedByFingerprints); len(fprs) > 0 {
		var narrowed []string
		for _, s := range v.Signers {
			if slices.Contains(fprs, s) {
				narrowed = append(narrowed, s)
			}
		}
		if len(narrowed) > 0 {
			v.Signers = narrowed
		}
	}
	slices.Sort(v.Signers)
	v.Signers = slices.Compact(v.Signers)
	format := repo.Format(e.Format)
	v.Optional = e.AllowUnsigned || e.trusted || format == repo.FormatALPM ||
		(format == repo.FormatRPMMD || format == repo.FormatAPK) && len(e.Keyring) == 0 && e.signedByInline == ""
	if len(v.Signers) == 0 && !v.Optional {
		what := "its keyring holds no key"
		if len(unread) > 0 {
			what = "its keyring cannot be read: " + strings.Join(unread, ", ")
		} else if format == repo.FormatApt && len(e.Keyring) == 0 && e.signedByInline == "" {
			what = "it names no keyring and apt's trusted keyrings under " + aptRoot + " hold no key"
		}
		return v, fmt.Errorf("catalog: source %q: %s, so nothing can verify its snapshots", name, what)
	}
	return v, nil
}

// Package image analyses container images and root filesystems: it
// applies their layers into an in-memory tree (internal/imagefs), reads
// every installed-package database in it (dpkg, rpm, apk, pacman), and
// compares each owned file with what its package recorded — one
// comparison for all four ecosystems (Compare) — and reads its
// configuration settings, init system and services (analysis/settings,
// analysis/initsys) into the image_packages, image_files, config_settings
// and image_summaries rows. It knows nothing of Temporal or of stores
// beyond the commit in commit.go.
package image

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem"
	"github.com/distroscope/distroscope/ecosystem/apk"
	"github.com/distroscope/distroscope/ecosystem/installed"
	"github.com/distroscope/distroscope/internal/imagefs"
	"github.com/distroscope/distroscope/internal/imageref"
)

// Version is the analyzer's version, part of every result's key: a change
// to what the analysis reads or reports raises it, so that an image is
// analysed again by the new code and never twice by the same code.
//
// 2: config_settings (Result.Settings).
const Version = 2

// streamDigests are computed for every regular file of a streamed layer,
// which cannot be read again: SHA-256 for image_files, and the digests
// packages record (md5: dpkg, old rpm, pacman backups; sha1: apk).
var streamDigests = []installed.Algo{installed.SHA256, installed.MD5, installed.SHA1}

// ErrCorrupt marks an input that no retry can help: a layer or root
// filesystem refused as hostile or broken (an *imagefs.Error), or a
// package database that does not parse.
var ErrCorrupt = errors.New("corrupt or hostile image")

// corrupt wraps err in ErrCorrupt when it is about the input rather than
// about reaching it.
func corrupt(err error) error {
	var (
		fe *imagefs.Error
		ne net.Error
	)
	// A layer cut short by the network reads as a broken stream too; it
	// is the network's failure, and the next attempt reads it whole.
	if err == nil || errors.Is(err, ErrCorrupt) || !errors.As(err, &fe) || errors.As(err, &ne) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// Progress is reported while an analysis runs.
type Progress struct {
	Phase   string // "layer", "files"
	Layer   int    // 0-based, for Phase "layer"
	Layers  int
	Digest  string // the layer's digest
	Entries int
	Bytes   int64
	Done    int // files compared, for Phase "files"
	Total   int
}

// Options tune an analysis.
type Options struct {
	Limits imagefs.Limits
	// Progress, when set, is called per layer and every few thousand files.
	Progress func(Progress)
	// Known, when set, is asked once the identity is known (for dir:,
	// after the walk): a committed summary ends the analysis early.
	Known func(ctx context.Context, key string) (datasets.ImageSummaryRow, bool, error)
	// Workers hash files in parallel; default GOMAXPROCS.
	Workers int
	// Probe also runs sshd -T of the image in a sandbox (analysis/probe)
	// and records its effective values beside the static settings. Only
	// a dir: tree is on disk to run programs from; other inputs say so in
	// Result.ProbeNote. A probed analysis is keyed apart (ResultKey).
	Probe bool
}

// Result is one analysed image.
type Result struct {
	Key       string // ResultKey(identity, Options.Probe)
	Partition datasets.Partition
	OS        OSRelease
	Reused    bool // Known had it: only Summary is set
	Packages  []datasets.ImagePackageRow
	Files     []datasets.ImageFileRow
	// Settings are the image's configuration settings, its init system
	// (Program ProgramInit) and the services it starts at boot (Program
	// ProgramService), sorted by datasets.CompareConfigSettingRows.
	Settings []datasets.ConfigSettingRow
	// SettingErrors name each settings parser or init system reading that
	// failed on this image (a hostile or broken file): its rows are
	// missing from Settings, every other reader's are there.
	SettingErrors []string
	// ProbeNote says why a probe asked for did not run or did not finish
	// (no sandbox on this host, no sshd in the image, not a dir: tree);
	// the static settings are there either way.
	ProbeNote string
	Summary   datasets.ImageSummaryRow
}

// Analyze reads img and returns its rows.
func Analyze(ctx context.Context, img *imageref.Image, o Options) (*Result, error) {
	if o.Limits == (imagefs.Limits{}) {
		o.Limits = imagefs.DefaultLimits()
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	report := func(p Progress) {
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	identity := img.Identity
	if identity != "" {
		if r, ok, err := known(ctx, o, identity); ok || err != nil {
			return r, err
		}
	}

	var (
		tree    *imagefs.Tree
		tracker = newTracker()
		pkgs    []installed.Package
		ecos    []ecosystem.Name
		layers  = max(len(img.Layers), 1)
		err     error
	)
	keep := &keeper{}
	opts := imagefs.ApplyOptions{Capture: databasePath, Keep: keep.keep}
	switch img.Ref.Scheme {
	case imageref.SchemeDir:
		tree, err = imagefs.FromDir(ctx, img.Path, o.Limits, opts)
	case imageref.SchemeFile:
		opts.Digests = streamDigests // used only when the tarball is compressed
		tree, err = imagefs.FromTarFile(ctx, img.Path, o.Limits, opts)
	default:
		tree = imagefs.New(o.Limits)
		for i, l := range img.Layers {
			report(Progress{Phase: "layer", Layer: i, Layers: layers, Digest: l.Digest})
			st, aerr := applyLayer(ctx, tree, l, imagefs.ApplyOptions{Layer: i, Capture: databasePath, Keep: keep.keep, Digests: streamDigests,
				Progress: func(s imagefs.LayerStats) {
					report(Progress{Phase: "layer", Layer: i, Layers: layers, Digest: l.Digest, Entries: s.Entries, Bytes: s.Bytes})
				}})
			if aerr != nil {
				tree.Close()
				return nil, corrupt(fmt.Errorf("layer %d (%s): %w", i, l.Digest, aerr))
			}
			if len(st.Changed) > 0 {
				if pkgs, ecos, err = readDatabases(tree); err != nil {
					tree.Close()
					return nil, fmt.Errorf("layer %d (%s): %w", i, l.Digest, err)
				}
				tracker.layer(i, pkgs)
			}
		}
	}
	if err != nil {
		return nil, corrupt(err)
	}
	defer tree.Close()
	if len(img.Layers) == 0 {
		report(Progress{Phase: "layer", Layer: 0, Layers: 1, Entries: tree.Len()})
		if pkgs, ecos, err = readDatabases(tree); err != nil {
			return nil, err
		}
		tracker.layer(0, pkgs)
	}
	if identity == "" {
		identity = treeIdentity(tree)
		if r, ok, err := known(ctx, o, identity); ok || err != nil {
			return r, err
		}
	}

	osr := OSRelease{}
	for _, p := range osReleases {
		if b, err := readOptional(tree, p); err == nil && b != nil {
			osr = parseOSRelease(b)
			break
		}
	}
	res := &Result{Key: ResultKey(identity, o.Probe), OS: osr}
	res.Partition = datasets.ImagePartition(osr.ID, osr.Release(), res.Key)
	files, err := compareFiles(ctx, tree, pkgs, o, report)
	if err != nil {
		return nil, err
	}
	res.Files = files
	res.Packages = packageRows(pkgs, files, tracker, img.Layers)
	res.Settings, res.SettingErrors = configSettings(tree, files)
	if o.Probe {
		res.Settings, res.ProbeNote = probeSettings(ctx, img, res.Settings)
	}
	res.Summary = summary(img, identity, osr, ecos, tree, res)
	return res, nil
}

func known(ctx context.Context, o Options, identity string) (*Result, bool, error) {
	if o.Known == nil {
		return nil, false, nil
	}
	key := ResultKey(identity, o.Probe)
	s, ok, err := o.Known(ctx, key)
	if err != nil || !ok {
		return nil, false, err
	}
	return &Result{Key: key, Reused: true, Summary: s,
		Partition: datasets.ImagePartition(s.OSID, cmp.Or(s.Codename, s.OSVersion), key)}, true, nil
}

func applyLayer(ctx context.Context, t *imagefs.Tree, l imageref.Layer, o imagefs.ApplyOptions) (imagefs.LayerStats, error) {
	rc, err := l.Open(ctx)
	if err != nil {
		return imagefs.LayerStats{}, err
	}
	defer rc.Close()
	return t.Apply(ctx, rc, o)
}

// treeIdentity names a dir: input by what the analysis read: every path's
// metadata (type, mode, owner, size, mtime, link) and the package
// databases' bytes — rsync's quick check, so that the identity is known
// before any file is hashed. A content change that keeps a file's size
// and mtime goes unnoticed, as it does for rsync and make.
func treeIdentity(t *imagefs.Tree) string {
	h := sha256.New()
	var buf [8]byte
	num := func(v int64) {
		binary.LittleEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	_ = t.Walk("/", func(n *imagefs.Node) error {
		h.Write([]byte(n.Path))
		h.Write([]byte{0, byte(n.Type)})
		num(int64(n.Mode))
		num(int64(n.UID))
		num(int64(n.GID))
		num(n.Size)
		num(n.MTime.UnixNano())
		h.Write([]byte(n.Link))
		h.Write([]byte{0})
		if n.Type == imagefs.Regular && databasePath(n.Path) {
			if b, err := t.ReadFile(n.Path); err == nil {
				h.Write(b)
			}
		}
		return nil
	})
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// tracker attributes packages to layers: the layer that first added a
// package as it is now installed, and the last whose database entry for
// it changed.
type tracker struct {
	seen map[string]*attribution
}

type attribution struct {
	first, last int
	print       uint64
}

func newTracker() *tracker { return &tracker{seen: map[string]*attribution{}} }

func pkgKey(p installed.Package) string { return string(p.Ecosystem) + "/" + p.Key() }

func (t *tracker) layer(i int, pkgs []installed.Package) {
	now := make(map[string]bool, len(pkgs))
	for _, p := range pkgs {
		k, fp := pkgKey(p), fingerprint(p)
		now[k] = true
		a, ok := t.seen[k]
		switch {
		case !ok:
			t.seen[k] = &attribution{first: i, last: i, print: fp}
		case a.print != fp:
			a.last, a.print = i, fp
		}
	}
	for k := range t.seen {
		if !now[k] {
			delete(t.seen, k) // removed: a later return counts from there
		}
	}
}

// fingerprint is what makes a database entry "changed": its version and
// the files it records with their digests.
func fingerprint(p installed.Package) uint64 {
	h := fnv.New64a()
	write := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	write(p.Version)
	write(p.Source)
	for _, f := range p.Files {
		write(f.Path)
		write(f.Digest.Hex)
	}
	return h.Sum64()
}

// owner is one package's record of a path.
type owner struct {
	pkg  *installed.Package
	file *installed.File
}

// compareFiles builds the image_files rows: every owned path, compared
// with its package's record, and every other path under /etc.
func compareFiles(ctx context.Context, t *imagefs.Tree, pkgs []installed.Package, o Options, report func(Progress)) ([]datasets.ImageFileRow, error) {
	owners := map[string][]owner{}
	for i := range pkgs {
		for j := range pkgs[i].Files {
			f := &pkgs[i].Files[j]
			owners[f.Path] = append(owners[f.Path], owner{&pkgs[i], f})
		}
	}
	_ = t.Walk("/etc", func(n *imagefs.Node) error {
		if _, ok := owners[n.Path]; !ok {
			owners[n.Path] = nil
		}
		return nil
	})
	paths := make([]string, 0, len(owners))
	for p := range owners {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	acc := Accounts{Users: map[string]int{}, Groups: map[string]int{}}
	if b, _ := readOptional(t, "/etc/passwd"); b != nil {
		acc.Users = parseIDs(b)
	}
	if b, _ := readOptional(t, "/etc/group"); b != nil {
		acc.Groups = parseIDs(b)
	}

	rows := make([]datasets.ImageFileRow, len(paths))
	var (
		mu   sync.Mutex
		done int
	)
	g, gctx := errgroup.WithContext(ctx)
	next := make(chan int, 256)
	g.Go(func() error {
		defer close(next)
		for i := range paths {
			select {
			case next <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for w := 0; w < o.Workers; w++ {
		g.Go(func() error {
			n := 0
			for i := range next {
				row, err := fileRow(t, paths[i], owners[paths[i]], acc)
				if err != nil {
					return err
				}
				rows[i] = row
				if n++; n == 1000 {
					mu.Lock()
					done += n
					report(Progress{Phase: "files", Done: done, Total: len(paths)})
					mu.Unlock()
					n = 0
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return rows, nil
}

var typeNames = map[imagefs.Type]string{imagefs.Regular: "file", imagefs.Dir: "dir", imagefs.Symlink: "symlink",
	imagefs.CharDev: "char", imagefs.BlockDev: "block", imagefs.FIFO: "fifo", imagefs.Socket: "socket"}

func fileType(t imagefs.Type) installed.FileType {
	switch t {
	case imagefs.Regular:
		return installed.TypeRegular
	case imagefs.Dir:
		return installed.TypeDir
	case imagefs.Symlink:
		return installed.TypeSymlink
	}
	return installed.TypeOther
}

func fileRow(t *imagefs.Tree, p string, owners []owner, acc Accounts) (datasets.ImageFileRow, error) {
	row := datasets.ImageFileRow{Path: p, Type: "missing", Layer: -1}
	var primary owner
	if len(owners) > 0 {
		primary = owners[0]
		for _, ow := range owners {
			if !ow.file.Digest.IsZero() || ow.file.Config {
				primary = ow
				break
			}
		}
	}
	// As lstat(2) in a chroot: symlinks in the directories are followed
	// (usr-merged /bin/ls is /usr/bin/ls), the last component is not.
	n, err := t.Lstat(p)
	exists := err == nil
	a := Actual{Exists: exists}
	if exists {
		row.Type, row.Layer = typeNames[n.Type], int32(n.Layer)
		row.Mode, row.UID, row.GID, row.Link = int32(installed.UnixMode(n.Mode)), int64(n.UID), int64(n.GID), n.Link
		a = Actual{Exists: true, Type: fileType(n.Type), Mode: n.Mode, UID: n.UID, GID: n.GID, Size: n.Size, MTime: n.MTime, Link: n.Link,
			Digest: func(algo installed.Algo) (string, error) { return digest(t, n, algo) }}
		if n.Type == imagefs.Regular {
			row.Size = n.Size
			// The SHA-256 and the recorded digest in one read.
			algos := []installed.Algo{installed.SHA256}
			if primary.file != nil && !primary.file.Digest.IsZero() && primary.file.Digest.Algo != installed.SHA256 && primary.file.Digest.Algo != apk.SHA256First160 {
				algos = append(algos, primary.file.Digest.Algo)
			}
			d, err := t.Digests(n, algos...)
			if err != nil {
				return row, err
			}
			row.SHA256 = d[0]
		}
	}
	if len(owners) == 0 {
		row.State = datasets.StateNotOwned
		return row, nil
	}
	row.Package, row.Ecosystem = primary.pkg.Name, string(primary.pkg.Ecosystem)
	if len(owners) > 1 {
		for _, ow := range owners {
			row.Owners = append(row.Owners, ow.pkg.Name)
		}
		slices.Sort(row.Owners)
		row.Owners = slices.Compact(row.Owners)
	}
	row.Config, row.Managed, row.Expected = primary.file.Config, primary.file.Managed, primary.file.Digest.String()
	state, changes, err := Compare(*primary.file, a, acc)
	if err != nil {
		return row, err
	}
	row.State, row.Changes = state, changes
	return row, nil
}

// digest is n's content digest in algo: of a symlink, its target's text
// (what apk records); "sha256-160", apk's truncated SHA-256, is the first
// 160 bits of the SHA-256.
func digest(t *imagefs.Tree, n *imagefs.Node, algo installed.Algo) (string, error) {
	if algo == apk.SHA256First160 {
		d, err := digest(t, n, installed.SHA256)
		if err != nil || len(d) < 40 {
			return d, err
		}
		return d[:40], nil
	}
	if n.Type == imagefs.Symlink {
		h, err := installed.NewHash(algo)
		if err != nil {
			return "", fmt.Errorf("%s: %w", n.Path, err)
		}
		h.Write([]byte(n.Link))
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	return t.Digest(n, algo)
}

func packageRows(pkgs []installed.Package, files []datasets.ImageFileRow, tr *tracker, layers []imageref.Layer) []datasets.ImagePackageRow {
	state := make(map[string]string, len(files))
	for _, f := range files {
		state[f.Path] = f.State
	}
	diff := func(i int) string {
		if i >= 0 && i < len(layers) {
			return cmp.Or(layers[i].DiffID, layers[i].Digest)
		}
		return ""
	}
	rows := make([]datasets.ImagePackageRow, 0, len(pkgs))
	for _, p := range pkgs {
		r := datasets.ImagePackageRow{Ecosystem: string(p.Ecosystem), Package: p.Name, Version: p.Version, Architecture: p.Architecture,
			Source: p.Source, SourceVersion: p.SourceVersion, Files: int64(len(p.Files))}
		if a, ok := tr.seen[pkgKey(p)]; ok {
			r.FirstLayer, r.LastLayer = int32(a.first), int32(a.last)
			r.FirstLayerDigest, r.LastLayerDigest = diff(a.first), diff(a.last)
		}
		for _, f := range p.Files {
			if f.Config {
				r.ConfigFiles++
			}
			if s := state[f.Path]; s != datasets.StateUnchanged && s != "" {
				r.Changed++
			}
		}
		rows = append(rows, r)
	}
	return rows
}

func summary(img *imageref.Image, identity string, osr OSRelease, ecos []ecosystem.Name, t *imagefs.Tree, res *Result) datasets.ImageSummaryRow {
	s := datasets.ImageSummaryRow{Identity: identity, Ref: img.Ref.Raw, Scheme: string(img.Ref.Scheme), Platform: img.Platform,
		Created: img.Created, AnalyzerVersion: Version, OSID: osr.ID, OSVersion: osr.VersionID, Codename: osr.Codename,
		PrettyName: osr.PrettyName, Layers: int32(max(len(img.Layers), 1)), Entries: int64(t.Len()),
		Packages: int64(len(res.Packages)), Files: int64(len(res.Files))}
	for _, e := range ecos {
		s.Ecosystems = append(s.Ecosystems, string(e))
	}
	for _, f := range res.Files {
		if strings.HasPrefix(f.Path, "/etc/") {
			s.EtcFiles++
		}
		switch f.State {
		case datasets.StateUnchanged:
			s.Unchanged++
		case datasets.StateModified:
			s.Modified++
		case datasets.StateDeleted:
			s.Deleted++
		case datasets.StateMetadataChanged:
			s.MetadataChanged++
		case datasets.StateNotOwned:
			s.NotOwned++
		}
		if f.Config && f.State != datasets.StateUnchanged {
			s.ConfigChanged++
		}
	}
	return s
}

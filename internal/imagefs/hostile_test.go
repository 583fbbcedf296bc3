package imagefs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// hostileCase is one file of testdata/hostile: the Kind it is refused
// with and a part of the message, or, for a layer that applies, the path
// whose resolution must fail so.
type hostileCase struct {
	kind    Kind
	msg     string
	limits  func(*Limits) // lowered limits, when the default would need a big file
	resolve string        // the layer applies; resolving this path fails
}

var hostileCases = map[string]hostileCase{
	"absolute-name.tar":      {kind: KindAbsolute, msg: `member "/etc/passwd": absolute name`},
	"dotdot-name.tar":        {kind: KindDotDot, msg: `member "../../etc/passwd": name escapes the root`},
	"dotdot-inner.tar":       {kind: KindDotDot, msg: `member "usr/../../etc/passwd": name escapes the root`},
	"long-name.tar":          {kind: KindPathTooLong, msg: "name is 5001 bytes long, more than 4096"},
	"nul-in-pax-path.tar":    {kind: KindCorrupt, msg: "invalid tar header"}, // archive/tar refuses NUL in a PAX path before we see it
	"hardlink-absolute.tar":  {kind: KindHardlinkEscape, msg: `member "etc/b": hardlink target "/etc/shadow" is absolute`},
	"hardlink-dotdot.tar":    {kind: KindHardlinkEscape, msg: `hardlink target "../etc/shadow" escapes the root`},
	"hardlink-missing.tar":   {kind: KindHardlinkTarget, msg: `hardlink target "etc/shadow" is no earlier member`},
	"hardlink-to-dir.tar":    {kind: KindHardlinkTarget, msg: `hardlink target "etc" is a directory`},
	"symlink-escape.tar":     {kind: KindSymlinkEscape, msg: `member "etc/x": symlink target "../../../etc/shadow" climbs above the root`},
	"symlink-dot.tar":        {kind: KindRootReplace, msg: `member ".": only a directory can be the root`},
	"symlink-dot-slash.tar":  {kind: KindRootReplace, msg: `member "./": only a directory can be the root`},
	"file-root.tar":          {kind: KindRootReplace, msg: `member ".": only a directory can be the root`},
	"whiteout-bare.tar":      {kind: KindWhiteout, msg: `member "etc/.wh.": whiteout of "" names no file`},
	"whiteout-dot.tar":       {kind: KindWhiteout, msg: `whiteout of "." names no file`},
	"whiteout-dotdot.tar":    {kind: KindWhiteout, msg: `whiteout of ".." names no file`},
	"device-char.tar":        {kind: KindDevice, msg: `member "etc/null": chardev device 1:3 outside /dev`},
	"device-block.tar":       {kind: KindDevice, msg: `member "dev/disk/sda": blockdev device 8:0 outside /dev`},
	"file-too-large.tar":     {kind: KindFileTooLarge, msg: `member "big": file of 3221225472 bytes, more than 2147483648`},
	"truncated.tar":          {kind: KindTruncated, msg: "the stream ends inside a member"},
	"too-many-entries.tar":   {kind: KindTooManyEntries, msg: `member "f010": more than 10 entries`, limits: func(l *Limits) { l.MaxEntries = 10 }},
	"layer-too-large.tar.gz": {kind: KindLayerTooLarge, msg: "layer of more than 1048576 bytes uncompressed", limits: func(l *Limits) { l.MaxLayerBytes = 1 << 20 }},
	"bomb.tar.gz":            {kind: KindRatio, msg: `member "zeros": decompression bomb`},
	"bomb.tar.zst":           {kind: KindRatio, msg: `member "zeros": decompression bomb`},
	"corrupt.tar.gz":         {kind: KindCorrupt, msg: "corrupt compressed stream"},
	"corrupt.tar.zst":        {kind: KindCorrupt, msg: "corrupt compressed stream"},
	"symlink-chain.tar":      {kind: KindLinkDepth, msg: "more than 40 symlinks to follow", resolve: "/l49"},
	"symlink-loop.tar":       {kind: KindLinkLoop, msg: "symlink loop through /a/", resolve: "/a/b"},
}

func hostileFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.tar*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no hostile corpus: %v", err)
	}
	for i, f := range files {
		if files[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func limitsFor(c hostileCase) Limits {
	l := DefaultLimits()
	if c.limits != nil {
		c.limits(&l)
	}
	return l
}

// TestHostileCorpus refuses every file of testdata/hostile through Apply
// and FromTarFile, each with its own Kind and message.
func TestHostileCorpus(t *testing.T) {
	files := hostileFiles(t)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for name := range hostileCases {
		if !slices.Contains(names, name) {
			t.Errorf("%s: a case without its file (go run ./internal/imagefs/testdata/gen)", name)
		}
	}
	for _, f := range files {
		name := filepath.Base(f)
		c, ok := hostileCases[name]
		if !ok {
			t.Errorf("%s: a corpus file without a case", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			l := limitsFor(c)
			check := func(how string, tree *Tree, err error) {
				t.Helper()
				if c.resolve != "" {
					if err != nil {
						t.Fatalf("%s: %v", how, err)
					}
					_, err = tree.Resolve(c.resolve)
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%s: got %v (%T), want an *Error of kind %s", how, err, err, c.kind)
				}
				prefix := map[string]string{"Apply": "imagefs: layer 0: ", "FromTarFile": "imagefs: file:" + f + ": "}[how]
				if c.resolve != "" {
					prefix = "imagefs: " + strconv.Quote(c.resolve) + ": "
				}
				if e.Kind != c.kind || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("%s: got %s: %v\nwant %s: %s…%s…", how, e.Kind, err, c.kind, prefix, c.msg)
				}
			}
			r, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			tree := New(l)
			_, err = tree.Apply(context.Background(), r, ApplyOptions{Digests: []Algo{"sha256"}})
			check("Apply", tree, err)
			if c.resolve == "" {
				if _, err2 := tree.Apply(context.Background(), strings.NewReader(""), ApplyOptions{Layer: 1}); err2 == nil || !strings.Contains(err2.Error(), "unusable after an earlier failed Apply") {
					t.Errorf("Apply after a failed Apply: %v, want it refused", err2)
				}
			}

			ft, err := FromTarFile(context.Background(), f, l, ApplyOptions{})
			if ft != nil {
				defer ft.Close()
			}
			check("FromTarFile", ft, err)
		})
	}
}

// TestHostileWritesNothing applies every corpus file with the working
// directory and TMPDIR set to fresh scratch directories, and checks that
// neither they nor their parent gained or lost anything: the tree is in
// memory, and a refused layer leaves no trace.
func TestHostileWritesNothing(t *testing.T) {
	files := hostileFiles(t)
	base := t.TempDir()
	work, tmp := filepath.Join(base, "work"), filepath.Join(base, "tmp")
	for _, d := range []string{work, tmp} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(work)
	t.Setenv("TMPDIR", tmp)
	if os.TempDir() != tmp {
		t.Fatalf("os.TempDir() = %s, want %s", os.TempDir(), tmp)
	}
	before := listing(t, base)
	tmpBefore := listing(t, os.TempDir())
	refused := 0
	for _, f := range files {
		c := hostileCases[filepath.Base(f)]
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(limitsFor(c)).Apply(context.Background(), r, ApplyOptions{Capture: func(string) bool { return true }})
		r.Close()
		if err != nil {
			refused++
		}
		if tree, err := FromTarFile(context.Background(), f, limitsFor(c), ApplyOptions{Capture: func(string) bool { return true }}); err == nil {
			tree.Close()
		} else {
			refused++
		}
	}
	if want := 2 * (len(files) - 2); refused != want { // the two link cases apply and fail only when resolved
		t.Errorf("%d refusals, want %d", refused, want)
	}
	if after := listing(t, base); !slices.Equal(before, after) {
		t.Errorf("the scratch directory changed:\nbefore %q\nafter  %q", before, after)
	}
	if after := listing(t, os.TempDir()); !slices.Equal(tmpBefore, after) {
		t.Errorf("TMPDIR changed:\nbefore %q\nafter  %q", tmpBefore, after)
	}
}

// listing is every path under dir with its mode and size.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, p+" "+fi.Mode().String()+" "+strings.Repeat("#", int(min(fi.Size(), 64))))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

package main

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"

	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/distroscope/distroscope/repo"
)

// hostileCase is one hostile mirror: what it serves, how the snapshot is
// asked for, and what the run must end with (want, a substring of the
// outcome).
type hostileCase struct {
	name    string
	spec    repo.Spec
	build   func(dir string) error
	handler func(files http.Handler) http.Handler
	env     []string // more worker environment
	want    string
	dir     string
}

const suite = "hostile"

var aptSpec = repo.Spec{Distro: "hostile", Suite: suite, Components: []string{"main"}, Architectures: []string{"amd64"}, AllowUnsigned: true}

// bombSize is what the decompression bombs expand to: past the default
// limit of 1 GiB.
const bombSize = repo.DefaultMaxUncompressed + 64<<20

func cases() []hostileCase {
	packages := "dists/" + suite + "/main/binary-amd64/Packages"
	return []hostileCase{
		{name: "fields-20k", spec: aptSpec, want: "too many fields",
			build: aptIndex(packages+".gz", nil, func(w io.Writer) error { return manyFields(w, 20000) })},
		{name: "fields-40k", spec: aptSpec, want: "too many fields",
			build: aptIndex(packages+".gz", nil, func(w io.Writer) error { return manyFields(w, 40000) })},
		// The case: refused at the first stanza by the line bound.
		{name: "depends-900KB-x1000", spec: aptSpec, want: "too long",
			build: aptIndex(packages+".gz", nil, func(w io.Writer) error { return bigDepends(w, 1000, 900<<10) })},
		// Just under every bound: 1,000 stanzas of 480 KB Depends are
		// ingested, and must be within the memory target.
		{name: "depends-480KB-x1000", spec: aptSpec, want: "committed",
			build: aptIndex(packages+".gz", nil, func(w io.Writer) error { return bigDepends(w, 1000, 480<<10) })},
		{name: "xz-bomb", spec: aptSpec, want: "limit of 1073741824",
			build: aptIndex(packages+".xz", nil, bomb)},
		{name: "xz-bomb-lying-size", spec: aptSpec, want: "more than the limit",
			build: aptIndex(packages+".xz", lyingPlain(4_360_000_000), bomb)},
		{name: "xz-bomb-declared-100MB", spec: aptSpec, want: "the size the metadata gives",
			build: aptIndex(packages+".xz", lyingPlain(100<<20), bomb)},
		// A header asking for a 2 GiB dictionary, which the decoder
		// would allocate and fill as it goes; one of 64 MiB (xz -9's), the
		// most that is allowed, decoded with 32 MiB; and one of 32 MiB
		// (xz -8's).
		{name: "xz-bomb-2GiB-dict", spec: aptSpec, want: "a dictionary of 2147483648 bytes",
			build: aptIndex(packages+".xz", nil, bomb, dictionary(38))},
		{name: "xz-bomb-64MiB-dict", spec: aptSpec, want: "limit of 1073741824",
			build: aptIndex(packages+".xz", nil, bomb, dictionary(28))},
		{name: "xz-bomb-32MiB-dict", spec: aptSpec, want: "limit of 1073741824",
			build: aptIndex(packages+".xz", nil, bomb, dictionary(26))},
		{name: "gz-bomb", spec: aptSpec, want: "limit of 1073741824",
			build: aptIndex(packages+".gz", nil, bomb)},
		// A window of 128 MiB (zstd --long=27), which the decoder would
		// fill; and one of 32 MiB, the most that is allowed.
		{name: "zst-bomb-128MiB-window", spec: aptSpec, want: "window size",
			build: aptIndex(packages+".zst", nil, bomb)},
		{name: "zst-bomb-32MiB-window", spec: aptSpec, want: "limit of 1073741824",
			build: aptIndex(packages+".zst", nil, stanzas(""), func(path string) error { return writeCompressedLong(path, 25, bomb) })},
		{name: "gz-bomb-lying-size", spec: aptSpec, want: "more than the limit",
			build: aptIndex(packages+".gz", lyingPlain(4_360_000_000), bomb)},
		{name: "invalid-utf8-name", spec: aptSpec, want: "invalid package name",
			build: aptIndex(packages+".gz", nil, stanzas("Package: bad\xffname\nVersion: 1.0\nArchitecture: amd64\n\n"))},
		{name: "latin1-description", spec: aptSpec, want: "committed",
			build: aptIndex(packages+".gz", nil, stanzas("Package: latin\nVersion: 1.0\nArchitecture: amd64\nMaintainer: J\xfcrgen <j@example.org>\nDescription: caf\xe9\n\n"))},
		{name: "huge-version", spec: aptSpec, want: "invalid version",
			build: aptIndex(packages+".gz", nil, stanzas("Package: huge\nVersion: 1:"+strings.Repeat("9", 120<<10)+"!\nArchitecture: amd64\n\n"))},
		// A Release sent one byte a second, under the default fetch limits.
		{name: "trickled-release", spec: aptSpec, want: "mirror sent",
			build:   aptIndex(packages+".gz", nil, stanzas("Package: slow\nVersion: 1.0\nArchitecture: amd64\n\n")),
			handler: trickle("/Release")},
		{name: "rpm-gz-bomb", spec: rpmSpec, want: "1073741824",
			build: rpmRepo(func(w io.Writer) error { return rpmPrimary(w, "", 1<<30/len(rpmPackage("bomb", ""))+1000) })},
		{name: "rpm-20k-requires", spec: rpmSpec, want: "too many",
			build: rpmRepo(func(w io.Writer) error {
				return rpmPrimary(w, strings.Repeat(`<rpm:entry name="libdep.so"/>`+"\n", 20000), 1)
			})},
		{name: "apk-gz-bomb", spec: apkSpec, want: "1073741824", build: apkIndex(apkBomb)},
		{name: "apk-huge-record", spec: apkSpec, want: "too long",
			build: apkIndex(stanzas("P:huge\nV:1.0-r0\nA:x86_64\nT:" + strings.Repeat("x", 2<<20) + "\n\n"))},
		{name: "alpm-gz-bomb", spec: alpmSpec, want: "1073741824", build: alpmDB(alpmBomb)},
		// 300 MB that does not compress: resolve held a database in memory
		// (up to 512 MiB) to hash and scan it.
		{name: "alpm-300MB-db", spec: alpmSpec, want: "",
			build: alpmDB(func(tw *tar.Writer) error { return alpmJunk(tw, 300<<20) })},
		{name: "alpm-many-depends", spec: alpmSpec, want: "too many",
			build: alpmDB(func(tw *tar.Writer) error { return alpmEntry(tw, "many", 1, strings.Repeat("dep\n", 100000)) })},
	}
}

// aptIndex builds an unsigned apt suite of one index, file, written by gen
// (compressed as its suffix says), then changed by each patch. Its Release
// lists the index, and plain when not nil (a plain Packages the mirror
// does not have, for the size and hash it declares).
func aptIndex(file string, plain *releaseEntry, gen func(io.Writer) error, patches ...func(path string) error) func(dir string) error {
	return func(dir string) error {
		done := filepath.Join(dir, ".done")
		if _, err := os.Stat(done); err == nil {
			return nil
		}
		os.RemoveAll(dir)
		path := filepath.Join(dir, file)
		if err := writeCompressed(path, gen); err != nil {
			return err
		}
		for _, p := range patches {
			if err := p(path); err != nil {
				return err
			}
		}
		entries := []releaseEntry{}
		e, err := entryOf(dir, file)
		if err != nil {
			return err
		}
		entries = append(entries, e)
		if plain != nil {
			entries = append(entries, *plain)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Origin: Hostile\nSuite: %s\nCodename: %s\nDate: %s\nArchitectures: amd64\nComponents: main\nSHA256:\n",
			suite, suite, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC1123))
		for _, e := range entries {
			fmt.Fprintf(&b, " %s %d %s\n", e.sha256, e.size, strings.TrimPrefix(e.path, "dists/"+suite+"/"))
		}
		if err := os.WriteFile(filepath.Join(dir, "dists", suite, "Release"), []byte(b.String()), 0o644); err != nil {
			return err
		}
		return os.WriteFile(done, nil, 0o644)
	}
}

type releaseEntry struct {
	path, sha256 string
	size         int64
}

func lyingPlain(size int64) *releaseEntry {
	return &releaseEntry{path: "dists/" + suite + "/main/binary-amd64/Packages", sha256: strings.Repeat("0", 64), size: size}
}

func entryOf(dir, file string) (releaseEntry, error) {
	f, err := os.Open(filepath.Join(dir, file))
	if err != nil {
		return releaseEntry{}, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return releaseEntry{path: file, sha256: fmt.Sprintf("%x", h.Sum(nil)), size: n}, err
}

// writeCompressed writes what gen writes to path, compressed as its suffix
// says: .gz here, .xz through the xz command (Go's encoder would take
// minutes for a bomb).
func writeCompressed(path string, gen func(io.Writer) error) error {
	return writeCompressedLong(path, 27, gen)
}

// writeCompressedLong is writeCompressed with zstd's window of
// 2^zstdWindowLog bytes.
func writeCompressedLong(path string, zstdWindowLog int, gen func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	switch filepath.Ext(path) {
	case ".gz":
		zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
		bw := bufio.NewWriterSize(zw, 1<<20)
		if err := gen(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
	case ".xz", ".zst":
		cmd := exec.Command("xz", "-T1", "-0", "-c")
		if filepath.Ext(path) == ".zst" {
			cmd = exec.Command("zstd", "-q", "-1", fmt.Sprintf("--long=%d", zstdWindowLog), "-c")
		}
		cmd.Stdout = f
		in, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		bw := bufio.NewWriterSize(in, 1<<20)
		gerr := gen(bw)
		if gerr == nil {
			gerr = bw.Flush()
		}
		in.Close()
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("%s: %w", cmd.Path, err)
		}
		if gerr != nil {
			return gerr
		}
	default:
		return fmt.Errorf("no compression for %s", path)
	}
	return f.Close()
}

// dictionary rewrites the LZMA2 dictionary size in the first block header
// of an xz file to the one props encodes (28: 64 MiB, 38: 2 GiB) and the
// header's CRC32: the data still decodes, with a decoder that sets aside
// that dictionary.
func dictionary(props byte) func(path string) error {
	return func(path string) error { return setDictionary(path, props) }
}

func setDictionary(path string, props byte) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	const blockStart = 12 // after the stream header
	size := (int(data[blockStart]) + 1) * 4
	flags := data[blockStart+1]
	pos := blockStart + 2
	skipVarint := func() {
		for data[pos]&0x80 != 0 {
			pos++
		}
		pos++
	}
	if flags&0x40 != 0 {
		skipVarint()
	}
	if flags&0x80 != 0 {
		skipVarint()
	}
	if data[pos] != 0x21 || data[pos+1] != 1 {
		return fmt.Errorf("%s: first filter is not LZMA2", path)
	}
	data[pos+2] = props
	crc := crc32.ChecksumIEEE(data[blockStart : blockStart+size-4])
	binary.LittleEndian.PutUint32(data[blockStart+size-4:], crc)
	return os.WriteFile(path, data, 0o644)
}

func manyFields(w io.Writer, n int) error {
	fmt.Fprint(w, "Package: many\nVersion: 1.0\nArchitecture: amd64\n")
	for i := range n {
		fmt.Fprintf(w, "X-Field-%d: %d\n", i, i)
	}
	_, err := fmt.Fprint(w, "\n")
	return err
}

// bigDepends writes n stanzas, each with a Depends line of about size
// bytes.
func bigDepends(w io.Writer, n, size int) error {
	var line strings.Builder
	line.WriteString("Depends: ")
	for i := 0; line.Len() < size; i++ {
		if i > 0 {
			line.WriteString(", ")
		}
		fmt.Fprintf(&line, "libhostile-dependency-with-a-long-name-%06d (>= 1.2.3-4)", i)
	}
	for i := range n {
		if _, err := fmt.Fprintf(w, "Package: big%d\nVersion: 1.0\nArchitecture: amd64\n%s\n\n", i, line.String()); err != nil {
			return err
		}
	}
	return nil
}

// bombStanza is a realistic stanza of ~2 KB, most of it long description.
var bombStanza = "Package: bomb\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: Bomb <bomb@example.org>\nInstalled-Size: 100\n" +
	"Depends: libc6 (>= 2.36), libbomb1 (= 1.0-1)\nSection: misc\nPriority: optional\nFilename: pool/main/b/bomb/bomb_1.0-1_amd64.deb\n" +
	"Size: 1000\nSHA256: " + strings.Repeat("ab", 32) + "\nDescription: a package repeated until the index is past the limit\n" +
	strings.Repeat(" a long description line that the reader skips, as it skips every long description.\n", 20) + "\n"

// bomb writes bombSize bytes of stanzas.
func bomb(w io.Writer) error {
	return repeatTo(w, bombStanza, bombSize)
}

func repeatTo(w io.Writer, s string, size int64) error {
	chunk := strings.Repeat(s, (1<<20)/len(s)+1)
	for written := int64(0); written < size; written += int64(len(chunk)) {
		if _, err := io.WriteString(w, chunk); err != nil {
			return err
		}
	}
	return nil
}

func stanzas(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// trickle serves paths ending in suffix one byte a second.
func trickle(suffix string) func(http.Handler) http.Handler {
	return func(files http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasSuffix(r.URL.Path, suffix) {
				files.ServeHTTP(w, r)
				return
			}
			w.WriteHeader(http.StatusOK)
			for i := 0; i < 3600; i++ {
				if _, err := w.Write([]byte{'O'}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(time.Second):
				}
			}
		})
	}
}

var apkSpec = repo.Spec{Distro: "hostile", Format: repo.FormatAPK, Suite: "v3.20", Components: []string{"main"}, Architectures: []string{"x86_64"}}

// apkIndex builds an APKINDEX.tar.gz (unsigned) whose APKINDEX gen writes.
func apkIndex(gen func(io.Writer) error) func(dir string) error {
	return func(dir string) error {
		return cached(dir, func() error {
			path := filepath.Join(dir, "v3.20", "main", "x86_64", "APKINDEX.tar.gz")
			return writeCompressed(path, func(w io.Writer) error {
				return tarFile(w, "APKINDEX", gen)
			})
		})
	}
}

func apkBomb(w io.Writer) error {
	return repeatTo(w, "P:bomb\nV:1.0-r0\nA:x86_64\nS:1000\nI:2000\nT:a package repeated until the index is past the limit\nU:https://example.org\nL:MIT\nD:so:libc.musl-x86_64.so.1\n\n", bombSize)
}

// tarFile writes a tar of one file, name, whose content gen writes: spooled
// to a temporary file first, since a tar header needs the size.
func tarFile(w io.Writer, name string, gen func(io.Writer) error) error {
	tmp, err := os.CreateTemp("", "hostile-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := gen(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := io.Copy(tw, tmp); err != nil {
		return err
	}
	return tw.Close()
}

var alpmSpec = repo.Spec{Distro: "hostile", Format: repo.FormatALPM, Suite: "rolling", Components: []string{"core"}, Architectures: []string{"x86_64"}}

// alpmDB builds core.db, a gzipped tar of package entries gen writes.
func alpmDB(gen func(*tar.Writer) error) func(dir string) error {
	return func(dir string) error {
		return cached(dir, func() error {
			path := filepath.Join(dir, "core", "os", "x86_64", "core.db.gz")
			if err := writeCompressed(path, func(w io.Writer) error {
				tw := tar.NewWriter(w)
				if err := gen(tw); err != nil {
					return err
				}
				return tw.Close()
			}); err != nil {
				return err
			}
			return os.Rename(path, strings.TrimSuffix(path, ".gz"))
		})
	}
}

func alpmEntry(tw *tar.Writer, name string, i int, depends string) error {
	dir := fmt.Sprintf("%s%d-1.0-1/", name, i)
	desc := fmt.Sprintf("%%FILENAME%%\n%s%d-1.0-1-x86_64.pkg.tar.zst\n\n%%NAME%%\n%s%d\n\n%%VERSION%%\n1.0-1\n\n%%DESC%%\na hostile package\n\n%%ARCH%%\nx86_64\n\n%%BUILDDATE%%\n1764547200\n\n",
		name, i, name, i)
	if depends != "" {
		desc += "%DEPENDS%\n" + depends + "\n"
	}
	if err := tw.WriteHeader(&tar.Header{Name: dir, Mode: 0o755, Typeflag: tar.TypeDir}); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: dir + "desc", Mode: 0o644, Size: int64(len(desc)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := io.WriteString(tw, desc)
	return err
}

// alpmBomb writes package entries until past the limit.
func alpmBomb(tw *tar.Writer) error {
	for i := 0; ; i++ {
		if err := alpmEntry(tw, "bomb", i, strings.Repeat("a-dependency-of-the-bomb\n", 40)); err != nil {
			return err
		}
		if int64(i)*2048 > bombSize {
			return nil
		}
	}
}

// cached runs build into dir unless an earlier run finished it.
func cached(dir string, build func() error) error {
	done := filepath.Join(dir, ".done")
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	os.RemoveAll(dir)
	if err := build(); err != nil {
		return err
	}
	return os.WriteFile(done, nil, 0o644)
}

// alpmJunk writes a package entry with a file of size random bytes beside
// its desc.
func alpmJunk(tw *tar.Writer, size int64) error {
	if err := alpmEntry(tw, "junk", 0, ""); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: "junk0-1.0-1/mtree", Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := io.CopyN(tw, rand.NewChaCha8([32]byte{9}), size)
	return err
}

var rpmSpec = repo.Spec{Distro: "hostile", Format: repo.FormatRPMMD, Suite: "41", Components: []string{"Everything"}, Architectures: []string{"x86_64"}}

// rpmPackage is one <package> of primary.xml, with requires entries.
func rpmPackage(name, requires string) string {
	return `<package type="rpm"><name>` + name + `</name><arch>x86_64</arch><version epoch="0" ver="1.0" rel="1"/>` +
		`<checksum type="sha256" pkgid="YES">` + strings.Repeat("ab", 32) + `</checksum><summary>hostile</summary>` +
		`<description>a package repeated until the index is past the limit</description><packager></packager><url></url>` +
		`<time file="1764547200" build="1764547200"/><size package="1" installed="1" archive="1"/>` +
		`<location href="Packages/` + name + `-1.0-1.x86_64.rpm"/><format><rpm:license>MIT</rpm:license>` +
		`<rpm:requires>` + requires + `</rpm:requires></format></package>` + "\n"
}

// rpmPrimary writes a primary.xml of n packages.
func rpmPrimary(w io.Writer, requires string, n int) error {
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">`+"\n", n)
	pkg := rpmPackage("hostile", requires)
	for range n {
		if _, err := io.WriteString(w, pkg); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "</metadata>\n")
	return err
}

// rpmRepo builds repodata/ with a primary.xml.gz gen writes, named by its
// hash, and a repomd.xml that gives no open-size.
func rpmRepo(gen func(io.Writer) error) func(dir string) error {
	return func(dir string) error {
		return cached(dir, func() error {
			os_ := filepath.Join(dir, "41", "Everything", "x86_64", "os")
			tmp := filepath.Join(os_, "repodata", "primary.xml.gz")
			if err := writeCompressed(tmp, gen); err != nil {
				return err
			}
			e, err := entryOf(os_, "repodata/primary.xml.gz")
			if err != nil {
				return err
			}
			href := "repodata/" + e.sha256 + "-primary.xml.gz"
			if err := os.Rename(tmp, filepath.Join(os_, href)); err != nil {
				return err
			}
			repomd := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1764547200</revision>
  <data type="primary">
    <checksum type="sha256">%s</checksum>
    <location href="%s"/>
    <timestamp>1764547200</timestamp>
    <size>%d</size>
  </data>
</repomd>
`, e.sha256, href, e.size)
			return os.WriteFile(filepath.Join(os_, "repodata", "repomd.xml"), []byte(repomd), 0o644)
		})
	}
}

package rpmdb

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"hash/adler32"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/ecosystem/installed"
	"github.com/distroscope/distroscope/ecosystem/rpm/rpmdb/rpmdbtest"
	"github.com/distroscope/distroscope/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata from a database rpm builds (needs rpm, rpmbuild, db5.3_load)")

// record is one Packages row: a header number and its blob.
type record struct {
	hnum uint32
	blob []byte
}

// sqliteRecords reads the Packages table of a sqlite database as rpm
// wrote it, to build the other backends from the same real headers.
func sqliteRecords(t testing.TB, path string) []record {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), "SELECT hnum, blob FROM Packages ORDER BY hnum")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []record
	for rows.Next() {
		var r record
		if err := rows.Scan(&r.hnum, &r.blob); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// bdbVariant is one way to store the headers in a Berkeley DB: 4096-byte
// pages (most headers on overflow chains, the big one on several pages),
// 512-byte pages in big-endian (every header on a long chain), 64 KiB
// pages (every header inline on a hash page), and page checksums, which
// rpm's own bdb_ro reader does not read but Berkeley DB writes when asked.
type bdbVariant struct {
	name     string
	order    binary.ByteOrder
	args     []string
	rpmReads bool // rpm's bdb_ro reads no checksummed pages
}

var bdbVariants = []bdbVariant{
	{"Packages", binary.LittleEndian, []string{"-c", "db_pagesize=4096"}, true},
	{"Packages-be-512", binary.BigEndian, []string{"-c", "db_pagesize=512", "-c", "db_lorder=4321"}, true},
	{"Packages-64k", binary.LittleEndian, []string{"-c", "db_pagesize=65536"}, true},
	{"Packages-chksum", binary.LittleEndian, []string{"-c", "db_pagesize=1024", "-c", "chksum=1"}, false},
}

// buildBDB writes records into a hash database with db5.3_load, reading
// its text input (-T: one line per key and per value, every byte escaped
// as \xx), keys in the database's byte order as rpm on that machine wrote
// them.
func buildBDB(t testing.TB, dir string, v bdbVariant, records []record) string {
	t.Helper()
	dbload := testenv.Require(t, testenv.DBLoad)
	// rpm's Berkeley DB backend kept its next header number under key 0.
	next := make([]byte, 4)
	v.order.PutUint32(next, records[len(records)-1].hnum+1)
	records = append([]record{{0, next}}, records...)
	var in strings.Builder
	line := func(b []byte) {
		for _, c := range b {
			fmt.Fprintf(&in, "\\%02x", c)
		}
		in.WriteByte('\n')
	}
	for _, r := range records {
		key := make([]byte, 4)
		v.order.PutUint32(key, r.hnum)
		line(key)
		line(r.blob)
	}
	path := filepath.Join(dir, v.name, "Packages")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dbload, append(append([]string{"-T", "-t", "hash"}, v.args...), path)...)
	cmd.Stdin = strings.NewReader(in.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("db5.3_load %v: %v\n%s", v.args, err, out)
	}
	return path
}

// writeNDB lays records out as rpm's ndb backend does (rpmpkg.c: the
// header, one page of slots, blobs with head, padding and adler32 tail).
// Debian's rpm 4.18 is built without ndb (rpm --showrc lists sqlite,
// bdb_ro and dummy), so the file is written here from the layout.
func writeNDB(records []record) []byte {
	le := binary.LittleEndian
	buf := make([]byte, ndbPageSize)
	le.PutUint32(buf, ndbMagic)
	le.PutUint32(buf[8:], 1)  // generation
	le.PutUint32(buf[12:], 1) // slot pages
	for off := ndbHeaderSize; off < ndbPageSize; off += ndbSlotSize {
		le.PutUint32(buf[off:], ndbSlotMagic)
	}
	var next uint32
	for i, r := range records {
		n := uint32(len(r.blob))
		blkcnt := (ndbHeadSize + n + ndbTailSize + ndbBlkSize - 1) / ndbBlkSize
		blkoff := uint32(len(buf) / ndbBlkSize)
		slot := buf[ndbHeaderSize+i*ndbSlotSize:]
		le.PutUint32(slot[4:], r.hnum)
		le.PutUint32(slot[8:], blkoff)
		le.PutUint32(slot[12:], blkcnt)
		area := make([]byte, blkcnt*ndbBlkSize)
		le.PutUint32(area, ndbHeadMagic)
		le.PutUint32(area[4:], r.hnum)
		le.PutUint32(area[8:], 1733500000)
		le.PutUint32(area[12:], n)
		copy(area[ndbHeadSize:], r.blob)
		tail := area[len(area)-ndbTailSize:]
		le.PutUint32(tail, adler32.Checksum(area[:len(area)-ndbTailSize]))
		le.PutUint32(tail[4:], n)
		le.PutUint32(tail[8:], ndbTailMagic)
		buf = append(buf, area...)
		next = max(next, r.hnum+1)
	}
	le.PutUint32(buf[16:], next)
	return buf
}

// TestAgainstRPM builds and installs real packages with rpm, reads the
// sqlite database rpm wrote, the Berkeley DB databases db5.3_load makes of
// the same headers (each checked to be one rpm itself reads) and an ndb
// file of them, and compares every package and file with rpm's own
// queries. With -update it rewrites testdata from that run.
func TestAgainstRPM(t *testing.T) {
	testenv.Require(t, testenv.DBLoad)
	root := rpmdbtest.BuildRoot(t)
	dbdir := rpmdbtest.DBDir(root)
	sqliteBytes, err := os.ReadFile(filepath.Join(dbdir, sqliteFile))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{sqliteFile: sqliteBytes}
	if wal, err := os.ReadFile(filepath.Join(dbdir, sqliteWAL)); err == nil {
		files[sqliteWAL] = wal
	}
	pkgs, backend, err := Read(files)
	if err != nil {
		t.Fatal(err)
	}
	if backend != SQLite {
		t.Fatalf("backend %q, want sqlite", backend)
	}
	comparePackages(t, root, pkgs)

	records := sqliteRecords(t, filepath.Join(dbdir, sqliteFile))
	rpmPath := testenv.Require(t, testenv.RPM)
	want := rpmdbtest.Query(t, root, "%{NAME}-%{EVR}.%{ARCH}\n", "-qa")
	scratch := t.TempDir()
	fixtures := map[string][]byte{"rpmdb.sqlite": sqliteBytes}
	for _, v := range bdbVariants {
		path := buildBDB(t, scratch, v, records)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadBDB(b)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		sameJSON(t, v.name, got, pkgs)
		fixtures[v.name] = b
		if !v.rpmReads {
			continue
		}
		// rpm's own reader of the file: proof it is a real rpm Packages.
		// (It warns that the index databases are missing: -qa needs none.)
		cmd := exec.Command(rpmPath, "--define", "_db_backend bdb_ro", "--dbpath", filepath.Dir(path),
			"-qa", "--qf", "%{NAME}-%{EVR}.%{ARCH}\n")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || strings.Contains(stderr.String(), "error") {
			t.Fatalf("rpm bdb_ro -qa %s: %v\n%s", v.name, err, stderr.String())
		}
		if sortedLines(string(out)) != sortedLines(want) {
			t.Errorf("rpm reads %s as\n%s\nwant\n%s", v.name, out, want)
		}
	}
	ndb := writeNDB(records)
	got, err := ReadNDB(ndb)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "Packages.db", got, pkgs)
	fixtures["Packages.db"] = ndb

	if *update {
		for name, b := range fixtures {
			writeGzip(t, filepath.Join("testdata", name+".gz"), b)
		}
		j, err := json.MarshalIndent(pkgs, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "packages.json"), append(j, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// comparePackages checks pkgs against rpm -qa and rpm's per-file query of
// the same root.
func comparePackages(t *testing.T, root string, pkgs []installed.Package) {
	t.Helper()
	var got []string
	byName := map[string]installed.Package{}
	for _, p := range pkgs {
		got = append(got, fmt.Sprintf("%s %s %s %s-%s", p.Name, p.Version, p.Architecture, p.Source, p.SourceVersion))
		byName[p.Name] = p
	}
	// rpm prints no epoch as "(none)"; SourceVersion is empty when it
	// equals Version, so the oracle line is built the same way.
	var want []string
	pubkeys := 0
	for _, l := range strings.Split(strings.TrimSpace(rpmdbtest.Query(t, root,
		"%{NAME}|%{EPOCH}|%{VERSION}-%{RELEASE}|%{ARCH}|%{SOURCERPM}\n", "-qa")), "\n") {
		f := strings.Split(l, "|")
		if f[0] == pubkeyName {
			pubkeys++ // rpm -qa lists imported keys; Read leaves them out
			continue
		}
		version := f[2]
		if f[1] != "(none)" {
			version = f[1] + ":" + version
		}
		srpm := strings.TrimSuffix(f[4], ".src.rpm")
		r := strings.LastIndexByte(srpm, '-')
		v := strings.LastIndexByte(srpm[:r], '-')
		sv := srpm[v+1:]
		if sv == version {
			sv = ""
		}
		want = append(want, fmt.Sprintf("%s %s %s %s-%s", f[0], version, f[3], srpm[:v], sv))
	}
	if sortedLines(strings.Join(got, "\n")) != sortedLines(strings.Join(want, "\n")) {
		t.Fatalf("packages:\n%s\nrpm -qa:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(pkgs) != 3 || pubkeys != 1 {
		t.Fatalf("%d packages and %d keys, want the fixture's 3 and 1", len(pkgs), pubkeys)
	}

	const qf = "[%{=NAME}|%{FILENAMES}|%{FILEDIGESTS}|%{FILEMODES}|%{FILEFLAGS}|%{FILESIZES}|%{FILEUSERNAME}|%{FILEGROUPNAME}|%{FILEMTIMES}|%{FILELINKTOS}|%{=FILEDIGESTALGO}\n]"
	seen := 0
	for _, l := range strings.Split(strings.TrimSpace(rpmdbtest.Query(t, root, qf, "-qa")), "\n") {
		f := strings.Split(l, "|")
		if len(f) != 11 {
			continue // the blank line rpm prints after a package
		}
		p, ok := byName[f[0]]
		if !ok {
			t.Fatalf("rpm lists a file of %s, which Read did not return", f[0])
		}
		var file *installed.File
		for i := range p.Files {
			if p.Files[i].Path == f[1] {
				file = &p.Files[i]
			}
		}
		if file == nil {
			t.Errorf("%s: %s missing", f[0], f[1])
			continue
		}
		seen++
		mode, _ := strconv.ParseUint(f[3], 10, 32)
		flags, _ := strconv.ParseUint(f[4], 10, 32)
		size, _ := strconv.ParseInt(f[5], 10, 64)
		mtime, _ := strconv.ParseInt(f[8], 10, 64)
		if file.Mode != installed.Mode(uint32(mode)) || file.Mode.Perm() != fs.FileMode(mode&0o777) || file.Type != fileType(uint32(mode)) {
			t.Errorf("%s: mode %v type %d, rpm says %o", f[1], file.Mode, file.Type, mode)
		}
		if file.Config != (flags&1 != 0) || file.NoReplace != (flags&16 != 0) || (file.Ghost && flags&64 == 0 && !strings.Contains(f[1], "/doc/")) {
			t.Errorf("%s: config %v noreplace %v ghost %v, rpm's flags %d", f[1], file.Config, file.NoReplace, file.Ghost, flags)
		}
		if file.Size != size || file.User != f[6] || file.Group != f[7] || file.MTime.Unix() != mtime || file.Link != f[9] {
			t.Errorf("%s: size %d owner %s:%s mtime %d link %q, rpm says %s", f[1], file.Size, file.User, file.Group, file.MTime.Unix(), file.Link, l)
		}
		if !file.Digest.IsZero() && (file.Digest.Hex != f[2] || file.Digest.Algo != installed.SHA256 || f[10] != "8") {
			t.Errorf("%s: digest %s, rpm says %s (algo %s)", f[1], file.Digest, f[2], f[10])
		}
		if file.Digest.IsZero() && file.Type == installed.TypeRegular && !file.Ghost && f[1] != "/var/lib/dsc/state" {
			t.Errorf("%s: no digest, rpm says %s", f[1], f[2])
		}
	}
	if n := len(byName["dsc"].Files) + len(byName["dsc-libs"].Files) + len(byName["dsc-big"].Files); seen != n {
		t.Errorf("rpm lists %d files, Read returned %d", seen, n)
	}
	checkFlags(t, pkgs)
}

// checkFlags checks the Has flags the fixture's files must have: what rpm
// -V checks of each.
func checkFlags(t *testing.T, pkgs []installed.Package) {
	t.Helper()
	files := map[string]installed.File{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			files[f.Path] = f
		}
	}
	type want struct {
		digest, mode, owner, size, mtime, link, ghost, config, noreplace bool
		typ                                                              installed.FileType
		setuid                                                           bool
	}
	for path, w := range map[string]want{
		"/etc/dsc/base.conf":        {digest: true, mode: true, owner: true, size: true, mtime: true, config: true, typ: installed.TypeRegular},
		"/etc/dsc/keep.conf":        {digest: true, mode: true, owner: true, size: true, mtime: true, config: true, noreplace: true, typ: installed.TypeRegular},
		"/usr/bin/dsc-tool":         {digest: true, mode: true, owner: true, size: true, mtime: true, typ: installed.TypeRegular, setuid: true},
		"/usr/share/dsc":            {mode: true, owner: true, typ: installed.TypeDir},
		"/usr/share/dsc/link":       {owner: true, link: true, typ: installed.TypeSymlink},
		"/var/log/dsc.log":          {mode: true, owner: true, ghost: true, typ: installed.TypeRegular},
		"/var/lib/dsc/state":        {mode: true, owner: true, typ: installed.TypeRegular}, // %verify(not md5 size mtime)
		"/usr/share/doc/dsc/README": {ghost: true, typ: installed.TypeRegular},             // --excludedocs: not installed
	} {
		f, ok := files[path]
		if !ok {
			t.Errorf("%s: not read", path)
			continue
		}
		got := want{!f.Digest.IsZero(), f.HasMode, f.HasOwner, f.HasSize, f.HasMTime, f.HasLink, f.Ghost, f.Config, f.NoReplace, f.Type, f.Mode&fs.ModeSetuid != 0}
		if got != w {
			t.Errorf("%s: %+v, want %+v", path, got, w)
		}
	}
}

func sameJSON(t *testing.T, what string, got, want []installed.Package) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !bytes.Equal(g, w) {
		t.Errorf("%s: packages differ from the sqlite database's:\n%s\nwant\n%s", what, g, w)
	}
}

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func writeGzip(t *testing.T, path string, b []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.ModTime = time.Time{}
	zw.Write(b)
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyAgainstRPM changes files of an installed root and checks
// rpmdbtest.Verify's reading of rpm -Va, and that every check rpm reports
// failing is one the reader's record has a Has flag for: the file-state
// comparison can only match rpm -V when the records say what rpm checks.
func TestVerifyAgainstRPM(t *testing.T) {
	root := rpmdbtest.BuildRoot(t)
	b, err := os.ReadFile(filepath.Join(rpmdbtest.DBDir(root), sqliteFile))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := ReadSQLite(b)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]installed.File{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			files[f.Path] = f
		}
	}
	at := func(p string) string { return filepath.Join(root, p) }
	later := time.Now().Add(time.Hour)
	for _, step := range []error{
		os.WriteFile(at("/etc/dsc/base.conf"), []byte("setting = 22\n"), 0o644),
		os.Chtimes(at("/etc/dsc/base.conf"), later, later),
		os.Remove(at("/usr/share/dsc/data.txt")),
		os.Chmod(at("/usr/bin/dsc-tool"), 0o755),                                  // setuid dropped
		os.WriteFile(at("/var/lib/dsc/state"), []byte("a longer state\n"), 0o644), // %verify(not md5 size mtime)
		os.Remove(at("/usr/share/dsc/link")),
		os.Symlink("elsewhere", at("/usr/share/dsc/link")),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	got := map[string]rpmdbtest.VerifyLine{}
	for _, l := range rpmdbtest.Verify(t, root) {
		got[l.Path] = l
	}
	want := map[string]rpmdbtest.VerifyLine{
		"/etc/dsc/base.conf":      {Flags: "S.5....T.", Marker: 'c', Path: "/etc/dsc/base.conf"},
		"/usr/share/dsc/data.txt": {Flags: "missing", Path: "/usr/share/dsc/data.txt"},
		"/usr/bin/dsc-tool":       {Flags: ".M.......", Path: "/usr/bin/dsc-tool"},
		"/usr/share/dsc/link":     {Flags: "....L....", Path: "/usr/share/dsc/link"},
	}
	if len(got) != len(want) {
		t.Errorf("rpm -Va reports %d files, want %d: %+v", len(got), len(want), got)
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: rpm -Va says %+v, want %+v", p, got[p], w)
		}
	}
	// Each letter rpm -V prints is a check it made: the record must have it.
	has := map[byte]func(installed.File) bool{
		'S': func(f installed.File) bool { return f.HasSize },
		'M': func(f installed.File) bool { return f.HasMode },
		'5': func(f installed.File) bool { return !f.Digest.IsZero() },
		'L': func(f installed.File) bool { return f.HasLink },
		'U': func(f installed.File) bool { return f.HasOwner },
		'G': func(f installed.File) bool { return f.HasOwner },
		'T': func(f installed.File) bool { return f.HasMTime },
	}
	for p, l := range got {
		f := files[p]
		if l.Missing() {
			if f.Ghost {
				t.Errorf("%s: rpm reports it missing, the record says ghost", p)
			}
			continue
		}
		for i := 0; i < len(l.Flags); i++ {
			if check, ok := has[l.Flags[i]]; ok && !check(f) {
				t.Errorf("%s: rpm checked %c, the record has no such check: %+v", p, l.Flags[i], f)
			}
		}
		if l.Config() != f.Config {
			t.Errorf("%s: rpm's config marker %v, the record's %v", p, l.Config(), f.Config)
		}
	}
}

func TestParseVerify(t *testing.T) {
	got := rpmdbtest.ParseVerify("S.5....T.  c /etc/a b\nmissing     /usr/x\n.M.......    /usr/bin/y\nerror: something\nmissing   d /usr/share/doc/z\n")
	want := []rpmdbtest.VerifyLine{
		{Flags: "S.5....T.", Marker: 'c', Path: "/etc/a b"},
		{Flags: "missing", Path: "/usr/x"},
		{Flags: ".M.......", Path: "/usr/bin/y"},
		{Flags: "missing", Marker: 'd', Path: "/usr/share/doc/z"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("ParseVerify: %+v, want %+v", got, want)
	}
}

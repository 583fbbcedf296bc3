package sandbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distroscope/distroscope/internal/testenv"
)

// tree is a root filesystem holding /bin/escape (testdata/escape, built
// static) and a few files, made once for the test binary; the sandbox
// never writes it, which TestWriteStaysInOverlay checks.
var tree string

func TestMain(m *testing.M) {
	Init()
	dir, err := os.MkdirTemp("", "sandbox-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tree, err = makeTree(dir)
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// makeTree builds the test tree under dir. The root directory and
// /data/owned.txt belong to the id the sandbox's root maps to (when the
// tests run as root), so that writes inside succeed and must land in the
// overlay; /etc/hello belongs to the caller, whom the sandbox does not map.
func makeTree(dir string) (string, error) {
	root := filepath.Join(dir, "root")
	for _, d := range []string{"bin", "etc", "data", "proc", "dev", "tmp"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return "", err
		}
	}
	build := exec.Command("go", "build", "-o", filepath.Join(root, "bin/escape"), "./testdata/escape")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building testdata/escape: %v\n%s", err, out)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(root, "bin/escape"), filepath.Join(root, "bin/escape-suid")).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cp: %v\n%s", err, out)
	}
	if err := os.Chmod(filepath.Join(root, "bin/escape-suid"), 0o755|os.ModeSetuid); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(root, "etc/hello"), []byte("host\n"), 0o666); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(root, "data/owned.txt"), []byte("host\n"), 0o644); err != nil {
		return "", err
	}
	// A configuration directory that is a link, absolute and relative,
	// as merged-/usr images make them.
	if err := os.MkdirAll(filepath.Join(root, "usr/etc/conf"), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(root, "usr/etc/conf/shipped"), []byte("image"), 0o644); err != nil {
		return "", err
	}
	if err := os.Symlink("/usr/etc/conf", filepath.Join(root, "etc/conf")); err != nil {
		return "", err
	}
	if err := os.Symlink("../usr/etc", filepath.Join(root, "etc/usr-etc")); err != nil {
		return "", err
	}
	if os.Geteuid() == 0 {
		for _, p := range []string{root, filepath.Join(root, "data"), filepath.Join(root, "data/owned.txt")} {
			if err := os.Chown(p, hostID, hostID); err != nil {
				return "", err
			}
		}
	}
	return root, nil
}

// run runs /bin/escape with ops in the test tree and returns its result
// and its lines by op; an unavailable sandbox skips (fails under CI).
func run(t *testing.T, lim Limits, ops ...string) (Result, map[string]string) {
	t.Helper()
	return runSpec(t, Spec{Limits: lim}, ops...)
}

// runSpec is run with the spec's Files, Dirs and Limits.
func runSpec(t *testing.T, spec Spec, ops ...string) (Result, map[string]string) {
	t.Helper()
	lim := spec.Limits
	// Go maps 1.2 GiB at start: the escape helper needs more than the
	// default memory limit.
	lim.Memory = cmp.Or(lim.Memory, 2<<30)
	spec.Root, spec.Argv, spec.Limits = tree, append([]string{"/bin/escape"}, ops...), lim
	res, err := Run(context.Background(), spec)
	if errors.Is(err, ErrUnavailable) {
		if testenv.CI() {
			t.Fatalf("%v; under CI the sandbox must be available", err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(string(res.Stdout), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			lines[k] = v
		}
	}
	return res, lines
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if testenv.CI() {
			t.Fatal("the sandbox tests run as root under CI")
		}
		t.Skip("needs root: the test tree's files belong to the id the sandbox maps root to")
	}
}

// TestWriteStaysInOverlay writes inside the sandbox to a file of the tree
// it may write, to one it may not, and to a host path outside the tree:
// the first lands in the scratch layer only, the others fail or stay
// inside, and the host's tree and paths are unchanged.
func TestWriteStaysInOverlay(t *testing.T) {
	requireRoot(t)
	outside := filepath.Join(t.TempDir(), "escaped")
	before := digest(t, tree)
	res, lines := run(t, Limits{}, "write=/data/owned.txt", "write=/etc/hello", "write=/new/file",
		"write="+outside, "write=/tmp/x", "mount=/tmp", "owner=/tmp/x")
	if res.Exit != 0 {
		t.Fatalf("exit %d: %s", res.Exit, res.Stderr)
	}
	for op, want := range map[string]string{
		"write=/data/owned.txt": "wrote sandbox", // copied up into the overlay
		"write=/new/file":       "wrote sandbox",
		"write=" + outside:      "wrote sandbox", // a path of the sandbox's own
		"write=/tmp/x":          "wrote sandbox",
		"owner=/tmp/x":          "0",
	} {
		if lines[op] != want {
			t.Errorf("%s: %q, want %q", op, lines[op], want)
		}
	}
	// /etc/hello is mode 0666, but its owner is not mapped: the overlay
	// cannot copy it up with its owner.
	if !strings.HasPrefix(lines["write=/etc/hello"], "error") {
		t.Errorf("write=/etc/hello: %q, want an error", lines["write=/etc/hello"])
	}
	if !strings.Contains(lines["mount=/tmp"], "operation not permitted") {
		t.Errorf("mount=/tmp: %q, want EPERM (no capabilities)", lines["mount=/tmp"])
	}
	if after := digest(t, tree); after != before {
		t.Errorf("the tree changed on the host:\nbefore %s\nafter  %s", before, after)
	}
	if _, err := os.Lstat(outside); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s appeared on the host (%v)", outside, err)
	}
}

// TestFilesFollowLinks: Spec.Files and Spec.Dirs under a directory that
// is a link in the tree land in the link's target, beside the tree's own
// files, rather than hiding them.
func TestFilesFollowLinks(t *testing.T) {
	spec := Spec{
		Files: map[string]File{"/etc/conf/key": {Data: []byte("secret"), Mode: 0o600}, "/etc/usr-etc/conf/other": {Data: []byte("x"), Mode: 0o644}},
		Dirs:  []string{"/etc/conf/sub", "/run/made"},
	}
	res, lines := runSpec(t, spec, "ls=/etc/conf", "ls=/usr/etc/conf", "read=/usr/etc/conf/key", "mode=/etc/conf/key", "ls=/run")
	if res.Exit != 0 {
		t.Fatalf("exit %d: %s", res.Exit, res.Stderr)
	}
	for op, want := range map[string]string{
		"ls=/etc/conf":           "key other shipped sub",
		"ls=/usr/etc/conf":       "key other shipped sub",
		"read=/usr/etc/conf/key": "secret",
		"mode=/etc/conf/key":     "-rw-------",
		"ls=/run":                "made",
	} {
		if lines[op] != want {
			t.Errorf("%s: %q, want %q", op, lines[op], want)
		}
	}
}

// TestNetwork: a listener on the host's loopback is not reachable from
// the sandbox's empty network namespace.
func TestNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
			accepted <- struct{}{}
		}
	}()
	op := "connect=" + ln.Addr().String()
	_, lines := run(t, Limits{}, op)
	if !strings.Contains(lines[op], "connection refused") {
		t.Errorf("%s: %q, want the refusal of the sandbox's own loopback", op, lines[op])
	}
	select {
	case <-accepted:
		t.Error("the host's listener accepted a connection from the sandbox")
	case <-time.After(200 * time.Millisecond):
	}
}

// TestNamespaces: the command sees only its own pid namespace (it is pid
// 1, alone), its own hostname, no capabilities, no_new_privs, and a
// setuid file does not change who it is.
func TestNamespaces(t *testing.T) {
	res, lines := run(t, Limits{}, "pids", "hostname", "status=NoNewPrivs", "status=CapEff", "status=CapBnd",
		"status=Uid", "uidmap", "exec=/bin/escape-suid")
	if res.Exit != 0 {
		t.Fatalf("exit %d: %s", res.Exit, res.Stderr)
	}
	want := map[string]string{
		"pids":                  "1",
		"hostname":              "sandbox",
		"status=NoNewPrivs":     "1",
		"status=CapEff":         "0000000000000000",
		"status=CapBnd":         "0000000000000000",
		"status=Uid":            "0 0 0 0",
		"exec=/bin/escape-suid": "status=Uid: 0 0 0 0",
	}
	if os.Geteuid() == 0 {
		want["uidmap"] = "0 " + strconv.Itoa(hostID) + " 1"
	} else {
		want["uidmap"] = "0 " + strconv.Itoa(os.Geteuid()) + " 1"
	}
	for op, w := range want {
		if lines[op] != w {
			t.Errorf("%s: %q, want %q", op, lines[op], w)
		}
	}
}

// TestTimeLimit: a command that sleeps is killed at the limit.
func TestTimeLimit(t *testing.T) {
	start := time.Now()
	res, _ := run(t, Limits{Time: 2 * time.Second}, "sleep")
	if res.Killed != KilledTime || res.Exit != 128+9 {
		t.Errorf("killed %q, exit %d; want %q and 137", res.Killed, res.Exit, KilledTime)
	}
	if took := time.Since(start); took > time.Minute {
		t.Errorf("took %s to end at a 2 s limit", took)
	}
}

// TestMemoryLimit: an allocation beyond RLIMIT_AS fails, one within it
// does not. The limit is above the 1.2 GiB any Go program maps at start.
func TestMemoryLimit(t *testing.T) {
	lim := Limits{Memory: 2 << 30}
	res, lines := run(t, lim, "alloc=67108864")
	if res.Exit != 0 || lines["alloc=67108864"] != "allocated 67108864" {
		t.Fatalf("64 MiB under a 2 GiB limit: exit %d, %q: %s", res.Exit, lines["alloc=67108864"], res.Stderr)
	}
	res, lines = run(t, lim, "alloc=4294967296")
	if res.Exit == 0 || lines["alloc=4294967296"] != "" || !strings.Contains(string(res.Stderr), "out of memory") {
		t.Errorf("4 GiB under a 2 GiB limit: exit %d, %q, stderr %.200s; want Go's out of memory", res.Exit, lines["alloc=4294967296"], res.Stderr)
	}
}

// TestOutputLimit: 100 MB on stdout keeps the first Output bytes and no
// more memory than that.
func TestOutputLimit(t *testing.T) {
	const limit = 1 << 20
	res, _ := run(t, Limits{Output: limit}, "spew=100000000")
	if res.Exit != 0 || !res.Truncated || len(res.Stdout) != limit {
		t.Errorf("exit %d, truncated %v, %d bytes kept; want 0, true, %d", res.Exit, res.Truncated, len(res.Stdout), limit)
	}
	if cap(res.Stdout) > 2*limit {
		t.Errorf("the output buffer grew to %d bytes for a %d limit", cap(res.Stdout), limit)
	}
}

// TestProcessLimit: a fork bomb stops at RLIMIT_NPROC and the sandbox ends
// with its init, children and all, without waiting for the time limit.
func TestProcessLimit(t *testing.T) {
	requireRoot(t) // RLIMIT_NPROC counts every process of the caller's own id otherwise
	res, lines := run(t, Limits{Processes: 40, Time: time.Minute}, "fork=1000")
	got := lines["fork=1000"]
	var made int
	if _, err := fmt.Sscanf(got, "made %d", &made); err != nil || !strings.Contains(got, "resource temporarily unavailable") {
		t.Fatalf("fork=1000: %q, want EAGAIN after some children (exit %d: %s)", got, res.Exit, res.Stderr)
	}
	if made >= 40 || made < 10 {
		t.Errorf("made %d children under a limit of 40 tasks", made)
	}
	if res.Killed != "" {
		t.Errorf("killed at the %s: the children should die with pid 1", res.Killed)
	}
}

// TestUnavailableCommand: a command missing from the tree is ErrNoCommand.
func TestUnavailableCommand(t *testing.T) {
	_, err := Run(context.Background(), Spec{Root: tree, Argv: []string{"/bin/missing"}})
	if errors.Is(err, ErrUnavailable) {
		if testenv.CI() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if !errors.Is(err, ErrNoCommand) || !strings.Contains(err.Error(), "/bin/missing") {
		t.Errorf("err = %v, want ErrNoCommand naming /bin/missing", err)
	}
}

// digest lists every path under root with its mode, owner, size and
// content.
func digest(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d %v;", p, info.Mode(), info.Size(), info.ModTime())
		if info.Mode().IsRegular() && info.Size() < 1<<20 {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "%q;", data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

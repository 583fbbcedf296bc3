// Package oracle runs the real version comparators (dpkg, apt, rpm,
// libalpm) in batches, for the differential tests of the version packages,
// and builds the pairs those tests compare: from the corpus of real Debian
// archive versions in version/testdata, and from a seeded grammar.
//
// Each oracle runs as one process for a whole batch: python3-apt's
// apt_pkg.version_compare and libalpm's alpm_pkg_vercmp (through ctypes)
// from one /usr/bin/python3, rpm.vercmp and rpm.ver from one `rpm --eval`
// Lua loop. The command-line tools (`dpkg --compare-versions`, `vercmp`)
// cost a process per pair and are used on samples. scripts/oracles.sh
// installs them all; Require skips a test when one is missing, or fails it
// under CI, where the test task has installed them.
package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/testenv"
)

// Pair is two versions to compare.
type Pair struct{ A, B string }

// Require skips t when err says an oracle is missing, or fails it under CI,
// which installs the oracles (testenv.Missing: the project's one rule).
func Require(t testing.TB, need testenv.Need, err error) {
	t.Helper()
	if err != nil {
		testenv.Missing(t, need, err)
	}
}

// Check compares got (the Go implementation's results) with want (the
// oracle's) pair by pair, logs the counts, and fails t on any disagreement,
// listing the first few.
func Check(t testing.TB, oracle string, pairs []Pair, got, want []int) {
	t.Helper()
	if len(got) != len(pairs) || len(want) != len(pairs) {
		t.Fatalf("%s: %d pairs but %d results and %d oracle answers", oracle, len(pairs), len(got), len(want))
	}
	bad := 0
	for i, p := range pairs {
		if got[i] != want[i] {
			bad++
			if bad <= 20 {
				t.Errorf("%s: compare(%q, %q) = %d, the oracle says %d", oracle, p.A, p.B, got[i], want[i])
			}
		}
	}
	t.Logf("%s: %d pairs compared, %d disagreements", oracle, len(pairs), bad)
	if bad > 20 {
		t.Errorf("%s: %d more disagreements not listed", oracle, bad-20)
	}
}

// ---------------------------------------------------------------- dpkg

const python = "/usr/bin/python3"

// AptAvailable tells whether python3-apt can be imported by the system
// Python (not a pyenv or venv one earlier in PATH, which lacks it).
func AptAvailable() error {
	return run(nil, python, "-c", "import apt_pkg")
}

// aptScript reads pairs as two lines each and prints the sign of
// apt_pkg.version_compare, one per line.
const aptScript = `
import sys, apt_pkg
apt_pkg.init_system()
lines = sys.stdin.read().split("\n")
out = []
for i in range(0, len(lines) - 1, 2):
    r = apt_pkg.version_compare(lines[i], lines[i + 1])
    out.append("1" if r > 0 else "-1" if r < 0 else "0")
sys.stdout.write("\n".join(out) + "\n")
`

// Apt compares every pair with apt_pkg.version_compare, apt's own copy of
// dpkg's algorithm, in one process. Versions must be printable ASCII.
func Apt(pairs []Pair) ([]int, error) {
	return pyBatch(aptScript, pairs)
}

// DpkgAvailable tells whether dpkg is there (it always is on Debian).
func DpkgAvailable() error {
	_, err := exec.LookPath("dpkg")
	return err
}

// DpkgCompare runs `dpkg --compare-versions` (up to twice) and returns the
// order, or invalid=true when dpkg exits 2 (a hard syntax error), and
// whether dpkg printed a warning. Versions starting with '-' would be read
// as options and are refused.
func DpkgCompare(a, b string) (order int, invalid, warned bool, err error) {
	if strings.HasPrefix(a, "-") || strings.HasPrefix(b, "-") {
		return 0, false, false, fmt.Errorf("oracle: dpkg would read %q or %q as an option", a, b)
	}
	for _, rel := range []struct {
		op    string
		order int
	}{{"lt", -1}, {"eq", 0}} {
		cmd := exec.Command("dpkg", "--compare-versions", a, rel.op, b)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		err := cmd.Run()
		warned = warned || strings.Contains(stderr.String(), "warning:")
		var ee *exec.ExitError
		switch {
		case err == nil:
			return rel.order, false, warned, nil
		case errors.As(err, &ee) && ee.ExitCode() == 1:
			continue
		case errors.As(err, &ee) && ee.ExitCode() == 2:
			return 0, true, warned, nil
		default:
			return 0, false, warned, fmt.Errorf("oracle: dpkg --compare-versions %q %s %q: %v: %s", a, rel.op, b, err, stderr.String())
		}
	}
	return 1, false, warned, nil
}

// ---------------------------------------------------------------- rpm

// RPMAvailable tells whether rpm is there with its Lua interpreter.
func RPMAvailable() error {
	out, err := exec.Command("rpm", "--eval", `%{lua: print(rpm.vercmp("1", "2"))}`).Output()
	if err != nil {
		return fmt.Errorf("rpm --eval: %w", err)
	}
	if strings.TrimSpace(string(out)) != "-1" {
		return fmt.Errorf("rpm --eval rpm.vercmp printed %q", out)
	}
	return nil
}

// rpmLua reads the pairs file (two lines a pair) and writes a line per
// pair with three orders: rpmvercmp(a, b), reached through rpm.ver objects
// made of the bare version (rpm.ver("0", a, nil): same epoch, no release,
// so rpmverCmp comes down to rpmvercmp on a and b); rpm.vercmp(a, b), which
// in rpm 4.16+ parses both sides as [E:]V[-R] and compares with rpmverCmp;
// and the order of rpm.ver(a) and rpm.ver(b), the same through objects.
// "x" stands for a refusal: rpm has no object for an empty version.
const rpmLua = `%%{lua:
local function order(x, y)
  if x < y then return -1 elseif x == y then return 0 else return 1 end
end
local lines = {}
for l in io.lines("%s") do lines[#lines + 1] = l end
for i = 1, #lines - 1, 2 do
  local a, b = lines[i], lines[i + 1]
  local plain, evr, obj = "x", "x", "x"
  if a ~= "" and b ~= "" then
    plain = order(rpm.ver("0", a, nil), rpm.ver("0", b, nil))
    obj = order(rpm.ver(a), rpm.ver(b))
  end
  local ok, c = pcall(rpm.vercmp, a, b)
  if ok then
    if c > 0 then evr = 1 elseif c < 0 then evr = -1 else evr = 0 end
  end
  io.write(plain, " ", evr, " ", obj, "\n")
end
}`

// Refused is the oracle's answer when rpm refuses a side (the empty
// version); the tests map their own errors to it.
const Refused = 2

// RPM compares every pair in one rpm process three ways: plain is
// rpmvercmp, evr is rpm.vercmp and obj the order of rpm.ver objects (both
// rpmverCmp on [E:]V[-R]). An answer is Refused when rpm refuses a side.
// Versions must not contain a newline.
func RPM(dir string, pairs []Pair) (plain, evr, obj []int, err error) {
	path := filepath.Join(dir, "rpm-pairs.txt")
	if err := os.WriteFile(path, pairLines(pairs), 0o644); err != nil {
		return nil, nil, nil, err
	}
	if strings.ContainsAny(path, `"\%`) {
		return nil, nil, nil, fmt.Errorf("oracle: temp path %q cannot go into a Lua string", path)
	}
	cmd := exec.Command("rpm", "--eval", fmt.Sprintf(rpmLua, path))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("oracle: rpm --eval: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(string(out), "\n")
	if len(lines) < len(pairs) {
		return nil, nil, nil, fmt.Errorf("oracle: rpm answered %d lines for %d pairs", len(lines), len(pairs))
	}
	for i := range pairs {
		f := strings.Fields(lines[i])
		if len(f) != 3 {
			return nil, nil, nil, fmt.Errorf("oracle: rpm line %d: %q", i+1, lines[i])
		}
		var r [3]int
		for k := range f {
			r[k] = Refused
			if f[k] != "x" {
				if r[k], err = strconv.Atoi(f[k]); err != nil {
					return nil, nil, nil, fmt.Errorf("oracle: rpm line %d: %q", i+1, lines[i])
				}
			}
		}
		plain, evr, obj = append(plain, r[0]), append(evr, r[1]), append(obj, r[2])
	}
	return plain, evr, obj, nil
}

// librpmioScript calls rpmvercmp in rpm's own librpmio through ctypes.
const librpmioScript = `
import sys, ctypes
f = ctypes.CDLL("librpmio.so.9").rpmvercmp
f.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
f.restype = ctypes.c_int
lines = sys.stdin.buffer.read().split(b"\n")
out = []
for i in range(0, len(lines) - 1, 2):
    r = f(lines[i], lines[i + 1])
    out.append("1" if r > 0 else "-1" if r < 0 else "0")
sys.stdout.write("\n".join(out) + "\n")
`

// Librpmio compares every pair with rpmvercmp from rpm's librpmio,
// through ctypes in one process: unlike the Lua route it takes empty
// versions. Versions must not contain a newline or NUL.
func Librpmio(pairs []Pair) ([]int, error) {
	return pyBatch(librpmioScript, pairs)
}

// ---------------------------------------------------------------- pacman

const (
	libalpm = "libalpm.so.13"
	vercmp  = "/usr/bin/vercmp"
)

// AlpmAvailable tells whether libalpm (pacman 6's) and /usr/bin/vercmp are
// there.
func AlpmAvailable() error {
	if _, err := os.Stat(vercmp); err != nil {
		return err
	}
	return run(nil, python, "-c", "import ctypes; ctypes.CDLL('"+libalpm+"').alpm_pkg_vercmp")
}

// alpmScript calls libalpm's alpm_pkg_vercmp through ctypes on raw bytes.
const alpmScript = `
import sys, ctypes
f = ctypes.CDLL("` + libalpm + `").alpm_pkg_vercmp
f.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
f.restype = ctypes.c_int
lines = sys.stdin.buffer.read().split(b"\n")
out = []
for i in range(0, len(lines) - 1, 2):
    r = f(lines[i], lines[i + 1])
    out.append("1" if r > 0 else "-1" if r < 0 else "0")
sys.stdout.write("\n".join(out) + "\n")
`

// Alpm compares every pair with libalpm's alpm_pkg_vercmp, the function
// pacman and vercmp use, in one process. Versions must not contain a
// newline or NUL.
func Alpm(pairs []Pair) ([]int, error) {
	return pyBatch(alpmScript, pairs)
}

// vercmpLoop runs /usr/bin/vercmp once per pair from one shell.
const vercmpLoop = `while IFS= read -r a && IFS= read -r b; do ` + vercmp + ` "$a" "$b" || exit 1; done`

// Vercmp compares every pair with /usr/bin/vercmp, a process per pair
// (about 2 ms each): use it on a sample. A first version of "-h" or
// "--help" would print the usage and is refused.
func Vercmp(pairs []Pair) ([]int, error) {
	for _, p := range pairs {
		if p.A == "-h" || p.A == "--help" {
			return nil, fmt.Errorf("oracle: vercmp would read %q as an option", p.A)
		}
	}
	var out bytes.Buffer
	if err := run2(pairLines(pairs), &out, "bash", "-c", vercmpLoop); err != nil {
		return nil, err
	}
	return parseInts("vercmp", out.String(), len(pairs))
}

// ---------------------------------------------------------------- plumbing

func pyBatch(script string, pairs []Pair) ([]int, error) {
	var out bytes.Buffer
	if err := run2(pairLines(pairs), &out, python, "-c", script); err != nil {
		return nil, err
	}
	return parseInts("python3", out.String(), len(pairs))
}

func pairLines(pairs []Pair) []byte {
	var b bytes.Buffer
	for _, p := range pairs {
		b.WriteString(p.A)
		b.WriteByte('\n')
		b.WriteString(p.B)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func parseInts(who, out string, n int) ([]int, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if n == 0 {
		return nil, nil
	}
	if len(lines) != n {
		return nil, fmt.Errorf("oracle: %s answered %d lines for %d pairs", who, len(lines), n)
	}
	res := make([]int, n)
	for i, l := range lines {
		v, err := strconv.Atoi(strings.TrimSpace(l))
		if err != nil {
			return nil, fmt.Errorf("oracle: %s line %d: %q", who, i+1, l)
		}
		res[i] = min(max(v, -1), 1)
	}
	return res, nil
}

func run(stdin []byte, name string, args ...string) error {
	return run2(stdin, nil, name, args...)
}

func run2(stdin []byte, stdout *bytes.Buffer, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	if stdout != nil {
		cmd.Stdout = stdout
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("oracle: %s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

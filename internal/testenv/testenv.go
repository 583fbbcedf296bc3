// Package testenv is the one rule for tests that need something from
// outside the Go toolchain: the real servers `go tool task test` starts
// (Temporal dev server, MinIO, Ceph RGW), programs the test task installs
// (DuckDB, Chromium, the version oracles, gpgv) and real data (the
// machine's apt mirror and apt lists).
//
// Require(t, need) returns what the test needs, or, when it is missing,
// skips the test with the reason and how to get it — except under CI (the
// CI environment variable set to anything but "false" or "0"), where a
// missing need fails the test: the test task installs and starts all of
// them, so a missing one there is a broken setup, never a reason to test
// less. Every skip goes through here, so the test task can list them.
//
// The servers are started once for the whole `go test ./...` run by
// scripts/stack.sh, which exports their addresses and generated credentials
// as DISTROSCOPE_TEST_* variables.
package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distroscope/distroscope/ecosystem/deb/aptsources"
)

// A Need is one external thing a test can require.
type Need string

const (
	TemporalServer Need = "temporal"    // the Temporal dev server: host:port
	MinIOServer    Need = "minio"       // MinIO: host:port (see MinIO)
	RGWServer      Need = "rgw"         // Ceph RGW: host:port (see RGW)
	DuckDBQuery    Need = "duckdb"      // a Node script running one SQL query in DuckDB
	Chromium       Need = "chromium"    // a headless-capable Chromium: its path
	PythonApt      Need = "python3-apt" // python3 with apt_pkg: the python path
	Dpkg           Need = "dpkg"        // dpkg --compare-versions: its path
	RPM            Need = "rpm"         // rpm with its Lua (rpm.vercmp): its path
	Vercmp         Need = "vercmp"      // pacman's vercmp (makepkg) and libalpm: its path
	Gpgv           Need = "gpgv"        // gpgv, the verifier apt runs: its path
	AptMirror      Need = "apt-mirror"  // the first deb mirror of the apt sources, answering: its URI
	AptLists       Need = "apt-lists"   // apt's bookworm main/amd64 list: its path
	DebianKeys     Need = "debian-keyring"

	// Tools the installed-package tests build real databases and trees with.
	Rpmbuild    Need = "rpmbuild"    // rpmbuild: its path
	Pacman      Need = "pacman"      // pacman (pacman -U --root, -Q, -Qkk): its path
	Makepkg     Need = "makepkg"     // makepkg (run as an unprivileged user): its path
	DBLoad      Need = "db5.3_load"  // Berkeley DB's db_load, to build rpm's bdb databases: its path
	Debootstrap Need = "debootstrap" // debootstrap, to build real Debian root filesystems: its path
	Fakeroot    Need = "fakeroot"    // fakeroot, which makepkg needs: its path

	// The real programs the configuration parsers are checked against.
	Sshd      Need = "sshd"      // OpenSSH's sshd (sshd -T), as root: its path
	Visudo    Need = "visudo"    // sudo's visudo -c: its path
	Useradd   Need = "useradd"   // shadow's useradd -D, as root: its path
	Systemctl Need = "systemctl" // systemctl --root (offline): its path
)

// how says how to get each need, for the skip message.
var how = map[Need]string{
	TemporalServer: "run the tests with `go tool task test`, which starts it",
	MinIOServer:    "run the tests with `go tool task test`, which starts it",
	RGWServer:      "run the tests with `go tool task test`, which starts it",
	DuckDBQuery:    "run the tests with `go tool task test`, which installs it from npm",
	Chromium:       "apt-get install chromium (`go tool task test` does)",
	PythonApt:      "scripts/oracles.sh install (`go tool task test` does)",
	Dpkg:           "scripts/oracles.sh install (`go tool task test` does)",
	RPM:            "scripts/oracles.sh install (`go tool task test` does)",
	Vercmp:         "scripts/oracles.sh install (`go tool task test` does)",
	Gpgv:           "apt-get install gpgv",
	AptMirror:      "configure a deb source in /etc/apt/sources.list{,.d} whose mirror answers",
	AptLists:       "apt-get update on a Debian bookworm machine",
	DebianKeys:     "apt-get install debian-archive-keyring",
	Rpmbuild:       "apt-get install rpm (`go tool task test` does)",
	Pacman:         "apt-get install pacman-package-manager (`go tool task test` does)",
	Makepkg:        "apt-get install makepkg (`go tool task test` does)",
	DBLoad:         "apt-get install db5.3-util (`go tool task test` does)",
	Debootstrap:    "apt-get install debootstrap (`go tool task test` does)",
	Fakeroot:       "apt-get install fakeroot (`go tool task test` does)",
	Sshd:           "apt-get install openssh-server and run as root (`go tool task test` does)",
	Visudo:         "apt-get install sudo (`go tool task test` does)",
	Useradd:        "apt-get install passwd and run as root (`go tool task test` does)",
	Systemctl:      "apt-get install systemd (`go tool task test` does)",
}

// CI reports whether the tests run under CI, where missing needs fail.
func CI() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("CI")))
	return v != "" && v != "false" && v != "0"
}

// Require returns what need is (an address, a path, a URI), or skips t
// saying why and how to get it — or fails t under CI.
func Require(t testing.TB, need Need) string {
	t.Helper()
	v, err := lookup(need)
	if err == nil {
		return v
	}
	Missing(t, need, err)
	return ""
}

// Missing ends t for a need found missing in a way Require cannot check
// (an oracle that fails to start, say): it skips with the reason, or fails
// under CI.
func Missing(t testing.TB, need Need, err error) {
	t.Helper()
	msg := fmt.Sprintf("testenv: %s not available: %v (%s)", need, err, how[need])
	if CI() {
		t.Fatal(msg + "; under CI every need must be there")
	}
	t.Skip(msg)
}

// S3 describes an S3-compatible endpoint and the credentials for it.
type S3 struct {
	Endpoint  string // host:port, plain HTTP on 127.0.0.1
	AccessKey string
	SecretKey string
	Region    string
}

// S3Of returns the endpoint and credentials of MinIOServer or RGWServer,
// or skips (fails under CI) as Require does.
func S3Of(t testing.TB, need Need) S3 {
	t.Helper()
	endpoint := Require(t, need)
	prefix, region := "DISTROSCOPE_TEST_MINIO_", "us-east-1"
	if need == RGWServer {
		prefix, region = "DISTROSCOPE_TEST_RGW_", "default"
	} else if need != MinIOServer {
		t.Fatalf("testenv: %s is not an S3 server", need)
	}
	ak, sk := os.Getenv(prefix+"ACCESS_KEY"), os.Getenv(prefix+"SECRET_KEY")
	if ak == "" || sk == "" {
		Missing(t, need, fmt.Errorf("%sACCESS_KEY or %sSECRET_KEY is unset", prefix, prefix))
	}
	return S3{Endpoint: endpoint, AccessKey: ak, SecretKey: sk, Region: region}
}

// Temporal returns the host:port of the Temporal dev server frontend.
func Temporal(t testing.TB) string { t.Helper(); return Require(t, TemporalServer) }

// MinIO returns the MinIO server started for the tests.
func MinIO(t testing.TB) S3 { t.Helper(); return S3Of(t, MinIOServer) }

// RGW returns the single-node Ceph RADOS Gateway started for the tests.
func RGW(t testing.TB) S3 { t.Helper(); return S3Of(t, RGWServer) }

// DuckDB returns the path of a Node script that runs one SQL query in DuckDB
// and prints the rows as JSON (scripts/duckdb/query.mjs, with DuckDB
// installed from the npm registry next to it).
func DuckDB(t testing.TB) string { t.Helper(); return Require(t, DuckDBQuery) }

var (
	cacheMu sync.Mutex
	cache   = map[Need]result{}
)

type result struct {
	v   string
	err error
}

// lookup finds a need once per test binary.
func lookup(need Need) (string, error) {
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if r, ok := cache[need]; ok {
		return r.v, r.err
	}
	v, err := find(need)
	cache[need] = result{v, err}
	return v, err
}

func find(need Need) (string, error) {
	switch need {
	case TemporalServer:
		return env("DISTROSCOPE_TEST_TEMPORAL_ADDRESS")
	case MinIOServer:
		return env("DISTROSCOPE_TEST_MINIO_ENDPOINT")
	case RGWServer:
		return env("DISTROSCOPE_TEST_RGW_ENDPOINT")
	case DuckDBQuery:
		p, err := env("DISTROSCOPE_TEST_DUCKDB")
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(p); err != nil {
			return "", err
		}
		return p, nil
	case Chromium:
		return program("chromium", "chromium-browser", "google-chrome")
	case PythonApt:
		if err := exec.Command("/usr/bin/python3", "-c", "import apt_pkg").Run(); err != nil {
			return "", fmt.Errorf("/usr/bin/python3 -c 'import apt_pkg': %v", err)
		}
		return "/usr/bin/python3", nil
	case Dpkg:
		return program("dpkg")
	case RPM:
		return program("rpm")
	case Vercmp:
		return program("vercmp")
	case Gpgv:
		return program("gpgv")
	case AptLists:
		matches, _ := filepath.Glob("/var/lib/apt/lists/*bookworm_main_binary-amd64_Packages.lz4")
		if len(matches) == 0 {
			return "", errors.New("no /var/lib/apt/lists/*bookworm_main_binary-amd64_Packages.lz4")
		}
		return matches[0], nil
	case DebianKeys:
		const p = "/usr/share/keyrings/debian-archive-keyring.gpg"
		if _, err := os.Stat(p); err != nil {
			return "", err
		}
		return p, nil
	case AptMirror:
		return aptMirror()
	case Rpmbuild, Pacman, Makepkg, Debootstrap, Fakeroot, Visudo, Systemctl:
		return program(string(need))
	case Sshd, Useradd:
		p, err := program(string(need), "/usr/sbin/"+string(need))
		if err == nil && os.Geteuid() != 0 {
			err = fmt.Errorf("%s needs root here (uid %d)", need, os.Geteuid())
		}
		return p, err
	case DBLoad:
		return program("db5.3_load", "db_load")
	}
	return "", fmt.Errorf("unknown need %q", need)
}

func env(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%s is unset", name)
}

func program(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not on PATH", strings.Join(names, ", "))
}

// aptMirror is the first URI of the first deb entry of the machine's apt
// sources, when it answers: the mirror comes from the apt sources, never
// from a host name in code.
func aptMirror() (string, error) {
	entries, _ := aptsources.Load("/")
	for _, e := range entries {
		if !slices.Contains(e.Types, "deb") || len(e.URIs) == 0 {
			continue
		}
		uri := e.URIs[0]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodHead, strings.TrimRight(uri, "/")+"/dists/", nil)
		if err != nil {
			return "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", fmt.Errorf("apt mirror %s: %v", uri, err)
		}
		resp.Body.Close()
		return uri, nil
	}
	return "", errors.New("no deb entry in /etc/apt/sources.list{,.d}")
}

package probe

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/distroscope/distroscope/analysis/settings"
	"github.com/distroscope/distroscope/internal/sandbox"
)

// Value is one line of a program's dump of its effective configuration:
// sshd -T's "key value", the key lowercased as sshd prints it. A
// multi-valued key (port, listenaddress, hostkey, acceptenv, subsystem,
// ...) has one Value per line, in the program's order.
type Value struct {
	Key, Value string
}

// ErrNoSshd is returned, wrapped, when the image has no sshd to probe.
var ErrNoSshd = errors.New("probe: no sshd in the image")

// sshdPaths are where distributions install sshd: Debian and Alpine in
// /usr/sbin, Arch in /usr/bin, older trees in /sbin (merged /usr makes
// them links to one another, which the sandbox follows inside the root).
var sshdPaths = []string{"/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd"}

// sshdDefaultHostKeys are the keys sshd loads when sshd_config names none
// (servconf.c's fill_default_server_options of OpenSSH 9).
var sshdDefaultHostKeys = []string{"/etc/ssh/ssh_host_rsa_key", "/etc/ssh/ssh_host_ecdsa_key", "/etc/ssh/ssh_host_ed25519_key"}

// sshdPrivsepDirs are the privilege separation directories sshd -T wants
// to exist, owned by root and not group- or world-writable: Debian's
// /run/sshd (a tmpfs at boot, so never in an image), Arch's /var/empty and
// Fedora's /usr/share/empty.sshd. The image's own are owned by an id the
// sandbox does not map, so all three are made in the scratch layer, where
// the sandbox's root owns them; the ones an image's sshd does not use are
// empty directories thrown away with the sandbox.
var sshdPrivsepDirs = []string{"/run/sshd", "/var/empty", "/usr/share/empty.sshd"}

// Sshd runs the image's own `sshd -T` in a sandbox (internal/sandbox) on
// the root filesystem at root and returns the effective settings it
// prints. sshd -T refuses to run without a host key it can load and
// without its privilege separation directory, and the image's keys (if it
// ships any) are unreadable inside the sandbox, so Sshd writes throwaway
// keys at the paths sshd_config's unconditional HostKey lines name (or
// sshd's defaults) into the scratch layer: the image is never written,
// and the keys are thrown away with the sandbox. The settings it prints
// do not depend on the keys' content, only on their paths.
//
// Match blocks are not evaluated: plain -T prints the settings of a
// connection no Match applies to. An error wrapping sandbox.ErrUnavailable
// means the host cannot confine the command, and the probe must be
// skipped; ErrNoSshd means the image has no sshd.
func Sshd(ctx context.Context, root string, lim sandbox.Limits) ([]Value, error) {
	files, err := sshdHostKeys(root)
	if err != nil {
		return nil, err
	}
	for _, bin := range sshdPaths {
		res, err := sandbox.Run(ctx, sandbox.Spec{
			Root:   root,
			Argv:   []string{bin, "-T"},
			Env:    []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"},
			Files:  files,
			Dirs:   sshdPrivsepDirs,
			Limits: lim,
		})
		if errors.Is(err, sandbox.ErrNoCommand) {
			continue // not there (looked up inside the sandbox, links and all): try the next place
		}
		if err != nil {
			return nil, fmt.Errorf("probe: sshd -T: %w", err)
		}
		switch {
		case res.Killed != "":
			return nil, fmt.Errorf("probe: %s -T killed at the %s: %s", bin, res.Killed, tail(res.Stderr))
		case res.Exit != 0:
			return nil, fmt.Errorf("probe: %s -T exited %d: %s", bin, res.Exit, tail(res.Stderr))
		case res.Truncated:
			return nil, fmt.Errorf("probe: %s -T printed more than %d bytes", bin, cmp.Or(lim.Output, sandbox.DefaultLimits.Output))
		}
		return ParseSshdT(res.Stdout), nil
	}
	return nil, fmt.Errorf("%w: none of %s under %s", ErrNoSshd, strings.Join(sshdPaths, ", "), root)
}

// ParseSshdT reads sshd -T's output: one "key value" per line, the value
// everything after the first space.
func ParseSshdT(out []byte) []Value {
	var vals []Value
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		vals = append(vals, Value{Key: strings.ToLower(k), Value: v})
	}
	return vals
}

// sshdHostKeys makes a throwaway key for every host key path sshd will
// try to load: the unconditional HostKey lines of the image's
// configuration as the static reader finds them, else sshd's defaults.
// Each key's type follows its file name (rsa, ecdsa, else ed25519), as
// ssh-keygen -A names them; sshd loads whatever type a file holds.
func sshdHostKeys(root string) (map[string]sandbox.File, error) {
	var paths []string
	// A configuration the static reader refuses is left to sshd to
	// refuse, in its own words: the default keys are enough to get there.
	if rows, err := settings.Sshd(os.DirFS(root)); err == nil {
		for _, r := range rows {
			if r.Key == "hostkey" && r.Condition == "" && path.IsAbs(r.Value) {
				paths = append(paths, path.Clean(r.Value))
			}
		}
	}
	if len(paths) == 0 {
		paths = sshdDefaultHostKeys
	}
	files := map[string]sandbox.File{}
	for _, p := range paths {
		key, err := newHostKey(path.Base(p))
		if err != nil {
			return nil, fmt.Errorf("probe: host key for %s: %w", p, err)
		}
		files[p] = sandbox.File{Data: key, Mode: 0o600}
	}
	return files, nil
}

func newHostKey(name string) ([]byte, error) {
	var key any
	var err error
	switch {
	case strings.Contains(name, "ecdsa"):
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case strings.Contains(name, "rsa"):
		// 2048 bits: the smallest sshd accepts, and quick to make.
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		_, key, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(key, "distroscope probe")
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(block), nil
}

// tail is the last lines of a command's stderr, for an error message.
func tail(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.Join(lines, "; ")
}

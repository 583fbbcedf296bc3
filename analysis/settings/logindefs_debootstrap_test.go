package settings

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/distroscope/distroscope/internal/rootfstest"
)

// TestDebootstrapAccountSettings reads real Debian minbase trees with the
// account and authentication parsers: useradd's rows must equal what the
// tree's own `useradd -D` prints in a chroot (bookworm's builtin table
// covers every key its useradd prints; trixie's newer useradd prints two
// more, GROUPS and USRSKEL, which the table does not fill in), and the
// files minbase ships must come out with their real places.
func TestDebootstrapAccountSettings(t *testing.T) {
	for _, suite := range rootfstest.Suites {
		t.Run(suite, func(t *testing.T) {
			root := rootfstest.Debootstrap(t, suite)
			fsys := os.DirFS(root)

			oracle := map[string]string{}
			sc := bufio.NewScanner(bytes.NewReader(rootfstest.Chroot(t, root, "useradd", "-D")))
			for sc.Scan() {
				k, v, _ := strings.Cut(sc.Text(), "=")
				oracle[k] = v
			}
			rows, err := LoginDefs(fsys)
			if err != nil {
				t.Fatal(err)
			}
			useradd := 0
			for _, r := range rows {
				if r.Program != "useradd" {
					continue
				}
				useradd++
				if v, ok := oracle[r.Key]; !ok || v != r.Value {
					t.Errorf("useradd %s: ours %q, useradd -D %q (printed: %v)", r.Key, r.Value, v, ok)
				}
			}
			if want := len(oracle) - map[string]int{"trixie": 2}[suite]; useradd != want {
				t.Errorf("%d useradd rows, want %d (useradd -D: %v)", useradd, want, oracle)
			}
			if !slices.ContainsFunc(rows, func(r Setting) bool {
				return r.Program == "login.defs" && r.Key == "ENCRYPT_METHOD" && r.File == "/etc/login.defs" && r.Line > 0
			}) {
				t.Errorf("no ENCRYPT_METHOD from /etc/login.defs in %+v", rows)
			}

			nss, err := NSSwitch(fsys)
			if err != nil || len(nss) != 11 || nss[slices.IndexFunc(nss, func(r Setting) bool { return r.Key == "hosts" })].Value != "files dns" {
				t.Errorf("NSSwitch = %+v, %v; want 11 databases, hosts: files dns", nss, err)
			}
			pam, err := PAM(fsys)
			if err != nil {
				t.Fatal(err)
			}
			if i := slices.IndexFunc(pam, func(r Setting) bool { return r.Key == "login.auth" }); i < 0 || pam[i].Value != "optional pam_faildelay.so delay=3000000" || pam[i].File != "/etc/pam.d/login" {
				t.Errorf("login's auth stack does not start with pam_faildelay: %+v", pam)
			}
			// The trees have openssh-server (its Debian sshd_config sets
			// UsePAM yes) but no sudo; limits.conf is all comments, and
			// what limits.d holds (trixie's systemd coredump file) is read
			// at its lines.
			if rows, err := Sudoers(fsys); err != nil || len(rows) != 0 {
				t.Errorf("Sudoers of minbase = %+v, %v; want none", rows, err)
			}
			sshd, err := Sshd(fsys)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(sshd, func(r Setting) bool { return r.Key == "usepam" })
			if i < 0 || sshd[i].Value != "yes" || sshd[i].File != "/etc/ssh/sshd_config" || sshd[i].Builtin {
				t.Errorf("sshd usepam: %+v", sshd)
			} else {
				checkLine(t, root, sshd[i], "UsePAM")
			}
			limits, err := Limits(fsys)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range limits {
				checkLine(t, root, r, "core")
			}
		})
	}
}

package image

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/ecosystem/installed"
	"github.com/distroscope/distroscope/internal/imagefs"
)

// TestCompare checks the shared comparison on what each ecosystem records:
// only what a database records is compared.
func TestCompare(t *testing.T) {
	when := time.Unix(1_700_000_000, 0)
	md5 := installed.Digest{Algo: installed.MD5, Hex: "d41d8cd98f00b204e9800998ecf8427e"}
	file := func(body string) Actual {
		return Actual{Exists: true, Type: installed.TypeRegular, Mode: 0o644, Size: int64(len(body)), MTime: when,
			Digest: func(a installed.Algo) (string, error) {
				if a != installed.MD5 {
					return "", errors.New("unexpected algorithm " + string(a))
				}
				if body == "" {
					return md5.Hex, nil
				}
				return "0123456789abcdef0123456789abcdef", nil
			}}
	}
	acc := Accounts{Users: map[string]int{"root": 0, "daemon": 1}, Groups: map[string]int{"root": 0, "adm": 4}}
	rpmRec := installed.File{Path: "/etc/x", Type: installed.TypeRegular, Digest: md5, HasMode: true, Mode: 0o644,
		HasOwner: true, User: "root", Group: "root", HasSize: true, Size: 0, HasMTime: true, MTime: when}
	with := func(f func(*installed.File)) installed.File { r := rpmRec; f(&r); return r }
	actual := func(f func(*Actual)) Actual { a := file(""); f(&a); return a }
	for _, tc := range []struct {
		name    string
		rec     installed.File
		actual  Actual
		state   string
		changes []string
	}{
		{"dpkg conffile unchanged", installed.File{Path: "/etc/x", Digest: md5, Config: true}, file(""), datasets.StateUnchanged, nil},
		{"dpkg conffile edited", installed.File{Path: "/etc/x", Digest: md5, Config: true}, file("edited"), datasets.StateModified, []string{"digest"}},
		// dpkg records no mode: a chmod is invisible to it, and to distroscope.
		{"dpkg conffile chmod", installed.File{Path: "/etc/x", Digest: md5}, actual(func(a *Actual) { a.Mode = 0o600 }), datasets.StateUnchanged, nil},
		{"dpkg directory", installed.File{Path: "/usr/share/doc"}, Actual{Exists: true, Type: installed.TypeDir, Mode: 0o755}, datasets.StateUnchanged, nil},
		{"deleted", installed.File{Path: "/etc/x", Digest: md5}, Actual{}, datasets.StateDeleted, nil},
		{"missingok absent", installed.File{Path: "/etc/x", Digest: md5, Config: true, MissingOK: true}, Actual{}, datasets.StateUnchanged, nil},
		{"missingok edited", installed.File{Path: "/etc/x", Digest: md5, Config: true, MissingOK: true}, file("edited"), datasets.StateModified, []string{"digest"}},
		{"ghost absent", installed.File{Path: "/var/log/x", Ghost: true}, Actual{}, datasets.StateUnchanged, nil},
		{"ghost present and different", with(func(r *installed.File) { r.Ghost = true }), file("anything"), datasets.StateUnchanged, nil},
		{"rpm unchanged", rpmRec, file(""), datasets.StateUnchanged, nil},
		{"rpm chmod", rpmRec, actual(func(a *Actual) { a.Mode = 0o600 }), datasets.StateMetadataChanged, []string{"mode"}},
		{"rpm setuid dropped", with(func(r *installed.File) { r.Mode = 0o755 | fs.ModeSetuid }), actual(func(a *Actual) { a.Mode = 0o755 }), datasets.StateMetadataChanged, []string{"mode"}},
		{"rpm chown by name", rpmRec, actual(func(a *Actual) { a.UID, a.GID = 1, 4 }), datasets.StateMetadataChanged, []string{"owner", "group"}},
		{"rpm owner unknown to the image", with(func(r *installed.File) { r.User = "nobody-here" }), file(""), datasets.StateMetadataChanged, []string{"owner"}},
		{"rpm touched", rpmRec, actual(func(a *Actual) { a.MTime = when.Add(time.Hour) }), datasets.StateMetadataChanged, []string{"mtime"}},
		{"rpm edited", rpmRec, actual(func(a *Actual) {
			b := file("edited!")
			a.Size, a.Digest, a.MTime = b.Size, b.Digest, when.Add(time.Hour)
		}),
			datasets.StateModified, []string{"size", "digest", "mtime"}},
		{"replaced by a symlink", rpmRec, Actual{Exists: true, Type: installed.TypeSymlink, Link: "/dev/null"}, datasets.StateModified, []string{"type"}},
		{"symlink retargeted", installed.File{Path: "/usr/bin/x", Type: installed.TypeSymlink, HasLink: true, Link: "y"},
			Actual{Exists: true, Type: installed.TypeSymlink, Link: "z"}, datasets.StateModified, []string{"link"}},
		{"numeric owner (pacman mtree)", installed.File{Path: "/x", HasOwner: true, UID: 0, GID: 0}, actual(func(a *Actual) { a.GID = 4 }),
			datasets.StateMetadataChanged, []string{"group"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, changes, err := Compare(tc.rec, tc.actual, acc)
			if err != nil {
				t.Fatal(err)
			}
			if state != tc.state || !slices.Equal(changes, tc.changes) {
				t.Errorf("Compare = %s %v, want %s %v", state, changes, tc.state, tc.changes)
			}
		})
	}
}

func TestCompareDigestError(t *testing.T) {
	a := Actual{Exists: true, Type: installed.TypeRegular, Digest: func(installed.Algo) (string, error) { return "", errors.New("streamed and not kept") }}
	_, _, err := Compare(installed.File{Path: "/etc/x", Digest: installed.Digest{Algo: installed.SHA512, Hex: "ab"}}, a, Accounts{})
	if err == nil || err.Error() != "/etc/x: streamed and not kept" {
		t.Fatalf("err = %v, want the path and the cause", err)
	}
}

func TestParseOSRelease(t *testing.T) {
	o := parseOSRelease([]byte("PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nNAME=\"Debian GNU/Linux\"\nVERSION_CODENAME=trixie\nID=debian\n# c\n"))
	if o.ID != "debian" || o.Codename != "trixie" || o.PrettyName != "Debian GNU/Linux trixie/sid" || o.Release() != "trixie" {
		t.Fatalf("%+v", o)
	}
	o = parseOSRelease([]byte("ID='alpine'\nVERSION_ID=3.21.0\n"))
	if o.ID != "alpine" || o.Release() != "3.21.0" {
		t.Fatalf("%+v", o)
	}
}

// TestCorrupt: a refused layer is final, a layer the network cut short
// is not.
func TestCorrupt(t *testing.T) {
	refused := &imagefs.Error{Kind: imagefs.KindDotDot, Path: "../x", Msg: "name escapes the root"}
	cut := &imagefs.Error{Kind: imagefs.KindCorrupt, Path: "usr/bin/x", Msg: "reading", Err: &net.OpError{Op: "read", Err: errors.New("connection reset by peer")}}
	if err := corrupt(fmt.Errorf("layer 0: %w", refused)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a refused layer: %v, want ErrCorrupt", err)
	}
	if err := corrupt(fmt.Errorf("layer 0: %w", cut)); errors.Is(err, ErrCorrupt) {
		t.Errorf("a layer the network cut: %v, want a retryable error", err)
	}
	if err := corrupt(errors.New("permission denied")); errors.Is(err, ErrCorrupt) {
		t.Errorf("an error not about the input: %v", err)
	}
}

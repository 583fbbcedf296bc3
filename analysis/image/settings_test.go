package image

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/parquet-go/parquet-go"

	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/imageref/imagereftest"
	"github.com/distroscope/distroscope/internal/rootfstest"
	"github.com/distroscope/distroscope/store/localfs"
)

// setting returns the rows of program and key.
func setting(res *Result, program, key string) []datasets.ConfigSettingRow {
	var out []datasets.ConfigSettingRow
	for _, r := range res.Settings {
		if r.Program == program && r.Key == key {
			out = append(out, r)
		}
	}
	return out
}

// oneSetting is the only row of program and key, failing t otherwise.
func oneSetting(t *testing.T, res *Result, program, key string) datasets.ConfigSettingRow {
	t.Helper()
	rows := setting(res, program, key)
	if len(rows) != 1 {
		t.Fatalf("%s %s: %d rows %+v, want one", program, key, len(rows), rows)
	}
	return rows[0]
}

// lineCount is the number of lines of the file at p inside root, so that
// a line the test appends has a known number.
func lineCount(t *testing.T, root, p string) int32 {
	t.Helper()
	b, err := os.ReadFile(root + p)
	if err != nil {
		t.Fatal(err)
	}
	return int32(bytes.Count(b, []byte("\n")))
}

func writeFile(t *testing.T, root, p string, data []byte) {
	t.Helper()
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.WriteFile(strings.TrimPrefix(p, "/"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDebootstrapSettings analyses the bookworm minbase tree (with
// openssh-server) after the test changed sshd_config (a ucf-managed file),
// /etc/default/useradd (a conffile), added a sysctl.d drop-in of its own
// and a limits.d file larger than any parser reads: the changed settings
// come with their file, line and source changed (or image, for the new
// file), the untouched ones with source package and their package, the
// init system and the services are rows, and the hostile file costs only
// the limits parser's rows, named in SettingErrors.
func TestDebootstrapSettings(t *testing.T) {
	root := rootfstest.Copy(t, rootfstest.Debootstrap(t, rootfstest.Suites[0]))
	sshdLine := lineCount(t, root, "/etc/ssh/sshd_config") + 1
	rootfstest.Append(t, root, "/etc/ssh/sshd_config", []byte("PermitRootLogin yes\n"))
	useraddLine := lineCount(t, root, "/etc/default/useradd") + 1
	rootfstest.Append(t, root, "/etc/default/useradd", []byte("SHELL=/bin/bash\n"))
	writeFile(t, root, "/etc/sysctl.d/60-distroscope.conf", []byte("# the test's\nnet.ipv4.ip_forward = 1\n"))
	writeFile(t, root, "/etc/security/limits.d/99-huge.conf", bytes.Repeat([]byte("# padding\n"), 5<<20/10))

	res := analyze(t, "dir:"+root)

	for _, w := range []datasets.ConfigSettingRow{
		{Program: "sshd", Key: "permitrootlogin", Value: "yes", File: "/etc/ssh/sshd_config", Line: sshdLine, Source: datasets.SourceChanged, Package: "openssh-server", Default: "without-password"},
		{Program: "useradd", Key: "SHELL", Value: "/bin/bash", Topic: "users.default_shell", File: "/etc/default/useradd", Line: useraddLine, Source: datasets.SourceChanged, Package: "passwd", Default: "/bin/bash"},
		{Program: "sysctl", Key: "net.ipv4.ip_forward", Value: "1", File: "/etc/sysctl.d/60-distroscope.conf", Line: 2, Source: datasets.SourceImage},
		{Program: "init", Key: "system", Value: "none", Source: datasets.SourceImage},
		{Program: "service", Key: "ssh.service", Value: "enabled", Condition: "multi-user.target", File: "/etc/systemd/system/multi-user.target.wants/ssh.service", Source: datasets.SourceImage, Default: "enabled"},
		// Unlinked, so disabled though its preset enables it; dpkg
		// recorded it as /lib/systemd/system/ssh.socket, the same file on
		// this merged-/usr tree.
		{Program: "service", Key: "ssh.socket", Value: "disabled", File: "/usr/lib/systemd/system/ssh.socket", Source: datasets.SourcePackage, Package: "openssh-server", Default: "enabled"},
	} {
		if g := oneSetting(t, res, w.Program, w.Key); g != w {
			t.Errorf("%s %s:\n got %+v\nwant %+v", w.Program, w.Key, g, w)
		}
	}
	if g := oneSetting(t, res, "login.defs", "UMASK"); g.Source != datasets.SourcePackage || g.Package != "login" || g.Topic != "users.umask" || g.Line == 0 {
		t.Errorf("login.defs UMASK = %+v, want the login package's default", g)
	}
	if g := oneSetting(t, res, "sshd", "usepam"); g.Source != datasets.SourceChanged || g.Value != "yes" {
		t.Errorf("sshd usepam = %+v, want yes from the changed file", g)
	}
	if g := oneSetting(t, res, "sshd", "port"); g.Source != datasets.SourceBuiltin || g.Value != "22" || g.File != "" {
		t.Errorf("sshd port = %+v, want the builtin 22", g)
	}
	if g := oneSetting(t, res, "sysctl", "fs.protected_symlinks"); g.Source != datasets.SourcePackage || g.Package != "procps" {
		t.Errorf("sysctl fs.protected_symlinks = %+v, want procps' default", g)
	}
	if len(setting(res, "default", "useradd.SHELL")) != 0 {
		t.Error("/etc/default/useradd has generic rows beside useradd's")
	}
	if len(res.SettingErrors) != 1 || !strings.Contains(res.SettingErrors[0], "limits") || !strings.Contains(res.SettingErrors[0], "/etc/security/limits.d/99-huge.conf") {
		t.Errorf("setting errors %q, want the limits parser's naming the huge file", res.SettingErrors)
	}
	for i := 1; i < len(res.Settings); i++ {
		if datasets.CompareConfigSettingRows(&res.Settings[i-1], &res.Settings[i]) > 0 {
			t.Fatalf("rows not sorted at %d: %+v before %+v", i, res.Settings[i-1], res.Settings[i])
		}
	}
}

// layeredSettingsImage is two layers: a base with an sshd_config, a host
// name, a systemd unit its init links for multi-user.target, and a third
// layer's worth of changes: sshd_config rewritten, the host name removed
// (a whiteout), a sysctl drop-in added and a limits.conf too large to keep.
func layeredSettingsImage(t *testing.T) v1.Image {
	unit := "[Unit]\nDescription=web\n[Service]\nExecStart=/usr/bin/web\n[Install]\nWantedBy=multi-user.target\n"
	l0 := append(append([]imagereftest.File{}, baseDirs...),
		imagereftest.File{Name: "etc/os-release", Body: "ID=debian\nVERSION_CODENAME=bookworm\n"},
		imagereftest.File{Name: "etc/hostname", Body: "box\n"},
		imagereftest.File{Name: "etc/ssh/"},
		imagereftest.File{Name: "etc/ssh/sshd_config", Body: "PermitRootLogin no\n"},
		imagereftest.File{Name: "sbin/"},
		imagereftest.File{Name: "sbin/init", Type: '2', Linkname: "/lib/systemd/systemd"},
		imagereftest.File{Name: "lib/"}, imagereftest.File{Name: "lib/systemd/"},
		imagereftest.File{Name: "lib/systemd/systemd", Body: "\x7fELF"},
		imagereftest.File{Name: "lib/systemd/system/"},
		imagereftest.File{Name: "lib/systemd/system/web.service", Body: unit},
		imagereftest.File{Name: "etc/systemd/"}, imagereftest.File{Name: "etc/systemd/system/"},
		imagereftest.File{Name: "etc/systemd/system/multi-user.target.wants/"},
		imagereftest.File{Name: "etc/systemd/system/multi-user.target.wants/web.service", Type: '2', Linkname: "/lib/systemd/system/web.service"},
		status())
	l1 := []imagereftest.File{
		{Name: "etc/ssh/sshd_config", Body: "Port 2222\nPermitRootLogin yes\n"},
		{Name: "etc/.wh.hostname"},
		{Name: "etc/sysctl.d/"}, {Name: "etc/sysctl.d/50-app.conf", Body: "vm.swappiness = 10\n"},
		{Name: "etc/security/"}, {Name: "etc/security/limits.conf", Body: strings.Repeat("#\n", keepFileBytes/2+1)},
	}
	return imagereftest.Image(t, "linux/amd64", imagereftest.LayerFromFiles(t, l0), imagereftest.LayerFromFiles(t, l1))
}

// TestLayeredSettings reads the settings of a layered image from its top
// layer: the files a later layer rewrote, removed or added, kept in memory
// as the layers streamed by; the unit file a service link leads to is
// read for its [Install] section; a configuration file too large to keep
// costs its parser's rows only, with an error naming it.
func TestLayeredSettings(t *testing.T) {
	host := imagereftest.Serve(t, map[string]v1.Image{"library/settings:1": layeredSettingsImage(t)})
	res := analyze(t, "registry:"+host+"/library/settings:1")

	for _, w := range []datasets.ConfigSettingRow{
		{Program: "sshd", Key: "permitrootlogin", Value: "yes", File: "/etc/ssh/sshd_config", Line: 2, Source: datasets.SourceImage, Default: "without-password"},
		{Program: "sshd", Key: "port", Value: "2222", File: "/etc/ssh/sshd_config", Line: 1, Source: datasets.SourceImage, Default: "22"},
		{Program: "sysctl", Key: "vm.swappiness", Value: "10", File: "/etc/sysctl.d/50-app.conf", Line: 1, Source: datasets.SourceImage},
		{Program: "init", Key: "system", Value: "systemd", File: "/sbin/init", Source: datasets.SourceImage},
		{Program: "service", Key: "web.service", Value: "enabled", Condition: "multi-user.target", File: "/etc/systemd/system/multi-user.target.wants/web.service", Source: datasets.SourceImage, Default: "enabled"},
	} {
		if g := oneSetting(t, res, w.Program, w.Key); g != w {
			t.Errorf("%s %s:\n got %+v\nwant %+v", w.Program, w.Key, g, w)
		}
	}
	if rows := setting(res, "hostname", "hostname"); len(rows) != 0 {
		t.Errorf("hostname rows %+v of a file the top layer removed", rows)
	}
	if len(res.SettingErrors) != 1 || !strings.Contains(res.SettingErrors[0], "limits") || !strings.Contains(res.SettingErrors[0], "/etc/security/limits.conf") {
		t.Errorf("setting errors %q, want the limits parser's naming the file not kept", res.SettingErrors)
	}
}

// TestCommitConfigSettings commits an analysis and reads its
// config_settings back: committed beside the other tables, in the same
// partition, every row there.
func TestCommitConfigSettings(t *testing.T) {
	host := imagereftest.Serve(t, map[string]v1.Image{"library/settings:1": layeredSettingsImage(t)})
	res := analyze(t, "registry:"+host+"/library/settings:1")
	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := (Storage{Store: st, TempDir: t.TempDir(), Producer: "test"}).Commit(ctx, res, Run{WorkflowID: "w", RunID: "r"}); err != nil {
		t.Fatal(err)
	}
	for _, table := range datasets.ImageTables {
		if _, ok, err := datasets.Committed(ctx, st, table, res.Partition); err != nil || !ok {
			t.Errorf("%s not committed: %v", table.Name, err)
		}
	}
	m, ok, err := datasets.Committed(ctx, st, datasets.ConfigSettings, res.Partition)
	if err != nil || !ok || len(m.Files) != 1 {
		t.Fatalf("config_settings manifest %+v, %v, %v", m, ok, err)
	}
	data, err := datasets.ReadFile(ctx, st, m.Files[0], 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[datasets.ConfigSettingRow](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(res.Settings) || len(rows) == 0 {
		t.Fatalf("%d rows committed, the analysis has %d", len(rows), len(res.Settings))
	}
	for i := range rows {
		if rows[i] != res.Settings[i] {
			t.Errorf("row %d: committed %+v, analysed %+v", i, rows[i], res.Settings[i])
		}
	}
}

// TestPAMStackOrder: a PAM stack's rows keep the stack's order through the
// analysis and its commit — Debian's /etc/pam.d/login starts its auth
// stack with pam_faildelay and brings common-auth's lines in later with
// @include, so sorting the rows by file would put common-auth's first.
func TestPAMStackOrder(t *testing.T) {
	res := analyze(t, "dir:"+rootfstest.Debootstrap(t, rootfstest.Suites[0]))
	check := func(what string, rows []datasets.ConfigSettingRow) {
		t.Helper()
		var stack []string
		for _, r := range rows {
			if r.Program == "pam" && r.Key == "login.auth" {
				stack = append(stack, r.File+": "+r.Value)
			}
		}
		if len(stack) < 2 || !strings.HasPrefix(stack[0], "/etc/pam.d/login: optional pam_faildelay.so") ||
			!strings.Contains(strings.Join(stack, "\n"), "/etc/pam.d/common-auth: ") {
			t.Errorf("%s: login's auth stack in the order\n%s", what, strings.Join(stack, "\n"))
		}
	}
	check("analysed", res.Settings)

	st, err := localfs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := (Storage{Store: st, TempDir: t.TempDir(), Producer: "test"}).Commit(context.Background(), res, Run{}); err != nil {
		t.Fatal(err)
	}
	m, err := datasets.ReadManifest(context.Background(), st, datasets.ConfigSettings.ManifestKey(res.Partition))
	if err != nil {
		t.Fatal(err)
	}
	data, err := datasets.ReadFile(context.Background(), st, m.Files[0], 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parquet.Read[datasets.ConfigSettingRow](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	check("committed", rows)
}

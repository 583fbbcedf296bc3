package settings

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distroscope/distroscope/internal/testenv"
)

func TestLoginDefsDebianDefaultFiles(t *testing.T) {
	got, err := LoginDefs(os.DirFS("testdata/logindefs/debian"))
	if err != nil {
		t.Fatal(err)
	}
	var want []Setting
	for _, d := range []struct {
		key, value string
		line       int
	}{
		{"CHFN_RESTRICT", "rwh", 214}, {"DEFAULT_HOME", "yes", 220}, {"ENCRYPT_METHOD", "SHA512", 294},
		{"ENV_PATH", "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games", 103},
		{"ENV_SUPATH", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 102},
		{"ERASECHAR", "0177", 149}, {"FAILLOG_ENAB", "yes", 42}, {"FTMP_FILE", "/var/log/btmp", 79},
		{"GID_MAX", "60000", 186}, {"GID_MIN", "1000", 185}, {"HUSHLOGIN_FILE", ".hushlogin", 95},
		{"KILLCHAR", "025", 150}, {"LOGIN_RETRIES", "5", 201}, {"LOGIN_TIMEOUT", "60", 206},
		{"LOG_OK_LOGINS", "no", 55}, {"LOG_UNKFAIL_ENAB", "no", 50}, {"MAIL_DIR", "/var/mail", 35},
		{"NONEXISTENT", "/nonexistent", 332}, {"PASS_MAX_DAYS", "99999", 165}, {"PASS_MIN_DAYS", "0", 166},
		{"PASS_WARN_AGE", "7", 167}, {"PREVENT_NO_AUTH", "superuser", 346}, {"SUB_GID_COUNT", "65536", 193},
		{"SUB_GID_MAX", "600100000", 192}, {"SUB_GID_MIN", "100000", 191}, {"SUB_UID_COUNT", "65536", 180},
		{"SUB_UID_MAX", "600100000", 179}, {"SUB_UID_MIN", "100000", 178}, {"SU_NAME", "su", 87},
		{"SYSLOG_SG_ENAB", "yes", 62}, {"SYSLOG_SU_ENAB", "yes", 61}, {"TTYGROUP", "tty", 123},
		{"TTYPERM", "0600", 124}, {"UID_MAX", "60000", 173}, {"UID_MIN", "1000", 172}, {"UMASK", "022", 151},
		{"USERGROUPS_ENAB", "yes", 237},
	} {
		want = append(want, Setting{Program: "login.defs", Key: d.key, Value: d.value, File: "/etc/login.defs", Line: d.line})
	}
	want = append(want, Setting{Program: "useradd", Key: "SHELL", Value: "/bin/sh", File: "/etc/default/useradd", Line: 8, Default: "/bin/bash"})
	for _, b := range [][2]string{{"GROUP", "100"}, {"HOME", "/home"}, {"INACTIVE", "-1"}, {"EXPIRE", ""}, {"SKEL", "/etc/skel"}, {"CREATE_MAIL_SPOOL", "no"}, {"LOG_INIT", "yes"}} {
		want = append(want, Setting{Program: "useradd", Key: b[0], Value: b[1], Builtin: true, Default: b[1]})
	}
	authDiff(t, got, sshdWant(want...))
}

func TestLoginDefsRules(t *testing.T) {
	const defs, ua = "/etc/login.defs", "/etc/default/useradd"
	tests := []struct {
		name  string
		files map[string]string
		want  []Setting
	}{
		{name: "no files, no rows"},
		{
			name: "login.defs: last wins, quotes cut the value, inner blanks and trailing comments kept, a lone name skipped",
			files: map[string]string{loginDefsFile: "UMASK 022\n  UMASK\t\t077  \nENV_PATH \"PATH=/bin:/usr/bin\" rest\n" +
				"MOTD_FILE /etc/motd /etc/motd2 # note\nLONELY\n# UMASK 000\n"},
			want: []Setting{
				{Program: "login.defs", Key: "ENV_PATH", Value: "PATH=/bin:/usr/bin", File: defs, Line: 3},
				{Program: "login.defs", Key: "MOTD_FILE", Value: "/etc/motd /etc/motd2 # note", File: defs, Line: 4},
				{Program: "login.defs", Key: "UMASK", Value: "077", File: defs, Line: 2},
			},
		},
		{
			name:  "useradd: KEY=VALUE as written, last wins, unknown and untrimmed keys ignored",
			files: map[string]string{useraddDefaults: "SHELL=/bin/zsh\nSHELL=/bin/bash\n HOME=/x\nHOME =/y\nFOO=1\nINACTIVE=30\n#GROUP=7\nGROUPS=video,audio\n"},
			want: []Setting{
				{Program: "useradd", Key: "SHELL", Value: "/bin/bash", File: ua, Line: 2, Default: "/bin/bash"},
				{Program: "useradd", Key: "INACTIVE", Value: "30", File: ua, Line: 6, Default: "-1"},
				{Program: "useradd", Key: "GROUPS", Value: "video,audio", File: ua, Line: 8},
				{Program: "useradd", Key: "GROUP", Value: "100", Builtin: true, Default: "100"},
				{Program: "useradd", Key: "HOME", Value: "/home", Builtin: true, Default: "/home"},
				{Program: "useradd", Key: "EXPIRE", Builtin: true},
				{Program: "useradd", Key: "SKEL", Value: "/etc/skel", Builtin: true, Default: "/etc/skel"},
				{Program: "useradd", Key: "CREATE_MAIL_SPOOL", Value: "no", Builtin: true, Default: "no"},
				{Program: "useradd", Key: "LOG_INIT", Value: "yes", Builtin: true, Default: "yes"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoginDefs(authMapFS(tt.files))
			if err != nil {
				t.Fatal(err)
			}
			authDiff(t, got, sshdWant(tt.want...))
		})
	}
}

func TestLoginDefsBounds(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"/etc/login.defs is larger than":         {loginDefsFile: string(make([]byte, maxFileBytes+1))},
		"/etc/login.defs line 100001: more than": {loginDefsFile: authManyKeys(maxRows+1, " ")},
	} {
		if _, err := LoginDefs(authMapFS(files)); err == nil || !bytes.Contains([]byte(err.Error()), []byte(name)) {
			t.Errorf("error %v, want one containing %q", err, name)
		}
	}
}

// authManyKeys is a file of n distinct "Kn<sep>v" lines.
func authManyKeys(n int, sep string) string {
	var b bytes.Buffer
	for i := range n {
		b.WriteString("K" + itoa(i) + sep + "v\n")
	}
	return b.String()
}

func FuzzLoginDefs(f *testing.F) {
	defs, err := os.ReadFile("testdata/logindefs/debian/etc/login.defs")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(defs, []byte("SHELL=/bin/sh\n"))
	f.Fuzz(func(t *testing.T, defs, useradd []byte) {
		fsys := fstest.MapFS{loginDefsFile: {Data: defs}, useraddDefaults: {Data: useradd}}
		rows, err := LoginDefs(fsys)
		if err != nil {
			return
		}
		authCheckRows(t, fsys, rows)
	})
}

// TestUseraddOracle compares the useradd rows with `useradd -D -P root`,
// which prints the defaults useradd would use for an image at root. It
// needs shadow's useradd and root.
func TestUseraddOracle(t *testing.T) {
	useradd := testenv.Require(t, testenv.Useradd)
	for _, file := range []string{"", "SHELL=/bin/zsh\nSHELL=/bin/bash\n HOME=/x\nHOME =/y\nINACTIVE=30\nSKEL=/etc/skel2\nCREATE_MAIL_SPOOL=yes\n"} {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "etc/default"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, useraddDefaults), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(useradd, "-D", "-P", root).CombinedOutput()
		if err != nil {
			t.Fatalf("useradd -D: %v: %s", err, out)
		}
		oracle := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			k, v, _ := bytes.Cut(sc.Bytes(), []byte("="))
			// -P prefixes SKEL with the root it reads from.
			oracle[string(k)] = strings.TrimPrefix(string(v), root+"/")
		}
		rows, err := LoginDefs(os.DirFS(root))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(oracle) {
			t.Errorf("%d rows, useradd -D prints %d values: %s", len(rows), len(oracle), out)
		}
		for _, r := range rows {
			if v, ok := oracle[r.Key]; !ok || v != r.Value {
				t.Errorf("%s: ours %q, useradd -D %q (set: %v)", r.Key, r.Value, v, ok)
			}
		}
	}
}

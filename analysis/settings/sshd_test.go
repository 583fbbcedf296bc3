package settings

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distroscope/distroscope/internal/testenv"
)

// sshdRow is an unconditional row of sshd_config; sshdIn one in a Match
// block; sshdBuiltin a compiled-in default no line sets.
func sshdRow(key, value, file string, line int) Setting {
	return Setting{Program: "sshd", Key: key, Value: value, File: file, Line: line, Default: strings.Join(sshdDefaults[key], " ")}
}

func sshdIn(cond, key, value, file string, line int) Setting {
	r := sshdRow(key, value, file, line)
	r.Condition = cond
	return r
}

func sshdBuiltin(key, value string) Setting {
	return Setting{Program: "sshd", Key: key, Value: value, Builtin: true, Default: strings.Join(sshdDefaults[key], " ")}
}

// sshdBuiltinsExcept are the Builtin rows of every default but the keys
// given, for tables whose point is elsewhere.
func sshdBuiltinsExcept(keys ...string) []Setting {
	var rows []Setting
	for key, values := range sshdDefaults {
		if slices.Contains(keys, key) {
			continue
		}
		for _, v := range values {
			rows = append(rows, sshdBuiltin(key, v))
		}
	}
	return rows
}

func sshdWant(rows ...Setting) []Setting {
	authSort(rows)
	return rows
}

const debianSshd = "/etc/ssh/sshd_config"

func TestSshdDebianDefaultFile(t *testing.T) {
	got, err := Sshd(os.DirFS("testdata/sshd/debian"))
	if err != nil {
		t.Fatal(err)
	}
	want := sshdWant(append(sshdBuiltinsExcept("kbdinteractiveauthentication", "usepam", "x11forwarding"),
		sshdRow("kbdinteractiveauthentication", "no", debianSshd, 62),
		sshdRow("usepam", "yes", debianSshd, 85),
		sshdRow("x11forwarding", "yes", debianSshd, 90),
		sshdRow("printmotd", "no", debianSshd, 94),
		sshdRow("acceptenv", "LANG", debianSshd, 112),
		sshdRow("acceptenv", "LC_*", debianSshd, 112),
		sshdRow("subsystem", "sftp /usr/lib/openssh/sftp-server", debianSshd, 115),
	)...)
	authDiff(t, got, want)
}

// The defaults most often asked about, spelled out rather than read from
// the table the parser uses (TestSshdOracle checks all of them against
// sshd -T).
func TestSshdSecurityDefaults(t *testing.T) {
	got, err := Sshd(fstest.MapFS{sshdConfig: {Data: []byte("# nothing set\n")}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"permitrootlogin": "without-password", "passwordauthentication": "yes", "pubkeyauthentication": "yes",
		"kbdinteractiveauthentication": "yes", "permitemptypasswords": "no", "usepam": "no",
		"x11forwarding": "no", "port": "22", "maxauthtries": "6", "loglevel": "INFO",
	}
	for _, r := range got {
		if w, ok := want[r.Key]; ok {
			if r.Value != w || !r.Builtin || r.Default != w {
				t.Errorf("%s: got %+v, want builtin %q", r.Key, r, w)
			}
			delete(want, r.Key)
		}
	}
	if len(want) != 0 {
		t.Errorf("no builtin rows for %v", want)
	}
}

func TestSshdRules(t *testing.T) {
	const main, dropin = "/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d/"
	tests := []struct {
		name  string
		files map[string]string
		want  []Setting
	}{{
		name:  "no sshd_config, no rows",
		files: map[string]string{"etc/ssh/sshd_config.d/a.conf": "Port 2222\n"},
	}, {
		name: "first value wins, drop-ins before the main file's later lines",
		files: map[string]string{
			sshdConfig:                             "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\nPermitRootLogin no\nPermitRootLogin yes\n",
			"etc/ssh/sshd_config.d/50-cloud.conf":  "PasswordAuthentication no\nLoginGraceTime 30\n",
			"etc/ssh/sshd_config.d/10-early.conf":  "LoginGraceTime 20\n",
			"etc/ssh/sshd_config.d/99-ignored.txt": "PermitRootLogin yes\n",
		},
		want: append(sshdBuiltinsExcept("passwordauthentication", "permitrootlogin", "logingracetime"),
			sshdRow("logingracetime", "20", dropin+"10-early.conf", 1),
			sshdRow("passwordauthentication", "no", dropin+"50-cloud.conf", 1),
			sshdRow("permitrootlogin", "no", main, 3),
		),
	}, {
		name: "accumulating keywords keep every line; listen defaults follow port and family",
		files: map[string]string{sshdConfig: "Port 2222\nport=22\nAddressFamily inet\nAcceptEnv LANG LC_*\nAcceptEnv TZ\n" +
			"AllowUsers alice bob\nAllowUsers carol\nHostKey /etc/ssh/k1\nHostKey /etc/ssh/k2\n" +
			"Subsystem sftp internal-sftp\nSubsystem other /bin/true -x\nAuthorizedKeysFile .ssh/a .ssh/b\nAuthorizedKeysFile .ssh/c\n"},
		want: append(sshdBuiltinsExcept("port", "addressfamily", "listenaddress", "authorizedkeysfile"),
			sshdRow("port", "2222", main, 1), sshdRow("port", "22", main, 2),
			sshdRow("addressfamily", "inet", main, 3),
			sshdBuiltin("listenaddress", "0.0.0.0:2222"), sshdBuiltin("listenaddress", "0.0.0.0:22"),
			sshdRow("acceptenv", "LANG", main, 4), sshdRow("acceptenv", "LC_*", main, 4), sshdRow("acceptenv", "TZ", main, 5),
			sshdRow("allowusers", "alice", main, 6), sshdRow("allowusers", "bob", main, 6), sshdRow("allowusers", "carol", main, 7),
			sshdRow("hostkey", "/etc/ssh/k1", main, 8), sshdRow("hostkey", "/etc/ssh/k2", main, 9),
			sshdRow("subsystem", "sftp internal-sftp", main, 10), sshdRow("subsystem", "other /bin/true -x", main, 11),
			sshdRow("authorizedkeysfile", ".ssh/a .ssh/b", main, 12),
		),
	}, {
		name: "Match blocks are conditions of their own and do not override; Match all ends them",
		files: map[string]string{sshdConfig: "PasswordAuthentication no\nMatch User sftp Address 10.0.0.0/8\n" +
			"  PasswordAuthentication yes\n  ForceCommand internal-sftp\n  PasswordAuthentication no\n" +
			"Match Group admins\n  PasswordAuthentication yes\nMatch all\nPasswordAuthentication yes\nX11Forwarding yes\n"},
		want: append(sshdBuiltinsExcept("passwordauthentication", "x11forwarding"),
			sshdRow("passwordauthentication", "no", main, 1),
			sshdIn("Match User sftp Address 10.0.0.0/8", "passwordauthentication", "yes", main, 3),
			sshdIn("Match User sftp Address 10.0.0.0/8", "forcecommand", "internal-sftp", main, 4),
			sshdIn("Match Group admins", "passwordauthentication", "yes", main, 7),
			sshdRow("x11forwarding", "yes", main, 10),
		),
	}, {
		name: "an include inside Match belongs to it; a Match in an included file ends with the file; relative includes are under /etc/ssh",
		files: map[string]string{
			sshdConfig:                "Include conf/first.conf\nMatch User bob\nInclude conf/bob.conf\nMatch all\nMaxSessions 3\n",
			"etc/ssh/conf/first.conf": "MaxAuthTries 2\nMatch User alice\nMaxAuthTries 9\n",
			"etc/ssh/conf/bob.conf":   "Banner /etc/bob\n",
		},
		want: append(sshdBuiltinsExcept("maxauthtries", "maxsessions"),
			sshdRow("maxauthtries", "2", "/etc/ssh/conf/first.conf", 1),
			sshdIn("Match User alice", "maxauthtries", "9", "/etc/ssh/conf/first.conf", 3),
			sshdIn("Match User bob", "banner", "/etc/bob", "/etc/ssh/conf/bob.conf", 1),
			sshdRow("maxsessions", "3", main, 5),
		),
	}, {
		name: "keyword=value, case, quotes, escapes, comments, aliases and ignored keywords",
		files: map[string]string{sshdConfig: "  maxauthtries = 3\nBANNER=/etc/issue.net\n" +
			"AuthorizedKeysFile \".ssh/my keys\" 'x y' a\\ b # comment\nChallengeResponseAuthentication no\n" +
			"Protocol 2\nUsePrivilegeSeparation sandbox\n\t# indented comment\n\nCiphers aes256-ctr#not-a-comment\n"},
		want: append(sshdBuiltinsExcept("maxauthtries", "authorizedkeysfile", "kbdinteractiveauthentication", "ciphers"),
			sshdRow("maxauthtries", "3", main, 1),
			sshdRow("banner", "/etc/issue.net", main, 2),
			sshdRow("authorizedkeysfile", ".ssh/my keys x y a b", main, 3),
			sshdRow("kbdinteractiveauthentication", "no", main, 4),
			sshdRow("ciphers", "aes256-ctr#not-a-comment", main, 9),
		),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sshd(authMapFS(tt.files))
			if err != nil {
				t.Fatal(err)
			}
			authDiff(t, got, sshdWant(tt.want...))
		})
	}
}

// Where sshd refuses to start, Sshd fails naming the file and line.
func TestSshdRefuses(t *testing.T) {
	chain := map[string]string{sshdConfig: "Include c0\n"}
	for i := range maxIncludeDepth + 2 {
		chain["etc/ssh/c"+itoa(i)] = "Include c" + itoa(i+1) + "\n"
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"keyword without argument", map[string]string{sshdConfig: "Port 22\nPermitRootLogin\n"}, "/etc/ssh/sshd_config line 2: no argument"},
		{"keyword with only a comment", map[string]string{sshdConfig: "Banner #x\n"}, "/etc/ssh/sshd_config line 1: no argument"},
		{"unterminated quote", map[string]string{sshdConfig: "\n\nBanner \"/etc/x\n"}, "/etc/ssh/sshd_config line 3: invalid quotes"},
		{"subsystem twice", map[string]string{sshdConfig: "Subsystem sftp a\nSubsystem sftp b\n"}, "line 2: subsystem \"sftp\" already defined"},
		{"include loop", map[string]string{sshdConfig: "Include a.conf\n", "etc/ssh/a.conf": "Include b.conf\n", "etc/ssh/b.conf": "Include /etc/ssh/a.conf\n"}, "/etc/ssh/a.conf includes itself"},
		{"includes too deep", chain, "includes deeper than 16"},
		{"file too large", map[string]string{sshdConfig: "Include big\n", "etc/ssh/big": strings.Repeat("#", maxFileBytes+1)}, "/etc/ssh/big is larger than"},
		{"too many rows", map[string]string{sshdConfig: "\nAcceptEnv" + strings.Repeat(" a", maxRows+1) + "\n"}, "/etc/ssh/sshd_config line 2: more than 100000 settings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := Sshd(authMapFS(tt.files))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %d rows, error %v; want an error containing %q", len(rows), err, tt.want)
			}
		})
	}
}

func FuzzSshd(f *testing.F) {
	debian, err := os.ReadFile("testdata/sshd/debian/etc/ssh/sshd_config")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(debian, []byte("PasswordAuthentication no\nMatch User x\nPort 1\n"))
	f.Add([]byte("Include sshd_config.d/*.conf\nPort=\"2 2\" # c\n"), []byte("AcceptEnv A B\nInclude ../sshd_config\n"))
	f.Fuzz(func(t *testing.T, main, dropin []byte) {
		fsys := fstest.MapFS{sshdConfig: {Data: main}, "etc/ssh/sshd_config.d/a.conf": {Data: dropin}}
		rows, err := Sshd(fsys)
		if err != nil {
			return
		}
		authCheckRows(t, fsys, rows)
	})
}

// TestSshdOracle compares the unconditional rows with what the real sshd
// prints with -T for the same file. It needs openssh-server's sshd and
// root (sshd -T wants its privilege separation directory, /run/sshd).
func TestSshdOracle(t *testing.T) {
	sshd := testenv.Require(t, testenv.Sshd)
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "host_key")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	debian, err := os.ReadFile("testdata/sshd/debian/etc/ssh/sshd_config")
	if err != nil {
		t.Fatal(err)
	}
	// The Debian file without its Include (an absolute path: sshd would
	// read this machine's drop-ins), then first-wins, accumulation,
	// aliases, quotes and a Match block.
	config := strings.Replace(string(debian), "Include /etc/ssh/sshd_config.d/*.conf", "", 1) +
		"PermitRootLogin no\nPermitRootLogin yes\nPort 2222\nPort 22\nAcceptEnv TZ\nAllowUsers alice bob\nAllowUsers carol\n" +
		"ChallengeResponseAuthentication yes\nAuthorizedKeysFile=\".ssh/my keys\" .ssh/other # comment\nProtocol 2\n" +
		"Match User nobody\nPasswordAuthentication no\nX11Forwarding no\n"
	for _, tc := range []struct{ name, config string }{{"defaults", "# empty\n"}, {"debian and rules", config}} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(sshd, "-T", "-f", filepath.Join(dir, "sshd_config"), "-h", key).CombinedOutput()
			if err != nil {
				t.Fatalf("sshd -T: %v: %s", err, out)
			}
			oracle := map[string][]string{}
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				k, v, _ := strings.Cut(sc.Text(), " ")
				oracle[k] = append(oracle[k], v)
			}
			rows, err := Sshd(fstest.MapFS{sshdConfig: {Data: []byte(tc.config)}})
			if err != nil {
				t.Fatal(err)
			}
			ours := map[string][]string{}
			for _, r := range rows {
				if r.Condition == "" {
					ours[r.Key] = append(ours[r.Key], r.Value)
				}
			}
			if len(ours) < len(sshdDefaults) {
				t.Fatalf("only %d keys", len(ours))
			}
			for key, values := range ours {
				if !slices.Equal(values, oracle[key]) {
					t.Errorf("%s: ours %q, sshd -T %q", key, values, oracle[key])
				}
			}
		})
	}
}

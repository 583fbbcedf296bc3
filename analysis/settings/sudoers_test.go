package settings

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/distroscope/distroscope/internal/testenv"
)

func sudoRow(cond, key, value, file string, line int) Setting {
	return Setting{Program: "sudoers", Key: "defaults." + key, Value: value, Condition: cond, File: file, Line: line}
}

func TestSudoersDebianDefaultFile(t *testing.T) {
	got, err := Sudoers(os.DirFS("testdata/sudoers/debian"))
	if err != nil {
		t.Fatal(err)
	}
	const f = "/etc/sudoers"
	authDiff(t, got, []Setting{
		sudoRow("", "env_reset", "true", f, 9),
		sudoRow("", "mail_badpass", "true", f, 10),
		sudoRow("", "secure_path", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", f, 11),
		sudoRow("", "use_pty", "true", f, 15),
	})
}

func TestSudoersRules(t *testing.T) {
	const main = "/etc/sudoers"
	tests := []struct {
		name  string
		files map[string]string
		want  []Setting
	}{
		{name: "no sudoers, no rows", files: map[string]string{"etc/sudoers.d/a": "Defaults lecture\n"}},
		{
			name: "includedir in lexical order without dotted or backup names; relative @include; last wins",
			files: map[string]string{
				sudoersFile:                  "Defaults lecture=once\n@includedir /etc/sudoers.d\n#include extra/more\nDefaults\ttimestamp_timeout=5\n",
				"etc/sudoers.d/20-late":      "Defaults lecture=always\n@include more.conf\n",
				"etc/sudoers.d/more.conf":    "Defaults umask=0077\n",
				"etc/sudoers.d/10-early":     "Defaults lecture=never, timestamp_timeout=1\n",
				"etc/sudoers.d/30.dpkg-dist": "Defaults lecture=dotted\n",
				"etc/sudoers.d/40-backup~":   "Defaults lecture=backup\n",
				"etc/extra/more":             "Defaults passwd_tries=5\n",
			},
			want: []Setting{
				sudoRow("", "lecture", "always", "/etc/sudoers.d/20-late", 1),
				sudoRow("", "passwd_tries", "5", "/etc/extra/more", 1),
				sudoRow("", "timestamp_timeout", "5", main, 4),
				sudoRow("", "umask", "0077", "/etc/sudoers.d/more.conf", 1),
			},
		},
		{
			name: "bindings are conditions; flags, negation, quotes, escapes, continuation lines",
			files: map[string]string{sudoersFile: "Defaults !lecture, !!requiretty\nDefaults:%admin lecture\nDefaults@host1,host2 insults\n" +
				"Defaults!/usr/bin/less noexec\nDefaults>root !set_logname\nDefaults secure_path = \"/a b:/c,d\", \\\n  badpass_message=Wrong\\,again\n" +
				"alice ALL=(ALL) ALL\n# Defaults commented\nDefaultsX notdefaults\n"},
			want: []Setting{
				sudoRow("", "badpass_message", "Wrong,again", main, 6),
				sudoRow("Defaults@host1,host2", "insults", "true", main, 3),
				sudoRow("", "lecture", "false", main, 1),
				sudoRow("Defaults:%admin", "lecture", "true", main, 2),
				sudoRow("Defaults!/usr/bin/less", "noexec", "true", main, 4),
				sudoRow("", "requiretty", "true", main, 1),
				sudoRow("", "secure_path", "/a b:/c,d", main, 6),
				sudoRow("Defaults>root", "set_logname", "false", main, 5),
			},
		},
		{
			name: "list operators accumulate after =, and keep the operators over the compiled-in list",
			files: map[string]string{sudoersFile: "Defaults env_keep=\"A B\"\nDefaults env_keep+=C, env_keep-=A\n" +
				"Defaults:bob env_keep += \"LANG LC_*\"\nDefaults:bob env_keep -= \"TZ LANG\"\nDefaults env_check=X\nDefaults !env_check\n"},
			want: []Setting{
				sudoRow("", "env_check", "false", main, 6),
				sudoRow("", "env_keep", "B C", main, 2),
				sudoRow("Defaults:bob", "env_keep", "+= LC_* -= TZ LANG", main, 4),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sudoers(authMapFS(tt.files))
			if err != nil {
				t.Fatal(err)
			}
			authDiff(t, got, sshdWant(tt.want...))
		})
	}
}

// sudoersRefused are Defaults lines visudo -c refuses (TestSudoersVisudo
// checks that it does) and Sudoers fails on.
var sudoersRefused = []string{"Defaults \"unterminated\n", "Defaults\n", "Defaults env_keep=\"A\n", "Defaults ,\n", "Defaults badpass_message=Wrong\\, again\n"}

func TestSudoersRefuses(t *testing.T) {
	for _, text := range sudoersRefused {
		if rows, err := Sudoers(authMapFS(map[string]string{sudoersFile: "# first\n" + text})); err == nil || !strings.Contains(err.Error(), "/etc/sudoers line 2") {
			t.Errorf("%q: %d rows, error %v; want an error naming /etc/sudoers line 2", text, len(rows), err)
		}
	}
	chain := map[string]string{sudoersFile: "@include c0\n"}
	for i := range maxIncludeDepth + 2 {
		chain["etc/c"+itoa(i)] = "@include c" + itoa(i+1) + "\n"
	}
	for want, files := range map[string]map[string]string{
		"includes deeper than 16":       chain,
		"/etc/sudoers includes itself":  {sudoersFile: "@include a\n", "etc/a": "#include /etc/sudoers\n"},
		"/etc/sudoers is larger than":   {sudoersFile: strings.Repeat("#", maxFileBytes+1)},
		"line 100001: more than 100000": {sudoersFile: strings.ReplaceAll(authManyKeys(maxRows+1, "="), "K", "Defaults K")},
	} {
		if _, err := Sudoers(authMapFS(files)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %q", err, want)
		}
	}
}

// TestSudoersVisudo checks that sudo's own parser refuses what Sudoers
// refuses and accepts the rules' files. It needs visudo (the sudo
// package).
func TestSudoersVisudo(t *testing.T) {
	visudo := testenv.Require(t, testenv.Visudo)
	dir := t.TempDir()
	check := func(text string) error {
		f := filepath.Join(dir, "sudoers")
		if err := os.WriteFile(f, []byte(text), 0o440); err != nil {
			t.Fatal(err)
		}
		return exec.Command(visudo, "-c", "-q", "-f", f).Run()
	}
	for _, text := range sudoersRefused {
		if check(text) == nil {
			t.Errorf("visudo accepts %q", text)
		}
	}
	accepted := "Defaults !lecture, !!requiretty\nDefaults:%admin lecture\nDefaults@host1,host2 insults\n" +
		"Defaults!/usr/bin/less noexec\nDefaults>root !set_logname\nDefaults secure_path = \"/a b:/c,d\", \\\n  badpass_message=Wrong\\,again\n" +
		"Defaults env_keep=\"A B\"\nDefaults env_keep+=C, env_keep-=A\n"
	if err := check(accepted); err != nil {
		t.Errorf("visudo refuses %q: %v", accepted, err)
	}
	if _, err := Sudoers(authMapFS(map[string]string{sudoersFile: accepted})); err != nil {
		t.Errorf("Sudoers refuses what visudo accepts: %v", err)
	}
}

func FuzzSudoers(f *testing.F) {
	debian, err := os.ReadFile("testdata/sudoers/debian/etc/sudoers")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(debian, []byte("Defaults:bob env_keep += \"A B\", !lecture\n@include /etc/sudoers\n"))
	f.Fuzz(func(t *testing.T, main, dropin []byte) {
		fsys := fstest.MapFS{sudoersFile: {Data: main}, "etc/sudoers.d/a": {Data: dropin}}
		rows, err := Sudoers(fsys)
		if err != nil {
			return
		}
		authCheckRows(t, fsys, rows)
	})
}

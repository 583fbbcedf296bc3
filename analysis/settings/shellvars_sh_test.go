package settings

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestShellVarsAgainstSh sources files in the machine's /bin/sh (dash on
// Debian: the shell that sources /etc/default files) and compares every
// variable it ends up with to what ShellVars reads without running it.
// The inputs hold no substitutions or commands, whose results only a
// shell can know.
func TestShellVarsAgainstSh(t *testing.T) {
	sh, err := exec.LookPath("/bin/sh")
	if err != nil {
		t.Fatal(err) // part of every system the tests run on
	}
	files := map[string]string{
		"quoting": strings.Join([]string{
			`A=plain`,
			`B="double \" \\ \$ \a quoted"`,
			`C='single "x" \n'`,
			`D=mixed"part two"'part three'\ four`,
			`export E=exported F=second`,
			`G="multi`,
			`line"`,
			`H=con\`,
			`tinued`,
			`A=again # comment`,
			`I=a#b; J=semi`,
			`K=  # empty`,
			`L=1 && M=2`,
			`N=""`,
		}, "\n"),
	}
	for _, name := range []string{"grub", "nss", "useradd"} {
		data, err := os.ReadFile("testdata/shellvars/debian/etc/default/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "grub" { // its GRUB_DISTRIBUTOR runs lsb_release
			data = []byte(strings.ReplaceAll(string(data), "GRUB_DISTRIBUTOR=", "#"))
		}
		files[name] = string(data)
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			rows, err := EtcDefault(fstest.MapFS{"etc/default/" + name: {Data: []byte(content)}})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				t.Fatal("no variables read")
			}
			file := filepath.Join(t.TempDir(), name)
			if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			script := `. "$1"; shift; for v do eval "printf '%s\0' \"\${$v}\""; done`
			args := []string{"-c", script, "sh", file}
			for _, r := range rows {
				args = append(args, strings.TrimPrefix(r.Key, name+"."))
			}
			cmd := exec.Command(sh, args...)
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("sh: %v", err)
			}
			values := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
			if len(values) != len(rows) {
				t.Fatalf("sh printed %d values for %d variables: %q", len(values), len(rows), values)
			}
			for i, r := range rows {
				if r.Value != values[i] {
					t.Errorf("%s = %q, sh says %q", r.Key, r.Value, values[i])
				}
			}
		})
	}
}

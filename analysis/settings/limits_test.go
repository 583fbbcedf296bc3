package settings

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func limitRow(key, value, file string, line int) Setting {
	return Setting{Program: "limits", Key: key, Value: value, File: file, Line: line}
}

// Debian's limits.conf is all comments: no rows, and none made up.
func TestLimitsDebianDefaultFile(t *testing.T) {
	data, err := os.ReadFile("testdata/limits/debian/etc/security/limits.conf")
	if err != nil || !strings.Contains(string(data), "#*               soft    core            0") {
		t.Fatalf("fixture: %v", err)
	}
	got, err := Limits(os.DirFS("testdata/limits/debian"))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no rows", got, err)
	}
}

func TestLimitsRules(t *testing.T) {
	const main, d = "/etc/security/limits.conf", "/etc/security/limits.d/"
	got, err := Limits(authMapFS(map[string]string{
		limitsFile: "# comment\n*               soft    core            0\n@audio - rtprio 95 # trailing\n" +
			"*\thard\tnofile\t4096\textra words\nbad line\nroot maybe nofile 1\n*#commented soft core 9\n",
		limitsDir + "/90-late.conf":  "@audio soft rtprio 50\n",
		limitsDir + "/10-early.conf": "* soft core unlimited\n* hard nofile 8192\n",
		limitsDir + "/README":        "* soft core 1\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	authDiff(t, got, []Setting{
		limitRow("*.hard.nofile", "8192", d+"10-early.conf", 2),
		limitRow("*.soft.core", "unlimited", d+"10-early.conf", 1),
		limitRow("@audio.hard.rtprio", "95", main, 3),
		limitRow("@audio.soft.rtprio", "50", d+"90-late.conf", 1),
	})
	for want, text := range map[string]string{
		"/etc/security/limits.conf is larger than": strings.Repeat("#", maxFileBytes+1),
		"line 50001: more than 100000":             authLimitsMany(50_001),
	} {
		if _, err := Limits(authMapFS(map[string]string{limitsFile: text})); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %q", err, want)
		}
	}
}

// authLimitsMany is n lines of distinct domains with type "-": two rows each.
func authLimitsMany(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("u" + itoa(i) + " - nofile 1\n")
	}
	return b.String()
}

func FuzzLimits(f *testing.F) {
	debian, err := os.ReadFile("testdata/limits/debian/etc/security/limits.conf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(debian, []byte("@audio - rtprio 95\n* soft core 0\n"))
	f.Fuzz(func(t *testing.T, main, dropin []byte) {
		fsys := fstest.MapFS{limitsFile: {Data: main}, limitsDir + "/a.conf": {Data: dropin}}
		rows, err := Limits(fsys)
		if err != nil {
			return
		}
		authCheckRows(t, fsys, rows)
	})
}

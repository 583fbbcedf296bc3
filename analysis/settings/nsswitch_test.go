package settings

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

func nssRow(db, value string, line int) Setting {
	return Setting{Program: "nsswitch", Key: db, Value: value, File: "/etc/nsswitch.conf", Line: line}
}

func TestNSSwitchDebianDefaultFile(t *testing.T) {
	got, err := NSSwitch(os.DirFS("testdata/nsswitch/debian"))
	if err != nil {
		t.Fatal(err)
	}
	authDiff(t, got, []Setting{
		nssRow("ethers", "db files", 17), nssRow("group", "files", 8), nssRow("gshadow", "files", 10),
		nssRow("hosts", "files dns", 12), nssRow("netgroup", "nis", 20), nssRow("networks", "files", 13),
		nssRow("passwd", "files", 7), nssRow("protocols", "db files", 15), nssRow("rpc", "db files", 18),
		nssRow("services", "db files", 16), nssRow("shadow", "files", 9),
	})
}

func TestNSSwitchRules(t *testing.T) {
	got, err := NSSwitch(authMapFS(map[string]string{nsswitchFile: "passwd: files\n  passwd:\tfiles   systemd\n" +
		"hosts files mdns4_minimal [ NOTFOUND = return ] dns\n# group: nis\nsudoers: files sss\nnetgroup:\n"}))
	if err != nil {
		t.Fatal(err)
	}
	authDiff(t, got, []Setting{
		nssRow("hosts", "files mdns4_minimal [NOTFOUND=return] dns", 3),
		nssRow("netgroup", "", 6),
		nssRow("passwd", "files systemd", 2),
		nssRow("sudoers", "files sss", 5),
	})
	if rows, err := NSSwitch(fstest.MapFS{}); err != nil || rows != nil {
		t.Errorf("no file: %v, %v; want no rows", rows, err)
	}
	for want, text := range map[string]string{
		"/etc/nsswitch.conf line 2: unbalanced": "passwd: files\nhosts: files [NOTFOUND=return dns\n",
		"/etc/nsswitch.conf is larger than":     strings.Repeat("#", maxFileBytes+1),
		"line 100001: more than 100000":         authManyKeys(maxRows+1, ": "),
	} {
		if _, err := NSSwitch(authMapFS(map[string]string{nsswitchFile: text})); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %q", err, want)
		}
	}
}

func FuzzNSSwitch(f *testing.F) {
	debian, err := os.ReadFile("testdata/nsswitch/debian/etc/nsswitch.conf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(debian)
	f.Add([]byte("hosts files [!UNAVAIL=return] dns\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{nsswitchFile: {Data: data}}
		rows, err := NSSwitch(fsys)
		if err != nil {
			return
		}
		authCheckRows(t, fsys, rows)
	})
}

package settings

import (
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestTopic(t *testing.T) {
	for _, tc := range []struct{ program, key, want string }{
		{"hostname", "hostname", "hostname"},
		{"sysconfig", "network.HOSTNAME", "hostname"},
		{"timezone", "timezone", "timezone"},
		{"sysconfig", "clock.ZONE", "timezone"},
		{"locale", "LANG", "locale.lang"},
		{"default", "locale.LANG", "locale.lang"},
		{"sysconfig", "language.RC_LANG", "locale.lang"},
		{"default", "keyboard.XKBLAYOUT", "keyboard.layout"},
		{"useradd", "SHELL", "users.default_shell"},
		{"login.defs", "CREATE_HOME", "users.create_home"},
		{"login.defs", "UMASK", "users.umask"},
		{"login.defs", "HOME_MODE", "users.home_mode"},
		{"login.defs", "SHELL", ""}, // useradd's key, not login.defs'
		{"locale", "LC_TIME", ""},
		{"sshd", "permitrootlogin", ""},
		{"", "", ""},
	} {
		if got := Topic(tc.program, tc.key); got != tc.want {
			t.Errorf("Topic(%q, %q) = %q, want %q", tc.program, tc.key, got, tc.want)
		}
	}
}

// TestTopicsAreEmitted writes a file for every pair of the mapping table
// and checks that All emits a row for each: a pair no parser emits would
// never put anything on its topic's row.
func TestTopicsAreEmitted(t *testing.T) {
	fsys := fstest.MapFS{
		"etc/hostname":           {Data: []byte("box\n")},
		"etc/localtime":          {Data: []byte("/usr/share/zoneinfo/UTC"), Mode: fs.ModeSymlink},
		"etc/locale.conf":        {Data: []byte("LANG=C.UTF-8\n")},
		"etc/default/locale":     {Data: []byte("LANG=C.UTF-8\n")},
		"etc/default/keyboard":   {Data: []byte("XKBLAYOUT=\"de\"\n")},
		"etc/default/useradd":    {Data: []byte("SHELL=/bin/sh\n")},
		"etc/login.defs":         {Data: []byte("CREATE_HOME yes\nUMASK 022\nHOME_MODE 0700\nUSERGROUPS_ENAB yes\nPASS_MAX_DAYS 99999\nENCRYPT_METHOD SHA512\n")},
		"etc/sysconfig/network":  {Data: []byte("HOSTNAME=box\n")},
		"etc/sysconfig/clock":    {Data: []byte("ZONE=UTC\nTIMEZONE=UTC\n")},
		"etc/sysconfig/i18n":     {Data: []byte("LANG=C\n")},
		"etc/sysconfig/language": {Data: []byte("RC_LANG=C\n")},
		"etc/sysconfig/keyboard": {Data: []byte("LAYOUT=us\nKEYTABLE=us\n")},
	}
	rows, errs := All(fsys)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := rowsOf(rows)
	for _, tp := range topics {
		if _, ok := got[tp.program+" "+tp.key]; !ok {
			t.Errorf("topic %s: no parser emits %s %s", tp.topic, tp.program, tp.key)
		}
	}
}

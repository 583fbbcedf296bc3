package initsys

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"
)

// TestParsePresetsSystemd parses systemd 252's own preset file (Debian's
// systemd 252.39-1~deb12u2) and asks it what systemd's presets say.
func TestParsePresetsSystemd(t *testing.T) {
	const file = "/usr/lib/systemd/system-preset/90-systemd.preset"
	b, err := os.ReadFile(filepath.Join("testdata/fedora-systemd", file))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := ParsePresets(b, file)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 28 { // grep -cvE '^\s*(#|;|$)'
		t.Errorf("%d rules, want 28", len(rules))
	}
	if first := rules[0]; first.Action != "enable" || first.Pattern != "remote-fs.target" || first.File != file || first.Line != 14 || len(first.Instances) != 0 {
		t.Errorf("first rule = %+v", first)
	}
	for _, tt := range []struct {
		unit, action string
		line         int
	}{
		{"getty@.service", "enable", 18},
		{"debug-shell.service", "disable", 29},
		{"systemd-journal-remote.socket", "disable", 46}, // a glob
		{"sshd.service", "enable", 0},                    // no rule: enabled
	} {
		action, rule := Preset(rules, tt.unit)
		line := 0
		if rule != nil {
			line = rule.Line
		}
		if action != tt.action || line != tt.line {
			t.Errorf("Preset(%s) = %s line %d, want %s line %d", tt.unit, action, line, tt.action, tt.line)
		}
	}
}

func TestParsePresets(t *testing.T) {
	in := strings.Join([]string{
		"; a comment",
		"  # another",
		"enable getty@.service tty1 tty2",
		"ignore foo.service",
		"enable",
		"start bar.service",
		"disable baz.service extra",
		"disable\t*",
	}, "\n")
	rules, err := ParsePresets([]byte(in), "/etc/systemd/system-preset/x.preset")
	var got []string
	for _, r := range rules {
		got = append(got, r.Action+" "+r.Pattern+" "+strings.Join(r.Instances, ",")+" "+string(rune('0'+r.Line)))
	}
	want := []string{"enable getty@.service tty1,tty2 3", "ignore foo.service  4", "disable *  8"}
	if !slices.Equal(got, want) {
		t.Errorf("rules = %q, want %q", got, want)
	}
	for _, line := range []string{"line 5: enable without a unit", `line 6: unknown action "start"`, "line 7: only enable takes instances"} {
		if err == nil || !strings.Contains(err.Error(), line) {
			t.Errorf("error %v does not say %q", err, line)
		}
	}
}

// TestPresetsOrder: files sort by name across directories, /etc hides
// /usr's file of the same name, a link to /dev/null hides it too, and the
// first matching rule wins.
func TestPresetsOrder(t *testing.T) {
	fsys := fstest.MapFS{
		"usr/lib/systemd/system-preset/20-vendor.preset":  {Data: []byte("enable a.service\nenable b.service\n")},
		"etc/systemd/system-preset/20-vendor.preset":      {Data: []byte("disable b.service\n")},
		"usr/lib/systemd/system-preset/30-masked.preset":  {Data: []byte("enable c.service\n")},
		"etc/systemd/system-preset/30-masked.preset":      {Data: []byte("/dev/null"), Mode: os.ModeSymlink | 0o777},
		"etc/systemd/system-preset/10-admin.preset":       {Data: []byte("disable a.service\n")},
		"usr/lib/systemd/system-preset/99-default.preset": {Data: []byte("disable *\n")},
		"usr/lib/systemd/system-preset/README":            {Data: []byte("not a preset\n")},
	}
	rules, err := Presets(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for unit, want := range map[string]string{
		"a.service": "disable /etc/systemd/system-preset/10-admin.preset",
		"b.service": "disable /etc/systemd/system-preset/20-vendor.preset",
		"c.service": "disable /usr/lib/systemd/system-preset/99-default.preset",
	} {
		action, rule := Preset(rules, unit)
		if got := action + " " + rule.File; got != want {
			t.Errorf("Preset(%s) = %s, want %s", unit, got, want)
		}
	}
}

// FuzzPreset: any bytes parse without panicking into rules that are
// well-formed — a known action, a pattern, a line within the input.
func FuzzPreset(f *testing.F) {
	if b, err := os.ReadFile("testdata/fedora-systemd/usr/lib/systemd/system-preset/90-systemd.preset"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("enable getty@.service tty1\n;x\ndisable *\n"))
	f.Add([]byte("ignore\n\x00enable a b c\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rules, _ := ParsePresets(b, "/f.preset")
		lines := strings.Count(string(b), "\n") + 1
		for _, r := range rules {
			if r.Action != "enable" && r.Action != "disable" && r.Action != "ignore" {
				t.Fatalf("action %q", r.Action)
			}
			if r.Pattern == "" || strings.ContainsAny(r.Pattern, " \t") || r.Line < 1 || r.Line > lines {
				t.Fatalf("rule %+v of %d lines", r, lines)
			}
			if len(r.Instances) > 0 && r.Action != "enable" {
				t.Fatalf("instances on %+v", r)
			}
		}
		if utf8.Valid(b) {
			Preset(rules, "x.service")
		}
	})
}

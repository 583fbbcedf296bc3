package initsys

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// PresetRule is one line of a systemd preset file.
type PresetRule struct {
	Action  string // "enable", "disable" or "ignore"
	Pattern string // a unit name or fnmatch(3) glob
	// Instances are the instances an "enable" line names for a template
	// unit ("enable getty@.service tty1 tty2").
	Instances []string
	File      string // absolute path in the image
	Line      int
}

// ParsePresets parses one preset file (systemd.preset(5)): one rule a
// line, "#" and ";" comments. It returns the rules it could read and an
// error naming each line it could not — systemd skips those too, so the
// rest of the file still counts.
func ParsePresets(b []byte, file string) ([]PresetRule, error) {
	var rules []PresetRule
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxFileSize)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		words := strings.Fields(line)
		r := PresetRule{Action: words[0], File: file, Line: n}
		switch {
		case r.Action != "enable" && r.Action != "disable" && r.Action != "ignore":
			errs = append(errs, fmt.Errorf("initsys: %s line %d: unknown action %q", file, n, r.Action))
			continue
		case len(words) < 2:
			errs = append(errs, fmt.Errorf("initsys: %s line %d: %s without a unit", file, n, r.Action))
			continue
		case len(words) > 2 && r.Action != "enable":
			errs = append(errs, fmt.Errorf("initsys: %s line %d: only enable takes instances", file, n))
			continue
		}
		r.Pattern, r.Instances = words[1], words[2:]
		rules = append(rules, r)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("initsys: %s: %w", file, err))
	}
	return rules, errors.Join(errs...)
}

// presetDirs are systemd's system preset directories, most important first:
// a file in an earlier one hides the file of the same name in later ones.
var presetDirs = []string{
	"etc/systemd/system-preset",
	"run/systemd/system-preset",
	"usr/local/lib/systemd/system-preset",
	"usr/lib/systemd/system-preset",
	"lib/systemd/system-preset",
}

// Presets reads the tree's preset files in systemd's order — by file name
// across the directories, a name in /etc hiding the same name in /usr —
// and returns their rules in that order, where the first match wins. Lines
// that do not parse are left out and reported in the error.
func Presets(fsys fs.FS) ([]PresetRule, error) {
	files := map[string]string{} // file name → its path in the most important directory
	seenDir := map[string]bool{}
	for _, d := range presetDirs {
		dir, entries, err := readDir(fsys, d)
		if err != nil {
			return nil, fmt.Errorf("initsys: /%s: %w", d, err)
		}
		if seenDir[dir] { // /lib is /usr/lib on merged-/usr trees
			continue
		}
		seenDir[dir] = true
		for _, e := range entries {
			if _, ok := files[e.Name()]; ok || !strings.HasSuffix(e.Name(), ".preset") {
				continue
			}
			files[e.Name()] = path.Join(d, e.Name())
		}
	}
	var rules []PresetRule
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(files)) {
		p := files[name]
		if masksDevNull(fsys, p) {
			continue // a link to /dev/null hides the name and says nothing
		}
		b, err := readFile(fsys, p)
		if err != nil {
			errs = append(errs, fmt.Errorf("initsys: /%s: %w", p, err))
			continue
		}
		r, err := ParsePresets(b, "/"+p)
		rules = append(rules, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return rules, errors.Join(errs...)
}

// Preset returns the action of the first rule matching unit, and that rule;
// a unit no rule matches is enabled, as systemctl preset does.
func Preset(rules []PresetRule, unit string) (string, *PresetRule) {
	for i, r := range rules {
		if ok, err := path.Match(r.Pattern, unit); err == nil && ok {
			return r.Action, &rules[i]
		}
	}
	return "enable", nil
}

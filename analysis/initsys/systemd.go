package initsys

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// unitDirs are systemd's system unit directories for an offline root, most
// important first (systemd.unit(5)): a unit file in an earlier one hides
// the same name in later ones. The first two are the administrator's; the
// rest are packages' ("vendor"), whose *.wants links are static.
var unitDirs = []string{
	"etc/systemd/system",
	"run/systemd/system",
	"usr/local/lib/systemd/system",
	"usr/lib/systemd/system",
	"lib/systemd/system",
}

const firstVendorDir = 2

// unitFile is the file that defines a unit name.
type unitFile struct {
	path   string // resolved, no leading slash
	masked bool
}

// systemdServices reads the *.wants and *.requires links of every unit
// directory, the masks, and the presets of the units with an [Install]
// section.
func systemdServices(fsys fs.FS) ([]Service, error) {
	units := map[string]unitFile{}
	var out []Service
	seen := map[string]bool{}
	for i, d := range unitDirs {
		dir, entries, err := readDir(fsys, d)
		if err != nil {
			return nil, fmt.Errorf("initsys: /%s: %w", d, err)
		}
		if seen[dir] { // /lib is /usr/lib on merged-/usr trees
			continue
		}
		seen[dir] = true
		for _, e := range entries {
			name, p := e.Name(), path.Join(dir, e.Name())
			if e.IsDir() {
				target, kind, ok := linkDir(name)
				if !ok {
					continue
				}
				links, err := fs.ReadDir(fsys, p)
				if err != nil {
					return nil, fmt.Errorf("initsys: /%s: %w", p, err)
				}
				for _, l := range links {
					s := linked(fsys, path.Join(p, l.Name()), target, kind)
					s.Static = i >= firstVendorDir
					out = append(out, s)
				}
				continue
			}
			if _, ok := units[name]; ok || !strings.Contains(name, ".") {
				continue
			}
			if masksDevNull(fsys, p) {
				units[name] = unitFile{masked: true}
				out = append(out, Service{Name: name, Path: "/dev/null", Source: "mask", Link: "/" + p, Masked: true})
				continue
			}
			r, err := resolve(fsys, p)
			if err != nil || path.Base(r) != name {
				continue // dangling, or an alias of another unit
			}
			units[name] = unitFile{path: r}
		}
	}
	for i, s := range out {
		if u := units[templateOf(s.Name)]; u.masked && s.Source != "mask" {
			out[i].Masked, out[i].Enabled = true, false
		}
	}

	rules, err := Presets(fsys)
	presetFor := map[string]string{}
	for name, u := range units {
		if u.masked {
			continue
		}
		b, rerr := readFile(fsys, u.path)
		if rerr != nil || !hasInstall(b) {
			continue
		}
		action, _ := Preset(rules, name)
		presetFor[name] = action
	}
	listed := map[string]bool{}
	for i, s := range out {
		if p, ok := presetFor[templateOf(s.Name)]; ok {
			out[i].Preset = p
			listed[templateOf(s.Name)] = true
		}
	}
	for name, p := range presetFor {
		if !listed[name] {
			out = append(out, Service{Name: name, Path: "/" + units[name].path, Source: "preset", Preset: p})
		}
	}
	return out, err
}

// linkDir tells the target and kind of a unit directory's subdirectory:
// "multi-user.target.wants" → "multi-user.target", "wants-symlink".
func linkDir(name string) (target, kind string, ok bool) {
	if t, ok := strings.CutSuffix(name, ".wants"); ok {
		return t, "wants-symlink", true
	}
	if t, ok := strings.CutSuffix(name, ".requires"); ok {
		return t, "requires-symlink", true
	}
	return "", "", false
}

// templateOf is the template unit of an instance ("getty@tty1.service" →
// "getty@.service"), or name itself.
func templateOf(name string) string {
	at := strings.IndexByte(name, '@')
	dot := strings.LastIndexByte(name, '.')
	if at < 0 || dot < at {
		return name
	}
	return name[:at+1] + name[dot:]
}

// hasInstall reports whether a unit file's [Install] section says how to
// enable it (WantedBy=, RequiredBy=, UpheldBy=, Alias= or Also=): only such
// units have an enablement state presets decide; the others are static.
func hasInstall(b []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxFileSize)
	section := ""
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line
			continue
		}
		if section != "[Install]" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "WantedBy", "RequiredBy", "UpheldBy", "Alias", "Also":
			return true
		}
	}
	return false
}

package image

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/distroscope/distroscope/analysis/initsys"
	"github.com/distroscope/distroscope/analysis/settings"
	"github.com/distroscope/distroscope/datasets"
	"github.com/distroscope/distroscope/internal/imagefs"
)

// configDirs are the directories whose files the settings parsers
// (analysis/settings) and the init system reading (analysis/initsys) open:
// /etc and /run, the vendor directories of sysctl.d, systemd's units,
// presets and .network files, NetworkManager's conf.d and netplan. A
// streamed layer cannot be read again, so their files are kept in memory
// as the layers go by (keeper); dir: and uncompressed file: sources read
// them when asked.
var configDirs = func() []string {
	dirs := []string{"/etc/", "/run/", "/usr/lib/NetworkManager/conf.d/", "/lib/netplan/", "/usr/lib/netplan/"}
	for _, vendor := range []string{"/usr/lib/", "/lib/", "/usr/local/lib/"} {
		dirs = append(dirs, vendor+"sysctl.d/", vendor+"systemd/system/", vendor+"systemd/system-preset/", vendor+"systemd/network/")
	}
	return dirs
}()

// initPaths are read too: what /sbin/init is, when it is no symlink
// (sysvinit's binary, an s6 script), tells the init system.
var initPaths = []string{"/sbin/init", "/usr/sbin/init"}

// Bounds of what keeper keeps: configuration files are a few KiB, and the
// parsers refuse files over 4 MiB anyway (initsys over 1 MiB). A file over
// keepFileBytes, or past keepTotalBytes in all, is not kept: the parser
// that wants it then fails naming it (Result.SettingErrors), and the
// analysis goes on.
const (
	keepFileBytes  = 1 << 20
	keepTotalBytes = 32 << 20
)

// keeper is the imagefs.ApplyOptions.Keep of one analysis: configuration
// files within the bounds above.
type keeper struct {
	mu    sync.Mutex
	total int64
}

func (k *keeper) keep(p string, size int64) bool {
	if size > keepFileBytes || !isConfigPath(p) {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.total+size > keepTotalBytes {
		return false
	}
	k.total += size
	return true
}

func isConfigPath(p string) bool {
	for _, d := range configDirs {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return slices.Contains(initPaths, p)
}

// Program and key of the rows that are not settings parsers' (see
// configSettings).
const (
	ProgramInit    = "init"    // Key KeyInitSystem, Value the init system's name
	KeyInitSystem  = "system"  //
	ProgramService = "service" // Key the unit or script, Value ServiceEnabled, ServiceDisabled or ServiceMasked
)

// Values of a ProgramService row.
const (
	ServiceEnabled  = "enabled"
	ServiceDisabled = "disabled"
	ServiceMasked   = "masked"
)

// configSettings reads the tree's configuration settings into
// config_settings rows, sorted: every settings parser's rows, one
// ProgramInit row for the init system, and one ProgramService row per
// service link (see serviceRow). Each row's Source and Package come from
// the image_files row of its File (sourceOf). What failed is returned as
// messages, each naming its parser or "initsys"; the rest is still there.
func configSettings(t *imagefs.Tree, files []datasets.ImageFileRow) ([]datasets.ConfigSettingRow, []string) {
	fsys := t.FS()
	src := newSources(t, files)
	var (
		rows []datasets.ConfigSettingRow
		errs []string
	)
	found, perrs := settings.All(fsys)
	for _, err := range perrs {
		errs = append(errs, err.Error())
	}
	for _, s := range found {
		r := datasets.ConfigSettingRow{Program: s.Program, Key: s.Key, Value: s.Value, Condition: s.Condition,
			Topic: settings.Topic(s.Program, s.Key), File: s.File, Line: int32(s.Line), Default: s.Default}
		if s.Builtin {
			r.Source = datasets.SourceBuiltin
		} else {
			r.Source, r.Package = src.of(s.File)
		}
		rows = append(rows, r)
	}

	sys, err := initsys.Detect(fsys)
	if err != nil {
		errs = append(errs, err.Error())
	} else {
		initRow := datasets.ConfigSettingRow{Program: ProgramInit, Key: KeyInitSystem, Value: string(sys.Name)}
		if strings.HasPrefix(sys.Evidence, "/") {
			initRow.File, _, _ = strings.Cut(sys.Evidence, " ")
		}
		initRow.Source, initRow.Package = src.of(initRow.File)
		rows = append(rows, initRow)
		// A container image has no init (Detect says none), yet its
		// packages enable systemd units as on a booted system (Debian's
		// minbase links apt's and dpkg's timers into timers.target.wants):
		// those are read as systemd's, so that two containers still
		// compare on what would start, and the init row says none.
		if sys.Name == initsys.None {
			sys.Name = initsys.Systemd
		}
		services, err := initsys.Enabled(fsys, sys)
		if err != nil {
			errs = append(errs, err.Error())
		}
		for _, s := range services {
			rows = append(rows, serviceRow(s, src))
		}
	}
	slices.SortStableFunc(rows, func(a, b datasets.ConfigSettingRow) int { return datasets.CompareConfigSettingRows(&a, &b) })
	return rows, errs
}

// serviceRow is one service as a config_settings row: Key the unit or
// script, Condition what starts it (a systemd target, a runlevel; "" for
// a unit only its presets speak of), Value enabled, disabled (a K link, a
// runit service with a "down" file, a unit with an [Install] section that
// nothing links) or masked, File the link or entry that says so (the unit
// file for a preset-only unit), Line 0. Default is what systemd's presets
// would make of the unit (enabled or disabled), where it has an [Install]
// section.
func serviceRow(s initsys.Service, src *sources) datasets.ConfigSettingRow {
	r := datasets.ConfigSettingRow{Program: ProgramService, Key: s.Name, Condition: s.Target, File: cmp.Or(s.Link, s.Path)}
	switch {
	case s.Masked:
		r.Value = ServiceMasked
	case s.Enabled:
		r.Value = ServiceEnabled
	default:
		r.Value = ServiceDisabled
	}
	switch s.Preset {
	case "enable":
		r.Default = ServiceEnabled
	case "disable":
		r.Default = ServiceDisabled
	}
	r.Source, r.Package = src.of(r.File)
	return r
}

// sources tells where a file's settings come from, by its image_files row.
type sources struct {
	t     *imagefs.Tree
	files map[string]*datasets.ImageFileRow
}

func newSources(t *imagefs.Tree, files []datasets.ImageFileRow) *sources {
	m := make(map[string]*datasets.ImageFileRow, len(files))
	for i := range files {
		m[files[i].Path] = &files[i]
	}
	return &sources{t: t, files: m}
}

// of returns the Source and Package of a row set in file: package for a
// package's file as installed, changed for one the image modified
// (content, or only mode, owner or mtime), image for a file no package
// owns (or a path without an image_files row: /run, an unowned unit).
func (s *sources) of(file string) (source, pkg string) {
	row := s.row(file)
	if row == nil || row.Package == "" {
		return datasets.SourceImage, ""
	}
	switch row.State {
	case datasets.StateUnchanged:
		return datasets.SourcePackage, row.Package
	case datasets.StateNotOwned:
		return datasets.SourceImage, ""
	}
	return datasets.SourceChanged, row.Package
}

// row finds file's image_files row. The parsers name the file they really
// read, symlinks resolved, and on a merged-/usr tree a package may have
// recorded it under the other name (/lib/systemd/system/x.service for
// /usr/lib/systemd/system/x.service): that name counts when it is the
// same file.
func (s *sources) row(file string) *datasets.ImageFileRow {
	if file == "" {
		return nil
	}
	if r, ok := s.files[file]; ok {
		return r
	}
	alt, ok := strings.CutPrefix(file, "/usr")
	if !ok {
		alt = "/usr" + file
	}
	r, ok := s.files[alt]
	if !ok {
		return nil
	}
	a, err := s.t.Lstat(file)
	if err != nil {
		return nil
	}
	if b, err := s.t.Lstat(alt); err != nil || a != b {
		return nil
	}
	return r
}

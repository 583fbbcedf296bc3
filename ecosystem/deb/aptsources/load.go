package aptsources

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// apt reads only parts whose whole name is made of these characters
// (Dir::Etc::SourceParts), so that editor backups and package manager
// leftovers such as "x.list.save" or "x.sources.disabled-by-farm" are ignored.
var partName = regexp.MustCompile(`^[A-Za-z0-9_.-]+\.(list|sources)$`)

// Load reads the sources apt would read on the filesystem rooted at root
// ("/" on the machine itself): root/etc/apt/sources.list, then every
// root/etc/apt/sources.list.d/*.list and *.sources in name order. Missing
// files and folders are not errors. Entries name the file they came from.
// Like the parsers, Load returns every well-formed entry it could read with
// an error joining the problems it met.
func Load(root string) ([]Entry, error) {
	var (
		entries []Entry
		errs    []error
	)
	read := func(path string, parse func(*os.File, string) ([]Entry, error)) {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("aptsources: %w", err))
			return
		}
		defer f.Close()
		es, err := parse(f, path)
		entries = append(entries, es...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	parseList := func(f *os.File, name string) ([]Entry, error) { return ParseList(f, name) }
	parseSources := func(f *os.File, name string) ([]Entry, error) { return ParseSources(f, name) }

	etc := filepath.Join(root, "etc", "apt")
	read(filepath.Join(etc, "sources.list"), parseList)

	dir := filepath.Join(etc, "sources.list.d")
	des, err := os.ReadDir(dir) // sorted by name, the order apt reads them in
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("aptsources: %w", err))
	}
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !partName.MatchString(name) {
			continue
		}
		if strings.HasSuffix(name, ".list") {
			read(filepath.Join(dir, name), parseList)
		} else {
			read(filepath.Join(dir, name), parseSources)
		}
	}
	return entries, errors.Join(errs...)
}

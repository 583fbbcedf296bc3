package imagecmp

import (
	"strings"

	"github.com/distroscope/distroscope/datasets"
)

// diffFiles joins the two images' image_files rows by path. A path both
// have is a row when its state differs, or when both are changed (or both
// not owned) and their type, content, link, mode or owner differ — a file
// the image changed in the same way on both sides is no difference. A path
// one side has is a row when it is under /etc, a configuration file, or
// not unchanged there.
//
// What is left out on purpose: an owned file outside /etc, unchanged from
// its package, that one side has because a package was added or removed,
// or whose content differs because its package was upgraded. The package
// row says that already, and listing every file of every changed package
// would bury the configuration files the comparison is read for.
func diffFiles(as, bs []datasets.ImageFileRow) []datasets.ImageDiffRow {
	bByPath := make(map[string]*datasets.ImageFileRow, len(bs))
	for i := range bs {
		bByPath[bs[i].Path] = &bs[i]
	}
	seen := make(map[string]bool, len(as))
	var out []datasets.ImageDiffRow
	for i := range as {
		a := &as[i]
		seen[a.Path] = true
		b, ok := bByPath[a.Path]
		switch {
		case !ok:
			if oneSided(a) {
				out = append(out, fileRow(ChangeRemoved, a, nil))
			}
		case a.State != b.State: // one of them is not unchanged
			out = append(out, fileRow(ChangeChanged, a, b))
		case changedState(a.State) && len(fileDelta(a, b)) > 0:
			out = append(out, fileRow(ChangeChanged, a, b))
		}
	}
	for i := range bs {
		if b := &bs[i]; !seen[b.Path] && oneSided(b) {
			out = append(out, fileRow(ChangeAdded, nil, b))
		}
	}
	return out
}

// oneSided says whether a path one side has is worth a row by itself.
func oneSided(f *datasets.ImageFileRow) bool {
	return isEtc(f.Path) || f.Config || f.State != datasets.StateUnchanged
}

func isEtc(path string) bool { return path == "/etc" || strings.HasPrefix(path, "/etc/") }

// changedState: the image, not a package, decided what the path holds.
func changedState(s string) bool {
	return s == datasets.StateModified || s == datasets.StateMetadataChanged || s == datasets.StateNotOwned
}

// fileDelta names what differs between two rows of one path, in rpm -V's
// terms.
func fileDelta(a, b *datasets.ImageFileRow) []string {
	var d []string
	add := func(differs bool, what string) {
		if differs {
			d = append(d, what)
		}
	}
	add(a.Type != b.Type, "type")
	add(a.Size != b.Size, "size")
	add(a.SHA256 != b.SHA256, "digest")
	add(a.Link != b.Link, "link")
	add(a.Mode != b.Mode, "mode")
	add(a.UID != b.UID, "owner")
	add(a.GID != b.GID, "group")
	return d
}

// fileRow is the row of a path; a or b is nil for the side without it.
// Values are the state and a short digest (or the link target); Detail
// names what differs between the two sides, or, for a path one side has,
// what differs from its package there.
func fileRow(change string, a, b *datasets.ImageFileRow) datasets.ImageDiffRow {
	row := datasets.ImageDiffRow{Kind: datasets.DiffFile, Change: change}
	var detail []string
	if a != nil {
		row.Key, row.Ecosystem, row.AValue, row.ASource = a.Path, a.Ecosystem, fileValue(a), fileSource(a)
		detail = a.Changes
	}
	if b != nil {
		row.Key, row.Ecosystem, row.BValue, row.BSource = b.Path, b.Ecosystem, fileValue(b), fileSource(b)
		detail = b.Changes
	}
	if a != nil && b != nil {
		detail = fileDelta(a, b)
		if a.State != b.State {
			detail = append([]string{"state"}, detail...)
		}
	}
	row.Detail = strings.Join(detail, " ")
	return row
}

// digestChars is how much of a SHA-256 a value shows: enough to tell two
// contents apart at a glance; image_files holds the whole digest.
const digestChars = 12

func fileValue(f *datasets.ImageFileRow) string {
	v := f.State
	switch {
	case f.Type == "symlink":
		v += " → " + f.Link
	case f.SHA256 != "":
		v += " " + f.SHA256[:min(len(f.SHA256), digestChars)]
	}
	return v
}

// fileSource spells a file's state as a setting's Source: unchanged from
// its package, changed, or the image's own.
func fileSource(f *datasets.ImageFileRow) string {
	switch f.State {
	case datasets.StateUnchanged:
		return datasets.SourcePackage
	case datasets.StateModified, datasets.StateMetadataChanged:
		return datasets.SourceChanged
	case datasets.StateNotOwned:
		return datasets.SourceImage
	}
	return ""
}

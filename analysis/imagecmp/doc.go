// Package imagecmp compares two analysed images (analysis/image) into the
// image_diffs rows and one image_compare_summaries row: the packages
// added, removed and changed, the files whose state differs, the settings
// side by side, the init system and the services enabled at boot.
//
// Packages of one distribution are paired by (ecosystem, name,
// architecture) and ordered by the ecosystem's exact comparator, as the
// release comparison orders them (analysis/compare); packages of two
// distributions are paired by the cross-distro rules and compared by
// upstream version (analysis/crossmap), so that an image comparison and a
// release comparison never disagree about the same two versions.
//
// Diff is pure (rows in, rows out); storage.go reads two committed
// analyses and commits a comparison with the datasets' protocol. It knows
// nothing of Temporal.
package imagecmp

package alpm

import (
	"strconv"
	"strings"
)

// SplitVersion splits a pacman version, [epoch:]pkgver-pkgrel
// (alpm-package-version), the way libalpm's parseEVR does: the epoch is
// the digits before the first colon, the release what follows the last
// hyphen. hasEpoch is false when the version names no epoch (pacman then
// takes it as 0).
func SplitVersion(v string) (epoch int64, hasEpoch bool, pkgver, pkgrel string) {
	pkgver = v
	if i := strings.IndexByte(v, ':'); i > 0 {
		if n, err := strconv.ParseInt(v[:i], 10, 64); err == nil && n >= 0 {
			epoch, hasEpoch, pkgver = n, true, v[i+1:]
		}
	}
	if i := strings.LastIndexByte(pkgver, '-'); i >= 0 {
		pkgver, pkgrel = pkgver[:i], pkgver[i+1:]
	}
	return epoch, hasEpoch, pkgver, pkgrel
}

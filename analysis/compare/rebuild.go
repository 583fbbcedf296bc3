package compare

import "strings"

// isRebuild tells whether an upgrade from op to np is only a rebuild.
//
// Debian: a binNMU (binary-only non-maintainer upload) rebuilds a source
// version unchanged and appends "+bN" to the binary's version, which dpkg
// orders after the version without it. The upgrade is a rebuild when the
// two versions are equal once a trailing "+b<digits>" is stripped from each
// ("1.0-1" -> "1.0-1+b1", "1.0-1+b1" -> "1.0-1+b2", native "2.3" ->
// "2.3+b1") and the binaries' source versions, where both are known, are
// equal. Security and stable updates ("+deb12u1") are not rebuilds.
//
// Other formats have no such convention that the version alone reveals
// (an rpm rebuild bumps the release like any other change; Fedora's
// "mass rebuild" releases are indistinguishable from patch releases), so
// no rpm, apk or pacman upgrade is flagged.
func isRebuild(format string, op, np PackageRef) bool {
	if format != "deb" || op.Version == np.Version {
		return false
	}
	if stripBinNMU(op.Version) != stripBinNMU(np.Version) {
		return false
	}
	return op.SourceVersion == "" || np.SourceVersion == "" || op.SourceVersion == np.SourceVersion
}

// stripBinNMU removes a trailing "+b<digits>".
func stripBinNMU(v string) string {
	i := strings.LastIndex(v, "+b")
	if i < 0 || i+2 == len(v) {
		return v
	}
	for _, c := range v[i+2:] {
		if c < '0' || c > '9' {
			return v
		}
	}
	return v[:i]
}

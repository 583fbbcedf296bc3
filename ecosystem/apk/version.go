package apk

import "strings"

// SplitVersion splits an apk version at its build component "-r<n>"
// (apk-package(5)): "1.36.1-r2" is upstream "1.36.1", revision "2". A
// version without one has revision "".
func SplitVersion(v string) (upstream, revision string) {
	i := strings.LastIndex(v, "-r")
	if i < 0 || i+2 == len(v) {
		return v, ""
	}
	for _, c := range v[i+2:] {
		if c < '0' || c > '9' {
			return v, ""
		}
	}
	return v[:i], v[i+2:]
}

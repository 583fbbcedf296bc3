package deb

import (
	"strconv"
	"strings"
)

// SplitVersion splits a Debian version the way dpkg's parseversion does:
// the epoch is everything before the first colon, the revision everything
// after the last hyphen, the upstream version what lies between. hasEpoch
// is false when the version names no epoch (dpkg then treats it as 0).
// It does not validate; callers that need validity use a comparator.
func SplitVersion(v string) (epoch int64, hasEpoch bool, upstream, revision string) {
	upstream = v
	if i := strings.IndexByte(upstream, ':'); i >= 0 {
		if n, err := strconv.ParseInt(upstream[:i], 10, 64); err == nil {
			epoch, hasEpoch = n, true
		}
		upstream = upstream[i+1:]
	}
	if i := strings.LastIndexByte(upstream, '-'); i >= 0 {
		upstream, revision = upstream[:i], upstream[i+1:]
	}
	return epoch, hasEpoch, upstream, revision
}

// Package version reports the build's version for --version and manifests.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at build time with -ldflags "-X .../internal/version.Version=v1.2.3";
// otherwise it falls back to the VCS revision Go recorded, or "dev".
var Version = ""

// String is "distroscope <version> (<go version>)".
func String() string {
	return fmt.Sprintf("distroscope %s (%s)", Short(), runtime.Version())
}

// Short is the bare version.
func Short() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}

package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is stamped at build time with -ldflags "-X main.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// buildVersion returns the version and VCS revision this binary was built
// from, as far as the build recorded them.
func buildVersion() (ver, revision string, modified bool) {
	ver = version
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return orUnknown(ver), "", false
	}
	if ver == "" {
		ver = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	return orUnknown(ver), revision, modified
}

func orUnknown(s string) string {
	if s == "" {
		return "(devel)"
	}
	return s
}

// versionString is what `resellerbot version` prints.
func versionString() string {
	ver, rev, modified := buildVersion()
	s := "resellerbot " + ver
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += " (" + rev
		if modified {
			s += ", modified"
		}
		s += ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

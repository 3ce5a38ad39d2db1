package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// buildVersion returns the version and commit: the linker's values when set,
// else what the Go build info recorded (module version, vcs revision).
func buildVersion() (ver, rev, goVersion string) {
	ver, rev, goVersion = version, commit, "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		if ver == "" {
			ver = "devel"
		}
		return ver, rev, goVersion
	}
	goVersion = info.GoVersion
	if ver == "" {
		ver = info.Main.Version
		if ver == "" || ver == "(devel)" {
			ver = "devel"
		}
	}
	if rev == "" {
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" && len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "-dirty"
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	return ver, rev, goVersion
}

func runVersion(_ context.Context, e *env, c *command, args []string) int {
	fs, _ := c.flags(e)
	if ok, st := c.noArgs(e, fs, args); !ok {
		return st
	}
	ver, rev, gov := buildVersion()
	fmt.Fprintf(e.stdout, "feedloom %s (commit %s, %s)\n", ver, rev, gov)
	return exitOK
}

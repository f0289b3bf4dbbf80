package poll

import (
	"log/slog"

	"github.com/resellerbot/resellerbot/omni"
)

// Caps on what the warning about orgs without an id quotes: a payload can
// list thousands of them, with names of any length.
const (
	unidentifiedNames   = 5
	unidentifiedNameLen = 80
)

// logUnidentified warns, for a poll that left orgs out for want of an id,
// how many and which: they get no alerts until the vendor sends their ids.
func logUnidentified(log *slog.Logger, snap *omni.Snapshot) {
	if snap == nil || len(snap.Unidentified) == 0 {
		return
	}
	names := make([]string, 0, min(len(snap.Unidentified), unidentifiedNames))
	for _, n := range snap.Unidentified[:cap(names)] {
		names = append(names, clip(n, unidentifiedNameLen))
	}
	log.Warn("the API listed orgs without an id; they are left out, with no alerts, until it sends their ids",
		"orgs", len(snap.Unidentified), "names", names)
}

// clip cuts s after n characters, marking the cut.
func clip(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

package config

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as "20s", "5m" or "720h" in YAML (a
// bare 0 is accepted too). Validate rejects negative durations.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String is d without zero trailing units: "5m", "720h", "1h30m", "20s",
// the way a person writes it in the file.
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText is String, so that a marshalled configuration loads back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a Go duration, or a bare 0.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML is UnmarshalText for a scalar node.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error { return unmarshalScalar(n, wantDuration, d) }

const wantDuration = "a duration like 20s, 5m or 720h"

func parseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		hint := ""
		if strings.HasSuffix(s, "d") {
			hint = " (no d unit: 30 days is 720h)"
		}
		return 0, fmt.Errorf("want %s, got %s%s", wantDuration, quote(s), hint)
	}
	return Duration(v), nil
}

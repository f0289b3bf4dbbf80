package config

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Secret is a string that never prints: fmt (every verb), slog, JSON, text
// and YAML marshalling all give "[redacted]", or "(empty)" from fmt and slog
// when it is empty (marshalling gives "" then). Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String is "[redacted]", or "(empty)" so that a missing secret can be told
// from a present one.
func (s Secret) String() string {
	if s == "" {
		return "(empty)"
	}
	return redacted
}

// GoString is String, so that %#v hides the value too.
func (s Secret) GoString() string { return s.String() }

// Format makes every fmt verb, %d and %x included, print String.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue is String, for slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText is "[redacted]", or nothing for an empty secret, so that a
// marshalled configuration loads back with its secrets empty.
func (s Secret) MarshalText() ([]byte, error) {
	if s == "" {
		return []byte{}, nil
	}
	return []byte(redacted), nil
}

// MarshalYAML is MarshalText as a string.
func (s Secret) MarshalYAML() (any, error) {
	b, _ := s.MarshalText()
	return string(b), nil
}

// WarnInlineSecrets returns one warning per secret held inline in the
// config file at path when that file is readable by its group or others
// (mode & 0o077 != 0). raw is the file's contents before expansion; when
// nil the file is read. A secret counts as inline unless its value is empty
// or exactly one ${VAR} reference (a ${VAR:-default} with a non-empty
// default is inline). It stays silent when the file cannot be read or
// parsed (Load reports that) and on Windows.
func WarnInlineSecrets(path string, raw []byte) []string {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if raw == nil {
		if raw, err = os.ReadFile(path); err != nil {
			return nil
		}
	}
	var doc yaml.Node
	if yaml.Unmarshal(raw, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	var warns []string
	for _, s := range secretKeys {
		n := lookup(doc.Content[0], strings.Split(s.key, "."))
		if n == nil || n.Kind != yaml.ScalarNode || isNull(n) || strings.TrimSpace(n.Value) == "" {
			continue
		}
		if m := varRef.FindStringSubmatch(n.Value); m != nil && len(m[0]) == len(n.Value) && m[2] == "" {
			continue
		}
		warns = append(warns, fmt.Sprintf("%s: readable by others (mode %04o) and holds %s inline; chmod 600 it or use ${%s}",
			path, fi.Mode().Perm(), s.key, s.env))
	}
	return warns
}

// lookup follows keys through nested mappings below n.
func lookup(n *yaml.Node, keys []string) *yaml.Node {
	for _, k := range keys {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

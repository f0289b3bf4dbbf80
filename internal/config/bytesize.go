package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ByteSize is a number of bytes written as "256MiB", "64MB", "10KiB" or a
// plain 1048576. Units are case-insensitive; K, M, G, T and KB… are powers
// of 1000, KiB… powers of 1024.
type ByteSize int64

var byteUnits = []struct {
	name string
	n    int64
}{
	{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9},
	{"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3},
}

// String is the largest unit that holds b exactly: "256MiB", "64MB", "1000".
func (b ByteSize) String() string {
	if b != 0 {
		for _, u := range byteUnits {
			if b%ByteSize(u.n) == 0 {
				return strconv.FormatInt(int64(b)/u.n, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalText is String, so that a marshalled configuration loads back.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText parses a size with or without a unit.
func (b *ByteSize) UnmarshalText(t []byte) error {
	v, err := parseByteSize(string(t))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// UnmarshalYAML is UnmarshalText for a scalar node.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error { return unmarshalScalar(n, wantByteSize, b) }

const wantByteSize = "a size like 256MiB, 64MB or 1048576"

var byteSizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?([A-Za-z]*)$`)

func parseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("want %s, got %s", wantByteSize, quote(s))
	m := byteSizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, bad
	}
	mult := int64(-1)
	switch u := strings.ToLower(m[2]); u {
	case "", "b":
		mult = 1
	case "k", "m", "g", "t":
		u += "b"
		fallthrough
	default:
		for _, x := range byteUnits {
			if strings.ToLower(x.name) == u {
				mult = x.n
			}
		}
	}
	if mult < 0 {
		return 0, bad
	}
	if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
		if n > math.MaxInt64/mult {
			return 0, fmt.Errorf("%s is too large", quote(s))
		}
		return ByteSize(n * mult), nil
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, bad
	}
	v := math.Round(f * float64(mult))
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("%s is too large", quote(s))
	}
	return ByteSize(v), nil
}

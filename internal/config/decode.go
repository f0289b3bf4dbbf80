package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/resellerbot/resellerbot/internal/editdist"
)

// yamlName is a struct field's yaml key, "" when it has none.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// decode decodes n into v, which is a section struct or a leaf value,
// appending one problem per bad key. Null nodes leave v as it is.
func decode(file string, n *yaml.Node, v reflect.Value, key string, problems *[]string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return
	}
	at := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%s:%d: ", file, n.Line)+fmt.Sprintf(format, args...))
	}
	if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct {
		decodeList(file, n, v, key, problems)
		return
	}
	if v.Kind() != reflect.Struct {
		if err := decodeLeaf(n, v); err != nil {
			at("%s: %v", key, err)
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		if key == "" {
			at("want a mapping of sections")
		} else {
			at("%s: want a mapping of keys, got %s", key, describe(n))
		}
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	for i := range t.NumField() {
		if name := yamlName(t.Field(i)); name != "" {
			fields[name] = i
			names = append(names, name)
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			*problems = append(*problems, fmt.Sprintf("%s:%d: %s: keys must be plain names", file, k.Line, join(key, "?")))
			continue
		}
		full := join(key, k.Value)
		if k.ShortTag() == "!!merge" {
			*problems = append(*problems, fmt.Sprintf("%s:%d: %s: merge keys (<<) are not supported", file, k.Line, full))
			continue
		}
		idx, ok := fields[k.Value]
		if !ok && looksSecret(k.Value) {
			*problems = append(*problems, fmt.Sprintf("%s:%d: %s: a key that looks like a token (is a value misplaced?)", file, k.Line, join(key, "?")))
			continue
		}
		if !ok {
			msg := fmt.Sprintf("%s:%d: unknown key %q", file, k.Line, full)
			if s := closest(k.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			*problems = append(*problems, msg)
			continue
		}
		if first, dup := seen[k.Value]; dup {
			*problems = append(*problems, fmt.Sprintf("%s:%d: duplicate key %q (first at line %d)", file, k.Line, full, first))
			continue
		}
		seen[k.Value] = k.Line
		decode(file, val, v.Field(idx), full, problems)
	}
}

// decodeList decodes a list of mappings (slack.routes) into a slice of
// structs, each item as a section named key[i].
func decodeList(file string, n *yaml.Node, v reflect.Value, key string, problems *[]string) {
	if n.Kind != yaml.SequenceNode {
		*problems = append(*problems, fmt.Sprintf("%s:%d: %s: want a list of mappings, got %s", file, n.Line, key, describe(n)))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, c := range n.Content {
		decode(file, c, out.Index(i), fmt.Sprintf("%s[%d]", key, i), problems)
	}
	v.Set(out)
}

// looksSecret reports whether s starts like a Slack token, so that a secret
// misplaced as a key is not echoed.
func looksSecret(s string) bool {
	for _, p := range tokenPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// quote quotes a value for an error message, unless it looks like a token
// pasted into the wrong key: errors go to terminals and CI logs.
func quote(s string) string {
	if looksSecret(s) {
		return "a value that looks like a token"
	}
	return strconv.Quote(s)
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// decodeLeaf decodes a non-null node into a leaf field. Its errors never
// quote a Secret's value.
func decodeLeaf(n *yaml.Node, v reflect.Value) error {
	switch p := v.Addr().Interface().(type) {
	case *Secret:
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("want a string, got %s", describe(n))
		}
		*p = Secret(strings.TrimSpace(n.Value))
	case *Duration:
		return p.UnmarshalYAML(n)
	case *ByteSize:
		return p.UnmarshalYAML(n)
	case *string:
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("want a string, got %s", describe(n))
		}
		*p = n.Value
	case *bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			return fmt.Errorf("want true or false, got %s", describe(n))
		}
		*p = b
	case *int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			return fmt.Errorf("want a whole number, got %s", describe(n))
		}
		*p = i
	case *float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
			return fmt.Errorf("want a number, got %s", describe(n))
		}
		*p = f
	case *[]string:
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("want a list like [A1, B2], got %s", describe(n))
		}
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind == yaml.AliasNode && c.Alias != nil {
				c = c.Alias
			}
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("item %d: want a string, got %s", len(out), describe(c))
			}
			out = append(out, c.Value)
		}
		*p = out
	default:
		return fmt.Errorf("cannot decode into %s", v.Type())
	}
	return nil
}

// unmarshalScalar is UnmarshalYAML for a type that reads itself from text;
// want says what it takes, for the error about a mapping or a list.
func unmarshalScalar(n *yaml.Node, want string, v encoding.TextUnmarshaler) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want %s, got %s", want, describe(n))
	}
	return v.UnmarshalText([]byte(n.Value))
}

// describe describes a node for an error message. Scalars are quoted; only
// call it for nodes that are not secrets, or that are not scalars.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return quote(n.Value)
	}
	return "something else"
}

// closest is the name within edit distance 2 of s, if any, for "did you
// mean" hints.
func closest(s string, names []string) string {
	best, bestD := "", 3
	var lev editdist.Levenshtein
	for _, n := range names {
		if d := lev.Distance([]rune(s), []rune(n), bestD); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

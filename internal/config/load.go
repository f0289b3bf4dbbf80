package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Error is a configuration that cannot be used: the file does not load, or
// Validate found problems. Each problem is one line naming the key, so a
// command can print them as they are (resellerbot exits with code 2 on it).
type Error struct {
	Problems []string
}

// Error is the problems, one a line.
func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

// Load reads the file at path. Inside values (never keys or comments) it
// expands ${VAR} and ${VAR:-default} from getenv (os.Getenv when nil); an
// unset variable without a default expands to "", and "$${" is a literal
// "${". Decoding is strict: unknown and duplicate keys, and values of the
// wrong type, are problems naming the key and line; secret values are never
// quoted. Absent keys keep Default's values, empty secrets are taken from
// OMNIDIM_API_KEY, SLACK_APP_TOKEN and SLACK_BOT_TOKEN, slack.api_url gets a
// trailing "/" and omnidim.base_url loses its own. Load does not validate;
// see Validate. Errors are *Error.
func Load(path string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Problems: []string{err.Error()}}
	}
	root, err := parse(path, raw)
	if err != nil {
		return nil, err
	}
	cfg := Default()
	if root != nil {
		expandNode(root, getenv)
		var problems []string
		decode(path, root, reflect.ValueOf(&cfg).Elem(), "", &problems)
		if len(problems) > 0 {
			return nil, &Error{Problems: problems}
		}
	}
	for _, s := range secretKeys {
		p := s.get(&cfg)
		if *p == "" {
			*p = Secret(strings.TrimSpace(getenv(s.env)))
		}
	}
	cfg.Omnidim.BaseURL = strings.TrimRight(cfg.Omnidim.BaseURL, "/")
	if u := cfg.Slack.APIURL; u != "" && !strings.HasSuffix(u, "/") {
		cfg.Slack.APIURL = u + "/"
	}
	return &cfg, nil
}

// parse parses raw into the root mapping node; nil for an empty file.
func parse(path string, raw []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &Error{Problems: []string{syntaxError(path, err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != nil && !errors.Is(err, io.EOF) {
		return nil, &Error{Problems: []string{syntaxError(path, err)}}
	} else if err == nil {
		return nil, &Error{Problems: []string{fmt.Sprintf("%s:%d: a second YAML document; the file must hold one", path, extra.Line)}}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if isNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Problems: []string{fmt.Sprintf("%s:%d: want a mapping of sections (omnidim:, slack:, …)", path, root.Line)}}
	}
	return root, nil
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// syntaxError turns yaml's "yaml: line 3: …" into "path:3: …".
func syntaxError(path string, err error) string {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: %s", path, m[1], msg[len(m[0]):])
	}
	return fmt.Sprintf("%s: %s", path, strings.TrimPrefix(msg, "yaml: "))
}

// expandNode expands ${VAR} in every scalar value below n. A plain
// (unquoted, untagged) scalar that changed is re-resolved, so
// `failures_before_notice: ${N}` is an integer and an empty expansion is
// absent; a quoted one stays a string.
func expandNode(n *yaml.Node, getenv func(string) string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			expandNode(c, getenv)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			expandNode(n.Content[i], getenv)
		}
	case yaml.ScalarNode:
		v := expand(n.Value, getenv)
		if v == n.Value {
			return
		}
		n.Value = v
		if n.Style&(yaml.TaggedStyle|yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = ""
		}
	}
}

var varRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// expand expands ${VAR} and ${VAR:-default} (default when VAR is unset or
// empty) in s; "$${" is a literal "${" and anything else is left alone.
func expand(s string, getenv func(string) string) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		if strings.HasPrefix(s, "$${") {
			b.WriteString("${")
			s = s[3:]
			continue
		}
		m := varRef.FindStringSubmatchIndex(s)
		if m == nil {
			b.WriteByte('$')
			s = s[1:]
			continue
		}
		v := getenv(s[m[2]:m[3]])
		if v == "" && m[4] >= 0 {
			v = s[m[4]:m[5]]
		}
		b.WriteString(v)
		s = s[m[1]:]
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

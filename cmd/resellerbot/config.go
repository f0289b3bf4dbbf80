package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is resellerbot's configuration file. See config.example.yaml at
// the repository root for every key, its meaning and its default.
//
// Absent keys keep the value of DefaultConfig, so an explicit zero, false or
// "" in the file is honoured (mass_removal_share: 0 turns the guard off,
// new_user: false silences new-user alerts, listen: "" turns the HTTP
// listener off). A key present with no value (`listen:` or `listen: ~`)
// counts as absent.
type Config struct {
	Omnidim OmnidimConfig `yaml:"omnidim" json:"omnidim"`
	Slack   SlackConfig   `yaml:"slack" json:"slack"`
	Store   StoreConfig   `yaml:"store" json:"store"`
	Poll    PollConfig    `yaml:"poll" json:"poll"`
	Alerts  AlertsConfig  `yaml:"alerts" json:"alerts"`
	HTTP    HTTPConfig    `yaml:"http" json:"http"`
}

// OmnidimConfig is how resellerbot reaches OmniDimension's reseller API.
type OmnidimConfig struct {
	// BaseURL is the API root, without a trailing "/".
	BaseURL string `yaml:"base_url" json:"base_url"`
	// APIKey is the reseller API key; OMNIDIM_API_KEY when empty.
	APIKey Secret `yaml:"api_key" json:"api_key"`
	// Timeout bounds one API request.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// MaxBody is the largest response body accepted.
	MaxBody ByteSize `yaml:"max_body" json:"max_body"`
}

// SlackConfig is how resellerbot talks to Slack (socket mode).
type SlackConfig struct {
	// AppToken is the app-level token (xapp-…); SLACK_APP_TOKEN when empty.
	AppToken Secret `yaml:"app_token" json:"app_token"`
	// BotToken is the bot token (xoxb-…); SLACK_BOT_TOKEN when empty.
	BotToken Secret `yaml:"bot_token" json:"bot_token"`
	// APIURL is the Web API root, always ending in "/".
	APIURL string `yaml:"api_url" json:"api_url"`
	// AlertChannel is the ID of the channel alerts go to.
	AlertChannel string `yaml:"alert_channel" json:"alert_channel"`
	// AllowedUserIDs may use the bot; empty allows every workspace member.
	AllowedUserIDs []string `yaml:"allowed_user_ids" json:"allowed_user_ids"`
	// AllowedChannelIDs are where the bot answers; empty allows any.
	AllowedChannelIDs []string `yaml:"allowed_channel_ids" json:"allowed_channel_ids"`
}

// StoreConfig is the local snapshot database.
type StoreConfig struct {
	Path string `yaml:"path" json:"path"`
	// History is how long earlier snapshots are kept; 0 keeps none.
	History Duration `yaml:"history" json:"history"`
}

// PollConfig is how often the reseller API is polled.
type PollConfig struct {
	Interval Duration `yaml:"interval" json:"interval"`
	// FailuresBeforeNotice is how many consecutive failed polls make an
	// outage notice.
	FailuresBeforeNotice int `yaml:"failures_before_notice" json:"failures_before_notice"`
}

// AlertsConfig says what is announced in the alert channel.
type AlertsConfig struct {
	LowBalance       LowBalanceConfig `yaml:"low_balance" json:"low_balance"`
	NewUser          bool             `yaml:"new_user" json:"new_user"`
	PermissionChange bool             `yaml:"permission_change" json:"permission_change"`
	// MassRemovalShare holds removal alerts back when one poll removes more
	// than this share of orgs or users; 0 disables the guard.
	MassRemovalShare float64 `yaml:"mass_removal_share" json:"mass_removal_share"`
}

// LowBalanceConfig says when an org's balance is low. A zero threshold is
// off.
type LowBalanceConfig struct {
	// Below is a balance threshold, in the org's currency.
	Below float64 `yaml:"below" json:"below"`
	// RunwayBelow is a threshold on balance / cost_per_min.
	RunwayBelow Duration `yaml:"runway_below" json:"runway_below"`
	// RepeatEvery reminds while still low; 0 never reminds.
	RepeatEvery Duration `yaml:"repeat_every" json:"repeat_every"`
	// RecoverMargin is the share above the thresholds a balance must climb
	// to count as recovered.
	RecoverMargin float64 `yaml:"recover_margin" json:"recover_margin"`
}

// HTTPConfig is the health and metrics listener.
type HTTPConfig struct {
	// Listen is host:port for /healthz, /readyz and /metrics; "" disables.
	Listen string `yaml:"listen" json:"listen"`
}

// DefaultConfig returns the configuration used for every absent key. Secrets
// and the alert channel have no default.
func DefaultConfig() Config {
	return Config{
		Omnidim: OmnidimConfig{
			BaseURL: "https://backend.omnidim.io/api/v1",
			Timeout: Duration(20 * time.Second),
			MaxBody: 256 << 20,
		},
		Slack: SlackConfig{
			APIURL:            "https://slack.com/api/",
			AllowedUserIDs:    []string{},
			AllowedChannelIDs: []string{},
		},
		Store: StoreConfig{
			Path:    "resellerbot.db",
			History: Duration(720 * time.Hour),
		},
		Poll: PollConfig{
			Interval:             Duration(5 * time.Minute),
			FailuresBeforeNotice: 3,
		},
		Alerts: AlertsConfig{
			LowBalance: LowBalanceConfig{
				Below:         50,
				RunwayBelow:   Duration(4 * time.Hour),
				RepeatEvery:   Duration(24 * time.Hour),
				RecoverMargin: 0.1,
			},
			NewUser:          true,
			PermissionChange: true,
			MassRemovalShare: 0.5,
		},
		HTTP: HTTPConfig{Listen: "127.0.0.1:9464"},
	}
}

// ConfigError is a configuration that cannot be used: the file does not
// load, or Validate found problems. Each problem is one line naming the key.
// The command exits with code 2 on it.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

// Need says which parts of the configuration a subcommand uses; Validate
// insists on those parts being complete. `poll` needs NeedOmnidim|NeedStore,
// `run` and `check` need all three.
type Need int

const (
	NeedOmnidim Need = 1 << iota
	NeedSlack
	NeedStore
)

// cfgSecrets are the secret keys, with the environment variable that fills
// each when the file leaves it empty.
var cfgSecrets = []struct {
	key, env string
	get      func(*Config) *Secret
}{
	{"omnidim.api_key", "OMNIDIM_API_KEY", func(c *Config) *Secret { return &c.Omnidim.APIKey }},
	{"slack.app_token", "SLACK_APP_TOKEN", func(c *Config) *Secret { return &c.Slack.AppToken }},
	{"slack.bot_token", "SLACK_BOT_TOKEN", func(c *Config) *Secret { return &c.Slack.BotToken }},
}

// LoadConfig reads the file at path. Inside values (never keys or
// comments) it expands ${VAR} and ${VAR:-default} from getenv (os.Getenv
// when nil); an unset variable without a default expands to "", and "$${"
// is a literal "${". Decoding is strict: unknown and duplicate keys, and
// values of the wrong type, are problems naming the key and line; secret
// values are never quoted. Absent keys keep DefaultConfig's values, empty
// secrets are taken from OMNIDIM_API_KEY, SLACK_APP_TOKEN and
// SLACK_BOT_TOKEN, slack.api_url gets a trailing "/" and omnidim.base_url
// loses its own. LoadConfig does not validate; see Validate. Errors are
// *ConfigError.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Problems: []string{err.Error()}}
	}
	root, err := cfgParse(path, raw)
	if err != nil {
		return nil, err
	}
	cfg := DefaultConfig()
	if root != nil {
		cfgExpandNode(root, getenv)
		var problems []string
		cfgDecode(path, root, reflect.ValueOf(&cfg).Elem(), "", &problems)
		if len(problems) > 0 {
			return nil, &ConfigError{Problems: problems}
		}
	}
	for _, s := range cfgSecrets {
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

// cfgParse parses raw into the root mapping node; nil for an empty file.
func cfgParse(path string, raw []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &ConfigError{Problems: []string{cfgSyntaxError(path, err)}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ConfigError{Problems: []string{cfgSyntaxError(path, err)}}
	} else if err == nil {
		return nil, &ConfigError{Problems: []string{fmt.Sprintf("%s:%d: a second YAML document; the file must hold one", path, extra.Line)}}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if cfgIsNull(root) {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ConfigError{Problems: []string{fmt.Sprintf("%s:%d: want a mapping of sections (omnidim:, slack:, …)", path, root.Line)}}
	}
	return root, nil
}

var cfgYAMLLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// cfgSyntaxError turns yaml's "yaml: line 3: …" into "path:3: …".
func cfgSyntaxError(path string, err error) string {
	msg := err.Error()
	if m := cfgYAMLLine.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: %s", path, m[1], msg[len(m[0]):])
	}
	return fmt.Sprintf("%s: %s", path, strings.TrimPrefix(msg, "yaml: "))
}

// cfgExpandNode expands ${VAR} in every scalar value below n. A plain
// (unquoted, untagged) scalar that changed is re-resolved, so
// `failures_before_notice: ${N}` is an integer and an empty expansion is
// absent; a quoted one stays a string.
func cfgExpandNode(n *yaml.Node, getenv func(string) string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			cfgExpandNode(c, getenv)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			cfgExpandNode(n.Content[i], getenv)
		}
	case yaml.ScalarNode:
		v := cfgExpand(n.Value, getenv)
		if v == n.Value {
			return
		}
		n.Value = v
		if n.Style&(yaml.TaggedStyle|yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = ""
		}
	}
}

var cfgVarRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// cfgExpand expands ${VAR} and ${VAR:-default} (default when VAR is unset
// or empty) in s; "$${" is a literal "${" and anything else is left alone.
func cfgExpand(s string, getenv func(string) string) string {
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
		m := cfgVarRef.FindStringSubmatchIndex(s)
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

func cfgIsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// cfgYAMLName is a struct field's yaml key, "" when it has none.
func cfgYAMLName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// cfgDecode decodes n into v, which is a section struct or a leaf value,
// appending one problem per bad key. Null nodes leave v as it is.
func cfgDecode(file string, n *yaml.Node, v reflect.Value, key string, problems *[]string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if cfgIsNull(n) {
		return
	}
	at := func(format string, args ...any) {
		*problems = append(*problems, fmt.Sprintf("%s:%d: ", file, n.Line)+fmt.Sprintf(format, args...))
	}
	if v.Kind() != reflect.Struct {
		if err := cfgDecodeLeaf(n, v); err != nil {
			at("%s: %v", key, err)
		}
		return
	}
	if n.Kind != yaml.MappingNode {
		if key == "" {
			at("want a mapping of sections")
		} else {
			at("%s: want a mapping of keys, got %s", key, cfgKind(n))
		}
		return
	}
	t := v.Type()
	fields := map[string]int{}
	var names []string
	for i := range t.NumField() {
		if name := cfgYAMLName(t.Field(i)); name != "" {
			fields[name] = i
			names = append(names, name)
		}
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			*problems = append(*problems, fmt.Sprintf("%s:%d: %s: keys must be plain names", file, k.Line, cfgJoin(key, "?")))
			continue
		}
		full := cfgJoin(key, k.Value)
		if k.ShortTag() == "!!merge" {
			*problems = append(*problems, fmt.Sprintf("%s:%d: %s: merge keys (<<) are not supported", file, k.Line, full))
			continue
		}
		idx, ok := fields[k.Value]
		if !ok && cfgLooksSecret(k.Value) {
			*problems = append(*problems, fmt.Sprintf("%s:%d: %s: a key that looks like a token (is a value misplaced?)", file, k.Line, cfgJoin(key, "?")))
			continue
		}
		if !ok {
			msg := fmt.Sprintf("%s:%d: unknown key %q", file, k.Line, full)
			if s := cfgClosest(k.Value, names); s != "" {
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
		cfgDecode(file, val, v.Field(idx), full, problems)
	}
}

// cfgLooksSecret reports whether s starts like a Slack token, so that a
// secret misplaced as a key is not echoed.
func cfgLooksSecret(s string) bool {
	for _, p := range cfgTokenPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// cfgQuote quotes a value for an error message, unless it looks like a
// token pasted into the wrong key: errors go to terminals and CI logs.
func cfgQuote(s string) string {
	if cfgLooksSecret(s) {
		return "a value that looks like a token"
	}
	return strconv.Quote(s)
}

func cfgJoin(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// cfgDecodeLeaf decodes a non-null node into a leaf field. Its errors never
// quote a Secret's value.
func cfgDecodeLeaf(n *yaml.Node, v reflect.Value) error {
	switch p := v.Addr().Interface().(type) {
	case *Secret:
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("want a string, got %s", cfgKind(n))
		}
		*p = Secret(strings.TrimSpace(n.Value))
	case *Duration:
		return p.UnmarshalYAML(n)
	case *ByteSize:
		return p.UnmarshalYAML(n)
	case *string:
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("want a string, got %s", cfgKind(n))
		}
		*p = n.Value
	case *bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			return fmt.Errorf("want true or false, got %s", cfgKind(n))
		}
		*p = b
	case *int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			return fmt.Errorf("want a whole number, got %s", cfgKind(n))
		}
		*p = i
	case *float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || n.Decode(&f) != nil {
			return fmt.Errorf("want a number, got %s", cfgKind(n))
		}
		*p = f
	case *[]string:
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("want a list like [A1, B2], got %s", cfgKind(n))
		}
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind == yaml.AliasNode && c.Alias != nil {
				c = c.Alias
			}
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("item %d: want a string, got %s", len(out), cfgKind(c))
			}
			out = append(out, c.Value)
		}
		*p = out
	default:
		return fmt.Errorf("cannot decode into %s", v.Type())
	}
	return nil
}

// cfgKind describes a node for an error message. Scalars are quoted; only
// call it for nodes that are not secrets, or that are not scalars.
func cfgKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return cfgQuote(n.Value)
	}
	return "something else"
}

// cfgClosest is the name within edit distance 2 of s, if any.
func cfgClosest(s string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := cfgEditDistance(s, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

func cfgEditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var (
	cfgChannelID     = regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`)
	cfgUserID        = regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`)
	cfgAnyChannelID  = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)
	cfgTokenPrefixes = []string{"xapp-", "xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxs-", "xoxr-"}
)

// Validate returns every problem in c, one per entry, each naming its key.
// The omnidim, slack and store sections are checked only when need asks
// for them; poll, alerts and http are always checked. It never quotes a
// secret.
func (c *Config) Validate(need Need) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	secret := func(i int, prefix string) {
		s := cfgSecrets[i]
		v := string(*s.get(c))
		switch {
		case v == "":
			bad(s.key, "empty (set it or %s)", s.env)
		case !strings.HasPrefix(v, prefix):
			msg := fmt.Sprintf("must start with %q", prefix)
			for _, p := range cfgTokenPrefixes {
				if strings.HasPrefix(v, p) {
					msg += fmt.Sprintf(" (this one starts with %q)", p)
				}
			}
			bad(s.key, "%s", msg)
		case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			bad(s.key, "holds spaces or control characters")
		}
	}
	httpURL := func(key, v string) {
		u, err := url.Parse(v)
		switch {
		case v == "":
			bad(key, "empty")
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			bad(key, "not an http(s) URL")
		}
	}
	duration := func(key string, d Duration) bool {
		if d < 0 {
			bad(key, "must not be negative")
			return false
		}
		return true
	}
	share := func(key string, f float64) {
		if !(f >= 0 && f <= 1) {
			bad(key, "must be between 0 and 1")
		}
	}

	if need&NeedOmnidim != 0 {
		o := &c.Omnidim
		httpURL("omnidim.base_url", o.BaseURL)
		secret(0, "")
		switch {
		case o.Timeout <= 0:
			bad("omnidim.timeout", "must be positive")
		case time.Duration(o.Timeout) > 10*time.Minute:
			bad("omnidim.timeout", "must be at most 10m")
		}
		if o.MaxBody < 1<<20 {
			bad("omnidim.max_body", "must be at least 1MiB")
		}
	}
	if need&NeedSlack != 0 {
		s := &c.Slack
		secret(1, "xapp-")
		secret(2, "xoxb-")
		httpURL("slack.api_url", s.APIURL)
		switch ch := s.AlertChannel; {
		case ch == "":
			bad("slack.alert_channel", "empty")
		case strings.HasPrefix(ch, "#"):
			bad("slack.alert_channel", "use the channel ID (C…), not its name")
		case !cfgChannelID.MatchString(ch):
			bad("slack.alert_channel", "%s is not a channel ID (C… or G…)", cfgQuote(ch))
		}
		for i, id := range s.AllowedUserIDs {
			key := fmt.Sprintf("slack.allowed_user_ids[%d]", i)
			switch {
			case strings.HasPrefix(id, "@"):
				bad(key, "use the member ID (U…), not a name")
			case !cfgUserID.MatchString(id):
				bad(key, "%s is not a user ID (U… or W…)", cfgQuote(id))
			}
		}
		for i, id := range s.AllowedChannelIDs {
			key := fmt.Sprintf("slack.allowed_channel_ids[%d]", i)
			switch {
			case strings.HasPrefix(id, "#"):
				bad(key, "use the channel ID (C…), not its name")
			case !cfgAnyChannelID.MatchString(id):
				bad(key, "%s is not a channel ID (C…, G… or D…)", cfgQuote(id))
			}
		}
	}
	if need&NeedStore != 0 {
		if c.Store.Path == "" {
			bad("store.path", "empty")
		}
		duration("store.history", c.Store.History)
	}

	if c.Poll.Interval < Duration(time.Second) {
		bad("poll.interval", "must be at least 1s")
	}
	if c.Poll.FailuresBeforeNotice < 1 {
		bad("poll.failures_before_notice", "must be at least 1")
	}
	lb := &c.Alerts.LowBalance
	if !(lb.Below >= 0) || math.IsInf(lb.Below, 0) {
		bad("alerts.low_balance.below", "must be a number, 0 or more")
	}
	duration("alerts.low_balance.runway_below", lb.RunwayBelow)
	duration("alerts.low_balance.repeat_every", lb.RepeatEvery)
	share("alerts.low_balance.recover_margin", lb.RecoverMargin)
	share("alerts.mass_removal_share", c.Alerts.MassRemovalShare)
	if l := c.HTTP.Listen; l != "" {
		if _, port, err := net.SplitHostPort(l); err != nil || port == "" {
			bad("http.listen", `want host:port like 127.0.0.1:9464, or "" to disable`)
		}
	}
	return errs
}

// WarnInlineSecrets returns one warning per secret held inline in the
// config file at path when that file is readable by its group or others
// (mode & 0o077 != 0). raw is the file's contents before expansion; when
// nil the file is read. A secret counts as inline unless its value is empty
// or exactly one ${VAR} reference (a ${VAR:-default} with a non-empty
// default is inline). It stays silent when the file cannot be read or
// parsed (LoadConfig reports that) and on Windows.
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
	for _, s := range cfgSecrets {
		n := cfgLookup(doc.Content[0], strings.Split(s.key, "."))
		if n == nil || n.Kind != yaml.ScalarNode || cfgIsNull(n) || strings.TrimSpace(n.Value) == "" {
			continue
		}
		if m := cfgVarRef.FindStringSubmatch(n.Value); m != nil && len(m[0]) == len(n.Value) && m[2] == "" {
			continue
		}
		warns = append(warns, fmt.Sprintf("%s: readable by others (mode %04o) and holds %s inline; chmod 600 it or use ${%s}",
			path, fi.Mode().Perm(), s.key, s.env))
	}
	return warns
}

// cfgLookup follows keys through nested mappings below n.
func cfgLookup(n *yaml.Node, keys []string) *yaml.Node {
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

// Secret is a string that never prints: fmt (every verb), slog, JSON, text
// and YAML marshalling all give "[redacted]", or "(empty)" from fmt and slog
// when it is empty (marshalling gives "" then). Reveal returns the value.
type Secret string

const cfgRedacted = "[redacted]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string {
	if s == "" {
		return "(empty)"
	}
	return cfgRedacted
}

func (s Secret) GoString() string { return s.String() }

// Format makes every fmt verb, %d and %x included, print String.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

func (s Secret) MarshalText() ([]byte, error) {
	if s == "" {
		return []byte{}, nil
	}
	return []byte(cfgRedacted), nil
}

func (s Secret) MarshalYAML() (any, error) {
	b, _ := s.MarshalText()
	return string(b), nil
}

// Duration is a time.Duration written as "20s", "5m" or "720h" in YAML (a
// bare 0 is accepted too). Validate rejects negative durations.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String is d without zero trailing units: "5m", "720h", "1h30m", "20s".
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

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := cfgParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a duration like 20s, 5m or 720h, got %s", cfgKind(n))
	}
	return d.UnmarshalText([]byte(n.Value))
}

func cfgParseDuration(s string) (Duration, error) {
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
		return 0, fmt.Errorf("want a duration like 20s, 5m or 720h, got %s%s", cfgQuote(s), hint)
	}
	return Duration(v), nil
}

// ByteSize is a number of bytes written as "256MiB", "64MB", "10KiB" or a
// plain 1048576. Units are case-insensitive; K, M, G, T and KB… are powers
// of 1000, KiB… powers of 1024.
type ByteSize int64

var cfgByteUnits = []struct {
	name string
	n    int64
}{
	{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9},
	{"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3},
}

// String is the largest unit that holds b exactly: "256MiB", "64MB", "1000".
func (b ByteSize) String() string {
	if b != 0 {
		for _, u := range cfgByteUnits {
			if b%ByteSize(u.n) == 0 {
				return strconv.FormatInt(int64(b)/u.n, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

func (b *ByteSize) UnmarshalText(t []byte) error {
	v, err := cfgParseByteSize(string(t))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a size like 256MiB, 64MB or 1048576, got %s", cfgKind(n))
	}
	return b.UnmarshalText([]byte(n.Value))
}

var cfgByteSize = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?([A-Za-z]*)$`)

func cfgParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("want a size like 256MiB, 64MB or 1048576, got %s", cfgQuote(s))
	m := cfgByteSize.FindStringSubmatch(s)
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
		for _, x := range cfgByteUnits {
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
			return 0, fmt.Errorf("%s is too large", cfgQuote(s))
		}
		return ByteSize(n * mult), nil
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, bad
	}
	v := math.Round(f * float64(mult))
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("%s is too large", cfgQuote(s))
	}
	return ByteSize(v), nil
}

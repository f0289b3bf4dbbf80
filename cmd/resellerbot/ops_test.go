package main

// Tests of the deployment files at the repository root and in deploy/: the
// Dockerfile, .dockerignore, the Slack app manifest, the systemd unit, the
// Kubernetes manifest and the Prometheus rules. They check what can be
// checked without Docker, a cluster or Slack: that the files agree with the
// code and with each other, and, where the tool is installed
// (systemd-analyze, promtool), what that tool says.

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni"
)

// opsRoot is the repository root: the nearest directory above the test's
// working directory holding go.mod.
func opsRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

func opsRead(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(opsRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// --- Dockerfile ---

// opsDockerInstr is one Dockerfile instruction, continuation lines joined.
type opsDockerInstr struct {
	line int    // where it starts
	cmd  string // upper case: FROM, RUN, …
	args string // the rest, trimmed
}

// opsDockerStage is a FROM and the instructions up to the next FROM.
type opsDockerStage struct {
	from   opsDockerInstr
	image  string // the image (or earlier stage) it starts from
	name   string // AS name, if any
	instrs []opsDockerInstr
}

// find returns the stage's instructions named cmd.
func (s *opsDockerStage) find(cmd string) []opsDockerInstr {
	var out []opsDockerInstr
	for _, in := range s.instrs {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// opsParseDockerfile splits a Dockerfile into instructions the way Docker
// does for the default escape character: a line ending in a backslash
// continues on the next one, comment lines (also inside a continuation)
// and blank lines are skipped.
func opsParseDockerfile(src string) (global []opsDockerInstr, stages []opsDockerStage, err error) {
	var (
		cur     strings.Builder
		start   int
		pending bool
	)
	emit := func() error {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		pending = false
		if text == "" {
			return nil
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := opsDockerInstr{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			fields := strings.Fields(in.args)
			for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
				fields = fields[1:]
			}
			if len(fields) == 0 {
				return fmt.Errorf("line %d: FROM without an image", start)
			}
			st := opsDockerStage{from: in, image: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			} else if len(fields) != 1 {
				return fmt.Errorf("line %d: FROM %s: want IMAGE [AS NAME]", start, in.args)
			}
			stages = append(stages, st)
			return nil
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				return fmt.Errorf("line %d: %s before the first FROM", start, in.cmd)
			}
			global = append(global, in)
			return nil
		}
		stages[len(stages)-1].instrs = append(stages[len(stages)-1].instrs, in)
		return nil
	}
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if !pending {
			start = n
		}
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			cur.WriteString(body)
			cur.WriteByte(' ')
			pending = true
			continue
		}
		cur.WriteString(line)
		if err := emit(); err != nil {
			return nil, nil, err
		}
	}
	if pending {
		return nil, nil, errors.New("the last instruction ends in a line continuation")
	}
	return global, stages, sc.Err()
}

// opsExecForm decodes an exec-form argument (["a", "b"]), failing on the shell
// form.
func opsExecForm(t *testing.T, in opsDockerInstr, args string) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		t.Fatalf("line %d: %s %s: want the exec form [\"…\", …]: %v", in.line, in.cmd, args, err)
	}
	return v
}

// opsDockerBuild is what the tests need from the Dockerfile's build stage.
type opsDockerBuild struct {
	stages []opsDockerStage
	final  *opsDockerStage
	// goBuild is the RUN holding `go build`; ldflags its -ldflags value.
	goBuild opsDockerInstr
	ldflags string
}

var opsDockerLdflags = regexp.MustCompile(`-ldflags[ =]"([^"]*)"`)

func opsLoadDockerfile(t *testing.T) opsDockerBuild {
	t.Helper()
	_, stages, err := opsParseDockerfile(opsRead(t, "Dockerfile"))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stages; want a build stage and a final one", len(stages))
	}
	d := opsDockerBuild{stages: stages, final: &stages[len(stages)-1]}
	found := 0
	for _, st := range stages[:len(stages)-1] {
		for _, in := range st.find("RUN") {
			if strings.Contains(in.args, "go build") {
				d.goBuild = in
				found++
			}
		}
	}
	if found != 1 {
		t.Fatalf("Dockerfile: %d RUN go build in the build stages; want 1", found)
	}
	m := opsDockerLdflags.FindStringSubmatch(d.goBuild.args)
	if m == nil {
		t.Fatalf("Dockerfile line %d: go build without -ldflags \"…\"", d.goBuild.line)
	}
	d.ldflags = m[1]
	return d
}

// opsDockerConfig is deploy/config.docker.yaml, loaded as in the container
// with every variable it needs set.
func opsDockerConfig(t *testing.T, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join(opsRoot(t), "deploy", "config.docker.yaml"), func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("deploy/config.docker.yaml: %v", err)
	}
	return cfg
}

var opsEnv = map[string]string{
	"OMNIDIM_API_KEY":     "omni-test-key",
	"SLACK_APP_TOKEN":     "xapp-1-test",
	"SLACK_BOT_TOKEN":     "xoxb-test",
	"SLACK_ALERT_CHANNEL": "C0123456789",
}

func TestDockerfile(t *testing.T) {
	d := opsLoadDockerfile(t)
	cfg := opsDockerConfig(t, opsEnv)

	t.Run("build stage", func(t *testing.T) {
		build := d.goBuild.args
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "./cmd/resellerbot"} {
			if !strings.Contains(build, want) {
				t.Errorf("Dockerfile line %d: go build lacks %s: %s", d.goBuild.line, want, build)
			}
		}
		// ARG VERSION with a default, in the stage that builds.
		var st *opsDockerStage
		for i := range d.stages {
			if slices.ContainsFunc(d.stages[i].instrs, func(in opsDockerInstr) bool { return in.line == d.goBuild.line }) {
				st = &d.stages[i]
			}
		}
		if !slices.ContainsFunc(st.find("ARG"), func(in opsDockerInstr) bool { return in.args == "VERSION=dev" }) {
			t.Error("the build stage has no ARG VERSION=dev")
		}
		if !strings.HasPrefix(st.image, "golang:1.26") {
			t.Errorf("build stage FROM %s; want golang:1.26…", st.image)
		}
		// go.mod and go.sum are copied and downloaded before the sources,
		// so that the module layer survives source edits.
		order := map[string]int{}
		for i, in := range st.instrs {
			switch {
			case in.cmd == "COPY" && strings.Fields(in.args)[0] == "go.mod" && strings.Contains(in.args, "go.sum"):
				order["copy mod"] = i + 1
			case in.cmd == "RUN" && strings.Contains(in.args, "go mod download"):
				order["download"] = i + 1
			case in.cmd == "COPY" && strings.HasPrefix(in.args, ". "):
				order["copy all"] = i + 1
			case in.line == d.goBuild.line:
				order["build"] = i + 1
			}
		}
		if !(order["copy mod"] > 0 && order["copy mod"] < order["download"] && order["download"] < order["copy all"] && order["copy all"] < order["build"]) {
			t.Errorf("build stage order %v; want COPY go.mod go.sum, RUN go mod download, COPY . ., RUN go build", order)
		}
	})

	t.Run("final stage", func(t *testing.T) {
		f := d.final
		if !strings.HasPrefix(f.image, "gcr.io/distroless/static") && f.image != "scratch" {
			t.Errorf("final stage FROM %s; want distroless static or scratch", f.image)
		}
		users := f.find("USER")
		if len(users) == 0 && !strings.HasSuffix(f.image, ":nonroot") {
			t.Error("final stage has no USER")
		}
		for _, u := range users {
			name, _, _ := strings.Cut(u.args, ":")
			if name == "" || name == "0" || name == "root" {
				t.Errorf("line %d: USER %s; want a non-root user", u.line, u.args)
			}
		}

		// The binary lands on PATH for ENTRYPOINT ["resellerbot"].
		copies := map[string]string{} // destination → instruction
		for _, in := range f.find("COPY") {
			var args []string
			for _, a := range strings.Fields(in.args) {
				if !strings.HasPrefix(a, "--") {
					args = append(args, a)
				}
			}
			copies[args[len(args)-1]] = in.args
		}
		if _, ok := copies["/usr/local/bin/resellerbot"]; !ok {
			t.Errorf("final stage copies nothing to /usr/local/bin/resellerbot (a PATH directory); COPYs: %v", copies)
		}
		if src := copies["/etc/resellerbot/config.yaml"]; !strings.HasPrefix(src, "deploy/config.docker.yaml ") {
			t.Errorf("/etc/resellerbot/config.yaml comes from %q; want deploy/config.docker.yaml", src)
		}

		storeDir := path.Dir(cfg.Store.Path)
		var volumes []string
		for _, in := range f.find("VOLUME") {
			if strings.HasPrefix(in.args, "[") {
				volumes = append(volumes, opsExecForm(t, in, in.args)...)
			} else {
				volumes = append(volumes, strings.Fields(in.args)...)
			}
		}
		if !slices.Contains(volumes, storeDir) {
			t.Errorf("VOLUME %v; want the store's directory %s (store.path %s in deploy/config.docker.yaml)", volumes, storeDir, cfg.Store.Path)
		}
		// The volume's directory is created owned by the image's user, so
		// that a fresh named volume is writable.
		if !slices.ContainsFunc(f.find("COPY"), func(in opsDockerInstr) bool {
			return strings.Contains(in.args, "--chown=65532:65532") && strings.Contains(in.args, "/var/lib/")
		}) {
			t.Error("final stage does not create the store directory owned by 65532")
		}

		var entry, cmd []string
		for _, in := range f.find("ENTRYPOINT") {
			entry = opsExecForm(t, in, in.args)
		}
		for _, in := range f.find("CMD") {
			cmd = opsExecForm(t, in, in.args)
		}
		if !slices.Equal(entry, []string{"resellerbot"}) {
			t.Errorf("ENTRYPOINT %q; want [\"resellerbot\"]", entry)
		}
		if want := []string{"run", "--config", "/etc/resellerbot/config.yaml"}; !slices.Equal(cmd, want) {
			t.Errorf("CMD %q; want %q", cmd, want)
		}

		hc := f.find("HEALTHCHECK")
		if len(hc) != 1 {
			t.Fatalf("final stage has %d HEALTHCHECKs; want 1", len(hc))
		}
		fields := strings.Fields(hc[0].args)
		i := slices.Index(fields, "CMD")
		if i < 0 {
			t.Fatalf("HEALTHCHECK %s: no CMD", hc[0].args)
		}
		for _, opt := range fields[:i] {
			if !strings.HasPrefix(opt, "--") {
				t.Errorf("HEALTHCHECK option %q", opt)
			}
		}
		probe := opsExecForm(t, hc[0], strings.Join(fields[i+1:], " "))
		if len(probe) < 2 || probe[0] != "resellerbot" || probe[1] != "healthcheck" {
			t.Errorf("HEALTHCHECK CMD %q; want [\"resellerbot\", \"healthcheck\", …]", probe)
		}
		// Without --url the probe asks 127.0.0.1:9464: the config must
		// listen there too.
		if !slices.ContainsFunc(probe, func(a string) bool { return strings.HasPrefix(a, "--url") }) {
			host, port, err := net.SplitHostPort(cfg.HTTP.Listen)
			if err != nil || port != "9464" || (host != "0.0.0.0" && host != "" && host != "127.0.0.1") {
				t.Errorf("http.listen %q is not reachable at the healthcheck's default 127.0.0.1:9464", cfg.HTTP.Listen)
			}
		}

		var exposed []string
		for _, in := range f.find("EXPOSE") {
			exposed = append(exposed, strings.Fields(in.args)...)
		}
		if _, port, _ := net.SplitHostPort(cfg.HTTP.Listen); !slices.Contains(exposed, port) && !slices.Contains(exposed, port+"/tcp") {
			t.Errorf("EXPOSE %v; want %s (http.listen %s)", exposed, port, cfg.HTTP.Listen)
		}
	})
}

func TestDockerfileParser(t *testing.T) {
	src := "# syntax=docker/dockerfile:1\nARG X=1\nFROM a:1 AS b\nRUN one \\\n  # a comment inside\n  two \\\n  three\n\nfrom scratch\nCMD [\"x\"]\n"
	global, stages, err := opsParseDockerfile(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(global) != 1 || len(stages) != 2 || stages[0].name != "b" || stages[1].image != "scratch" {
		t.Fatalf("global %+v, stages %+v", global, stages)
	}
	if run := stages[0].instrs[0]; run.line != 4 || strings.Join(strings.Fields(run.args), " ") != "one two three" {
		t.Errorf("RUN: %+v", run)
	}
	for _, bad := range []string{"RUN x\n", "FROM\n", "FROM a b\n", "FROM a\nRUN x \\\n"} {
		if _, _, err := opsParseDockerfile(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestDockerConfig(t *testing.T) {
	cfg := opsDockerConfig(t, opsEnv)
	if errs := cfg.Validate(config.NeedOmnidim | config.NeedSlack | config.NeedStore); len(errs) > 0 {
		t.Errorf("deploy/config.docker.yaml does not validate: %v", errs)
	}
	if cfg.Store.Path != "/var/lib/resellerbot/resellerbot.db" || cfg.HTTP.Listen != "0.0.0.0:9464" || cfg.Slack.AlertChannel != "C0123456789" {
		t.Errorf("store.path %q, http.listen %q, slack.alert_channel %q", cfg.Store.Path, cfg.HTTP.Listen, cfg.Slack.AlertChannel)
	}
	if cfg.Omnidim.APIKey.Reveal() != opsEnv["OMNIDIM_API_KEY"] || cfg.Slack.AppToken.Reveal() != opsEnv["SLACK_APP_TOKEN"] || cfg.Slack.BotToken.Reveal() != opsEnv["SLACK_BOT_TOKEN"] {
		t.Error("the secrets are not taken from the environment")
	}
	if w := config.WarnInlineSecrets(filepath.Join(opsRoot(t), "deploy", "config.docker.yaml"), nil); len(w) > 0 {
		t.Errorf("inline secrets: %v", w)
	}
	// Without SLACK_ALERT_CHANNEL the container refuses to start, naming it.
	cfg = opsDockerConfig(t, map[string]string{"OMNIDIM_API_KEY": "k", "SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1"})
	if errs := cfg.Validate(config.NeedOmnidim | config.NeedSlack | config.NeedStore); len(errs) != 1 || !strings.Contains(errs[0].Error(), "slack.alert_channel") {
		t.Errorf("without SLACK_ALERT_CHANNEL: %v", errs)
	}
}

// opsDockerignore is a .dockerignore, matched as Docker does: patterns are
// slash-separated paths relative to the context, * and ? stay within one
// path element, ** spans any number, a pattern matching a directory
// excludes everything below it, and the last matching pattern wins (! keeps
// what an earlier one excluded).
type opsDockerignore []struct {
	keep bool
	re   *regexp.Regexp
}

func opsParseDockerignore(src string) opsDockerignore {
	var d opsDockerignore
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		keep := strings.HasPrefix(line, "!")
		line = path.Clean(strings.TrimPrefix(strings.TrimPrefix(line, "!"), "/"))
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(line); i++ {
			switch c := line[i]; {
			case strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(?:.*/)?")
				i += 2
			case strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("(?:/.*)?$")
		d = append(d, struct {
			keep bool
			re   *regexp.Regexp
		}{keep, regexp.MustCompile(re.String())})
	}
	return d
}

func (d opsDockerignore) excluded(rel string) bool {
	out := false
	for _, p := range d {
		if p.re.MatchString(rel) {
			out = !p.keep
		}
	}
	return out
}

func TestDockerignore(t *testing.T) {
	root := opsRoot(t)
	ign := opsParseDockerignore(opsRead(t, ".dockerignore"))

	for _, rel := range []string{".git/HEAD", "resellerbot", "x/y/store.db", "Dockerfile", "deploy/kubernetes.yaml", "omni/x.test", "cpu.prof"} {
		if !ign.excluded(rel) {
			t.Errorf("%s is sent to the Docker build", rel)
		}
	}
	// What the build needs: go.mod, go.sum, the default config, and the Go
	// and embedded files of every package of this module that the binary
	// is built from.
	need := []string{"go.mod", "go.sum", "deploy/config.docker.yaml"}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the binary's files; checked the exclusions only")
	}
	list := exec.Command(goBin, "list", "-deps", "-json=Dir,Module,GoFiles,EmbedFiles", "./cmd/resellerbot")
	list.Dir = root
	list.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	var stderr bytes.Buffer
	list.Stderr = &stderr
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var pkg struct {
			Dir                 string
			Module              *struct{ Path string }
			GoFiles, EmbedFiles []string
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatal(err)
		}
		if pkg.Module == nil || pkg.Module.Path != "github.com/resellerbot/resellerbot" {
			continue
		}
		for _, f := range slices.Concat(pkg.GoFiles, pkg.EmbedFiles) {
			rel, err := filepath.Rel(root, filepath.Join(pkg.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			need = append(need, filepath.ToSlash(rel))
		}
	}
	if len(need) < 10 {
		t.Fatalf("go list found only %v", need)
	}
	for _, rel := range need {
		if ign.excluded(rel) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", rel)
		}
	}
}

// TestDockerBuildStampsVersionAndHealthcheck builds the binary as the
// Dockerfile does (its own -ldflags, -trimpath, CGO_ENABLED=0) and runs
// `version` and `healthcheck`, the image's HEALTHCHECK.
func TestDockerBuildStampsVersionAndHealthcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	d := opsLoadDockerfile(t)
	const version = "v9.9.9-test"
	ldflags := strings.ReplaceAll(strings.ReplaceAll(d.ldflags, "${VERSION}", version), "$VERSION", version)
	bin := filepath.Join(t.TempDir(), "resellerbot")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command(goBin, "build", "-trimpath", "-ldflags", ldflags, "-o", bin, "./cmd/resellerbot")
	build.Dir = opsRoot(t)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -trimpath -ldflags %q: %v\n%s", ldflags, err, out)
	}
	t.Logf("built in %s", time.Since(start).Round(time.Millisecond))

	runBin := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return out.String(), 0
		case errors.As(err, &ee):
			return out.String(), ee.ExitCode()
		}
		t.Fatalf("%s %v: %v", bin, args, err)
		return "", -1
	}

	if out, code := runBin("version"); code != 0 || !strings.HasPrefix(out, "resellerbot "+version+" ") {
		t.Errorf("version: exit %d, %q; want resellerbot %s …", code, out, version)
	}

	// Static: no dynamic loader, no shared libraries (distroless static
	// has no libc).
	if runtime.GOOS == "linux" {
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary asks for a dynamic loader; want a static binary")
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("the binary links %v; want a static binary", libs)
		}
		if syms, err := f.Symbols(); err == nil && len(syms) > 0 {
			t.Error("the binary has a symbol table; -s should strip it")
		}
	}

	// Atomic: the race detector cannot see that the subprocess orders the
	// handler after the store.
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()

	if out, code := runBin("healthcheck", "--url", srv.URL+"/healthz"); code != 0 || strings.TrimSpace(out) != "ok" {
		t.Errorf("healthcheck of a 200: exit %d, %q; want 0, ok", code, out)
	}
	status.Store(http.StatusServiceUnavailable)
	if out, code := runBin("healthcheck", "--url", srv.URL+"/healthz"); code != 1 || !strings.Contains(out, "503") {
		t.Errorf("healthcheck of a 503: exit %d, %q; want 1 naming the status", code, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/healthz"
	ln.Close()
	if out, code := runBin("healthcheck", "--url", closed, "--timeout", "2s"); code != 1 {
		t.Errorf("healthcheck of a closed port: exit %d, %q; want 1", code, out)
	}
}

// --- Slack app manifest ---

// opsSlackManifest is the part of Slack's app manifest schema manifest.yaml
// uses; decoding is strict, so a misspelt key fails the test.
type opsSlackManifest struct {
	Metadata struct {
		MajorVersion int `yaml:"major_version"`
		MinorVersion int `yaml:"minor_version"`
	} `yaml:"_metadata"`
	DisplayInformation struct {
		Name            string `yaml:"name"`
		Description     string `yaml:"description"`
		LongDescription string `yaml:"long_description"`
		BackgroundColor string `yaml:"background_color"`
	} `yaml:"display_information"`
	Features struct {
		AppHome struct {
			HomeTabEnabled     bool `yaml:"home_tab_enabled"`
			MessagesTabEnabled bool `yaml:"messages_tab_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName  string `yaml:"display_name"`
			AlwaysOnline bool   `yaml:"always_online"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape *bool  `yaml:"should_escape"`
			URL          string `yaml:"url"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		SocketModeEnabled bool `yaml:"socket_mode_enabled"`
		Interactivity     struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		EventSubscriptions *struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		OrgDeployEnabled     bool `yaml:"org_deploy_enabled"`
		TokenRotationEnabled bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

func TestSlackManifest(t *testing.T) {
	dec := yaml.NewDecoder(strings.NewReader(opsRead(t, "manifest.yaml")))
	dec.KnownFields(true)
	var m opsSlackManifest
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	if !m.Settings.SocketModeEnabled {
		t.Error("settings.socket_mode_enabled is not true")
	}
	if m.Settings.Interactivity.RequestURL != "" || m.Settings.TokenRotationEnabled {
		t.Error("socket mode: want no request URL and no token rotation")
	}
	// The Home tab: enabled, and its opening the one event subscribed to,
	// over the socket (no request URL).
	if ev := m.Settings.EventSubscriptions; ev == nil || ev.RequestURL != "" || !slices.Equal(ev.BotEvents, []string{"app_home_opened"}) {
		t.Errorf("event_subscriptions %+v: want bot_events [app_home_opened] and no request URL", ev)
	}
	if !m.Features.AppHome.HomeTabEnabled {
		t.Error("features.app_home.home_tab_enabled is not true")
	}
	if n := m.DisplayInformation.Name; n == "" || len(n) > 35 {
		t.Errorf("display_information.name %q: want 1 to 35 characters", n)
	}
	if m.Features.BotUser.DisplayName != "resellerbot" {
		t.Errorf("bot_user.display_name %q", m.Features.BotUser.DisplayName)
	}

	want := map[string][2]string{ // command → description, usage hint
		"/orgs":   {"Every org, riskiest first", "[low] [page N]"},
		"/org":    {"One org and all its users", "NAME or ID"},
		"/digest": {"The daily digest, now", ""},
		// The actions of issue 12.
		"/topup":       {"Sell minutes to an org (previewed, confirmed)", "ORG MINUTES"},
		"/revert":      {"Take unused minutes back from an org", "ORG MINUTES"},
		"/concurrency": {"Set an org's concurrent call limit", "ORG LIMIT"},
		"/access":      {"Switch one dashboard menu of a user", "ORG USER FLAG on|off"},
		"/expiry":      {"Set or clear a user's expiry", "ORG USER YYYY-MM-DD|never"},
		"/credits":     {"The vendor's credit logs, newest first", "[ORG] [page N]"},
		"/audit":       {"What was changed from Slack", "[page N]"},
		"/snoozes":     {"Alerts whose reminders are snoozed", ""},
		"/unsnooze":    {"Turn an org's low-balance reminders back on", "NAME or ID"},
	}
	got := map[string][2]string{}
	for _, c := range m.Features.SlashCommands {
		if _, dup := got[c.Command]; dup {
			t.Errorf("%s twice", c.Command)
		}
		got[c.Command] = [2]string{c.Description, c.UsageHint}
		if c.URL != "" {
			t.Errorf("%s has a url; socket mode needs none", c.Command)
		}
		if c.ShouldEscape == nil || *c.ShouldEscape {
			t.Errorf("%s: want should_escape: false (the bot matches org names as typed)", c.Command)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("slash commands %v; want %v", got, want)
	}

	scopes := slices.Sorted(slices.Values(m.OAuthConfig.Scopes.Bot))
	if wantScopes := []string{"channels:history", "chat:write", "commands", "files:write", "groups:history", "users:read"}; !slices.Equal(scopes, wantScopes) {
		t.Errorf("bot scopes %v; want exactly %v", scopes, wantScopes)
	}
	if len(m.OAuthConfig.Scopes.User) > 0 {
		t.Errorf("user scopes %v; want none", m.OAuthConfig.Scopes.User)
	}
}

// --- systemd ---

// opsSystemdUnit is a unit file's directives: section → key → values (a key
// may repeat).
func opsSystemdUnit(t *testing.T, src string) map[string]map[string][]string {
	t.Helper()
	unit := map[string]map[string][]string{}
	section := ""
	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			unit[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.HasSuffix(line, `\`) {
				t.Fatalf("line %d: %q: want Key=value inside a section, on one line", n+1, line)
			}
			unit[section][k] = append(unit[section][k], v)
		}
	}
	return unit
}

func TestSystemdUnit(t *testing.T) {
	src := opsRead(t, "deploy/resellerbot.service")
	unit := opsSystemdUnit(t, src)
	svc := unit["Service"]
	for k, want := range map[string]string{
		"Type":             "simple",
		"User":             "resellerbot",
		"StateDirectory":   "resellerbot",
		"WorkingDirectory": "/var/lib/resellerbot",
		"EnvironmentFile":  "/etc/resellerbot/env",
		"ExecStart":        "/usr/local/bin/resellerbot run --config /etc/resellerbot/config.yaml",
		"Restart":          "on-failure",
		"NoNewPrivileges":  "yes",
		"ProtectSystem":    "strict",
		"ProtectHome":      "yes",
		"PrivateTmp":       "yes",
		"ReadWritePaths":   "/var/lib/resellerbot",
	} {
		if got := svc[k]; !slices.Equal(got, []string{want}) {
			t.Errorf("[Service] %s=%q; want %q", k, got, want)
		}
	}
	if !slices.Equal(unit["Install"]["WantedBy"], []string{"multi-user.target"}) {
		t.Errorf("[Install] WantedBy=%q", unit["Install"]["WantedBy"])
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed; checked the directives only")
	}
	// systemd-analyze verify also insists that ExecStart's binary exists:
	// point it at this test's own executable.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "resellerbot.service")
	if err := os.WriteFile(copyPath, []byte(strings.Replace(src, "ExecStart=/usr/local/bin/resellerbot ", "ExecStart="+self+" ", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// verify exits 0 on directives it ignores, so any output is a failure.
	out, err := exec.Command(analyze, "verify", copyPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Exposure 2.5 of 10 or less ("OK" starts at 2.0, "MEDIUM" at 5.0).
	out, err = exec.Command(analyze, "security", "--offline=yes", "--threshold=25", copyPath).CombinedOutput()
	switch {
	case bytes.Contains(out, []byte("unrecognized option")):
		t.Logf("this systemd-analyze cannot assess units offline:\n%s", out)
	case err != nil:
		t.Errorf("systemd-analyze security: %v\n%s", err, out)
	default:
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Log(lines[len(lines)-1])
	}
}

// --- Kubernetes ---

// opsDig follows map keys and list indexes through decoded YAML.
func opsDig(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestKubernetesManifest(t *testing.T) {
	dec := yaml.NewDecoder(strings.NewReader(opsRead(t, "deploy/kubernetes.yaml")))
	objs := map[string]map[string]any{} // kind → object
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("deploy/kubernetes.yaml: %v", err)
		}
		kind, _ := obj["kind"].(string)
		if _, dup := objs[kind]; dup || kind == "" {
			t.Fatalf("deploy/kubernetes.yaml: kind %q twice or missing", kind)
		}
		objs[kind] = obj
	}
	for _, kind := range []string{"Secret", "ConfigMap", "PersistentVolumeClaim", "Deployment", "Service"} {
		if objs[kind] == nil {
			t.Fatalf("deploy/kubernetes.yaml has no %s", kind)
		}
	}
	dep := objs["Deployment"]
	name := func(kind string) any { return opsDig(objs[kind], "metadata", "name") }

	if r := opsDig(dep, "spec", "replicas"); r != 1 {
		t.Errorf("replicas %v; want 1 (the store is single-writer)", r)
	}
	if s := opsDig(dep, "spec", "strategy", "type"); s != "Recreate" {
		t.Errorf("strategy %v; want Recreate", s)
	}
	pod := opsDig(dep, "spec", "template", "spec")
	if c := opsDig(pod, "containers"); len(c.([]any)) != 1 {
		t.Fatalf("%d containers; want 1", len(c.([]any)))
	}
	ctr := opsDig(pod, "containers", 0)
	if opsDig(pod, "securityContext", "runAsNonRoot") != true || opsDig(ctr, "securityContext", "readOnlyRootFilesystem") != true ||
		opsDig(ctr, "securityContext", "allowPrivilegeEscalation") != false {
		t.Error("want runAsNonRoot, readOnlyRootFilesystem and no privilege escalation")
	}
	for _, k := range []string{"requests", "limits"} {
		if opsDig(ctr, "resources", k, "memory") == nil || opsDig(ctr, "resources", k, "cpu") == nil {
			t.Errorf("resources.%s lacks cpu or memory", k)
		}
	}
	if labels, sel := opsDig(dep, "spec", "template", "metadata", "labels"), opsDig(dep, "spec", "selector", "matchLabels"); fmt.Sprint(labels) != fmt.Sprint(sel) {
		t.Errorf("selector %v does not match the pod's labels %v", sel, labels)
	}

	// The container's environment: the Secret, plus plain values.
	env := map[string]string{}
	if opsDig(ctr, "envFrom", 0, "secretRef", "name") != name("Secret") {
		t.Errorf("envFrom does not name the Secret %v", name("Secret"))
	}
	for k, v := range opsDig(objs["Secret"], "stringData").(map[string]any) {
		env[k] = v.(string)
	}
	for _, e := range opsDig(ctr, "env").([]any) {
		if v, ok := opsDig(e, "value").(string); ok {
			env[opsDig(e, "name").(string)] = v
		}
	}

	// Volumes by name, and where each is mounted.
	volumes := map[string]any{}
	for _, v := range opsDig(pod, "volumes").([]any) {
		volumes[opsDig(v, "name").(string)] = v
	}
	mounts := map[string]any{} // mount path → volume
	for _, m := range opsDig(ctr, "volumeMounts").([]any) {
		mounts[opsDig(m, "mountPath").(string)] = volumes[opsDig(m, "name").(string)]
	}

	// The config comes from the ConfigMap, mounted where --config points,
	// and validates with that environment.
	var args []string
	for _, a := range opsDig(ctr, "args").([]any) {
		args = append(args, fmt.Sprint(a))
	}
	i := slices.Index(args, "--config")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("args %q lack --config", args)
	}
	cfgPath := args[i+1]
	if opsDig(mounts[path.Dir(cfgPath)], "configMap", "name") != name("ConfigMap") {
		t.Errorf("--config %s is not in the ConfigMap's mount", cfgPath)
	}
	raw, _ := opsDig(objs["ConfigMap"], "data", path.Base(cfgPath)).(string)
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the ConfigMap's config.yaml: %v", err)
	}
	if errs := cfg.Validate(config.NeedOmnidim | config.NeedSlack | config.NeedStore); len(errs) > 0 {
		t.Errorf("the ConfigMap's config.yaml does not validate: %v", errs)
	}

	// The store lives on the PVC.
	storeDir := path.Dir(cfg.Store.Path)
	if claim := opsDig(mounts[storeDir], "persistentVolumeClaim", "claimName"); claim == nil || claim != name("PersistentVolumeClaim") {
		t.Errorf("the store's directory %s is not the PVC %v (it is %v)", storeDir, name("PersistentVolumeClaim"), mounts[storeDir])
	}
	if !slices.Contains(opsDig(objs["PersistentVolumeClaim"], "spec", "accessModes").([]any), any("ReadWriteOnce")) {
		t.Error("the PVC is not ReadWriteOnce")
	}

	// Probes and the Service reach http.listen.
	_, port, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil || !strings.HasPrefix(cfg.HTTP.Listen, "0.0.0.0:") {
		t.Errorf("http.listen %q; want 0.0.0.0:PORT, reachable from the kubelet", cfg.HTTP.Listen)
	}
	for probe, want := range map[string]string{"livenessProbe": "/healthz", "readinessProbe": "/readyz"} {
		if p := opsDig(ctr, probe, "httpGet", "path"); p != want {
			t.Errorf("%s path %v; want %s", probe, p, want)
		}
		if p := fmt.Sprint(opsDig(ctr, probe, "httpGet", "port")); p != port {
			t.Errorf("%s port %s; want %s", probe, p, port)
		}
	}
	if p := fmt.Sprint(opsDig(ctr, "ports", 0, "containerPort")); p != port {
		t.Errorf("containerPort %s; want %s", p, port)
	}
	svc := objs["Service"]
	if fmt.Sprint(opsDig(svc, "spec", "selector")) != fmt.Sprint(opsDig(dep, "spec", "template", "metadata", "labels")) {
		t.Error("the Service does not select the pod")
	}
	if p := fmt.Sprint(opsDig(svc, "spec", "ports", 0, "port")); p != port {
		t.Errorf("Service port %s; want %s", p, port)
	}
	if a := opsDig(dep, "spec", "template", "metadata", "annotations", "prometheus.io/port"); a != port {
		t.Errorf("prometheus.io/port %v; want %s", a, port)
	}
}

// --- Prometheus ---

// opsMetricNames is every metric family the bot exports under its
// namespace, with every labelled series made to appear once.
func opsMetricNames(t *testing.T) []string {
	t.Helper()
	m := newMetrics()
	m.watch(func() float64 { return 0 }, func() bool { return true })
	m.watchParked(func() float64 { return 0 })
	m.alerts.WithLabelValues("low_balance").Inc()
	m.restore(&omni.Snapshot{PolledAt: time.Now(), Orgs: []omni.Org{{ID: 1, Name: "Acme", Balance: 10, CostPerMin: 1, Currency: "$"}}})
	fams, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range fams {
		if strings.HasPrefix(f.GetName(), namespace+"_") {
			names = append(names, f.GetName())
		}
	}
	return names
}

var opsMetricRef = regexp.MustCompile(`\bresellerbot_[a-z_]+`)

func TestPrometheusRules(t *testing.T) {
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(opsRead(t, "deploy/prometheus-rules.yaml")))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("deploy/prometheus-rules.yaml: %v", err)
	}
	known := opsMetricNames(t)
	exprs := map[string]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs[r.Alert] = r.Expr
			if r.Alert == "" || r.Expr == "" || r.For == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("rule %q: want alert, expr, for, labels.severity and annotations.summary", r.Alert)
			}
			for _, ref := range opsMetricRef.FindAllString(r.Expr, -1) {
				base := ref
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(ref, suffix); ok && slices.Contains(known, b) {
						base = b
					}
				}
				if !slices.Contains(known, base) {
					t.Errorf("rule %s uses %s, which the bot does not export", r.Alert, ref)
				}
			}
		}
	}
	// Not polling: the same window as /readyz, 3 × the default interval.
	window := fmt.Sprintf("> %d", int((3 * config.Default().Poll.Interval.D()).Seconds()))
	if e := exprs["ResellerbotNotPolling"]; !strings.Contains(e, "resellerbot_last_successful_poll_timestamp_seconds") || !strings.Contains(e, window) {
		t.Errorf("ResellerbotNotPolling: %q; want time() - resellerbot_last_successful_poll_timestamp_seconds %s", e, window)
	}
	if e := exprs["ResellerbotOutboxStuck"]; !strings.Contains(e, "resellerbot_outbox_depth") {
		t.Errorf("ResellerbotOutboxStuck: %q", e)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed; checked the structure only")
	}
	for _, args := range [][]string{
		{"check", "rules", "prometheus-rules.yaml"},
		{"test", "rules", "prometheus-rules.test.yaml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = filepath.Join(opsRoot(t), "deploy")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

var opsReadmeMetric = regexp.MustCompile("^\\| `(resellerbot_[a-z_]+)`")

// TestDeployReadmeMetrics keeps the README's metrics table in step with
// what /metrics exports.
func TestDeployReadmeMetrics(t *testing.T) {
	readme := opsRead(t, "README.md")
	_, monitor, ok := strings.Cut(readme, "\n## Monitor\n")
	if !ok {
		t.Fatal("README.md has no ## Monitor section")
	}
	if i := strings.Index(monitor, "\n## "); i >= 0 {
		monitor = monitor[:i]
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(monitor, "\n") {
		if m := opsReadmeMetric.FindStringSubmatch(line); m != nil {
			documented[m[1]] = true
		}
	}
	exported := opsMetricNames(t)
	for _, n := range exported {
		if !documented[n] {
			t.Errorf("README.md ## Monitor does not list %s", n)
		}
		delete(documented, n)
	}
	if extra := slices.Sorted(maps.Keys(documented)); len(extra) > 0 {
		t.Errorf("README.md ## Monitor lists metrics the bot does not export: %v", extra)
	}
}

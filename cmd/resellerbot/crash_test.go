//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

// The crash-safety test: the real binary is killed with SIGKILL at random
// points of its polls and deliveries, and restarted on the same store
// against the fake OmniDimension API and the fake Slack living in the test.
// Every alert must reach Slack at least once; none may reach it twice once
// Slack confirmed it, as long as the bot can read the channel's history to
// find what it posted before a crash; and the store must stay consistent.
//
// The kills are drawn from a seeded generator; the seed is logged, and
// RESELLERBOT_CRASH_SEED=N replays a run's choices (the timing of the
// processes still varies).

// crashSeedEnv names the variable that fixes the seed.
const crashSeedEnv = "RESELLERBOT_CRASH_SEED"

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it over and over; skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(crashSeedEnv); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", crashSeedEnv, s, err)
		}
	}
	t.Logf("seed %d (replay with %s=%d)", seed, crashSeedEnv, seed)
	bin := buildBot(t)

	t.Run("every alert reaches Slack exactly once when the bot can read the channel's history", func(t *testing.T) {
		runCrashes(t, bin, crashPlan{seed: seed, cycles: 12, historyWorks: true})
	})
	t.Run("every alert reaches Slack at least once when the bot lacks the history scope", func(t *testing.T) {
		runCrashes(t, bin, crashPlan{seed: seed + 1, cycles: 8, historyWorks: false})
	})
}

// buildBot builds the resellerbot binary into a temporary directory.
func buildBot(t testing.TB) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to build the binary with: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "resellerbot")
	start := time.Now()
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the binary in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

type crashPlan struct {
	seed   uint64
	cycles int
	// historyWorks false makes conversations.history and .replies fail
	// with missing_scope, so the bot cannot find what it posted.
	historyWorks bool
}

// How a cycle ends.
type killHow int

const (
	// killAnyTime kills at a random moment.
	killAnyTime killHow = iota
	// killOnAccept kills just after Slack accepted a message, before the
	// bot hears back: the window between Slack's accept and MarkSent.
	killOnAccept
	// killMidPoll kills while a poll's fetch is in flight.
	killMidPoll
	// killOnReply is killOnAccept for a thread reply: the message to look
	// for after the restart is in a thread.
	killOnReply
	// killHows counts the kinds drawn at random; killOnReply is chosen.
	killHows = killOnReply
)

func (k killHow) String() string {
	return [...]string{"at a random moment", "just after Slack accepted a message", "during a poll",
		"just after Slack accepted a thread reply"}[k]
}

// crashRig is one run of the test: the fakes, the store and config, the
// current process, and the alerts expected.
type crashRig struct {
	t     *testing.T
	bin   string
	cfg   string
	db    string
	omni  *omnitest.Server
	slack *slacktest.Server
	rng   *rand.Rand
	logs  *crashLog
	feed  *userFeed

	runs    int
	current atomic.Pointer[botProc]
	// armed makes the next message Slack accepts kill the process: any
	// message (armAny) or only a thread reply (armReply).
	armed      atomic.Int32
	acceptKill chan string
}

// What armed the accept hook.
const (
	armAny = 1 + iota
	armReply
)

// crashLog keeps every process's output, for a failure's report.
type crashLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *crashLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *crashLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail is the end of the log, at most n bytes.
func (l *crashLog) tail(n int) string {
	s := l.String()
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// botProc is one `resellerbot run` process.
type botProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's, once done is closed
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *botProc) kill(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Errorf("process %d still there 5s after SIGKILL", p.cmd.Process.Pid)
	}
}

func (p *botProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func newCrashRig(t *testing.T, bin string, plan crashPlan) *crashRig {
	t.Helper()
	dir := t.TempDir()
	r := &crashRig{
		t:          t,
		bin:        bin,
		cfg:        filepath.Join(dir, "resellerbot.yaml"),
		db:         filepath.Join(dir, "state", "resellerbot.db"),
		omni:       omnitest.NewServer(nil, omnitest.WithAPIKey("omni-crash-key")),
		slack:      slacktest.NewServer(slacktest.WithPingInterval(time.Second)),
		rng:        rand.New(rand.NewPCG(plan.seed, plan.seed^0x5eed)),
		logs:       &crashLog{},
		acceptKill: make(chan string, 1),
	}
	t.Cleanup(r.omni.Close)
	t.Cleanup(r.slack.Close)
	r.feed = &userFeed{omni: r.omni}
	if !plan.historyWorks {
		r.slack.FailMethod("conversations.history", "missing_scope", -1)
		r.slack.FailMethod("conversations.replies", "missing_scope", -1)
	}
	r.slack.OnMessage(func(m slacktest.Message) {
		if !r.armed.CompareAndSwap(armAny, 0) && (m.ThreadTS == "" || !r.armed.CompareAndSwap(armReply, 0)) {
			return
		}
		// Kill before the answer leaves: the bot never hears that Slack
		// has the message.
		if p := r.current.Load(); p != nil {
			p.kill(t)
		}
		r.acceptKill <- m.TS
	})
	t.Cleanup(func() { r.slack.OnMessage(nil) })

	config := fmt.Sprintf(`omnidim:
  base_url: %q
  api_key: omni-crash-key
  timeout: 2s
slack:
  app_token: %q
  bot_token: %q
  api_url: %q
  alert_channel: %s
store:
  path: %q
poll:
  interval: 1s
http:
  listen: ""
`, r.omni.URL, r.slack.AppToken(), r.slack.BotToken(), r.slack.APIURL(), slacktest.DefaultChannel, r.db)
	if err := os.WriteFile(r.cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p := r.current.Load(); p != nil && !p.exited() {
			p.kill(t)
		}
		if t.Failed() {
			t.Logf("the bot's logs (end):\n%s", r.logs.tail(30000))
		}
	})
	return r
}

// start runs `resellerbot run` on the rig's store.
func (r *crashRig) start() *botProc {
	r.t.Helper()
	r.runs++
	fmt.Fprintf(r.logs, "=== run %d\n", r.runs)
	cmd := exec.Command(r.bin, "run", "--config", r.cfg)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "TZ=UTC"}
	cmd.Stdout, cmd.Stderr = r.logs, r.logs
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("starting the bot: %v", err)
	}
	p := &botProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	r.current.Store(p)
	return p
}

// checkKilled fails the test if p exited other than by SIGKILL.
func (r *crashRig) checkKilled(p *botProc) {
	r.t.Helper()
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return
		}
	}
	r.t.Fatalf("run %d ended by itself (%v), not by SIGKILL", r.runs, p.err)
}

// crash kills p the way how says, and returns once it is gone, saying how
// it did: killAnyTime when there was nothing to kill on.
func (r *crashRig) crash(p *botProc, how killHow) killHow {
	r.t.Helper()
	switch how {
	case killAnyTime:
		select {
		case <-time.After(time.Duration(r.rng.Int64N(int64(3 * time.Second)))):
		case <-p.done:
		}
		p.kill(r.t)
	case killOnAccept, killOnReply:
		arm := int32(armAny)
		if how == killOnReply {
			arm = armReply
		}
		r.armed.Store(arm)
		select {
		case <-r.acceptKill:
		case <-time.After(5 * time.Second):
			// Nothing to send this time; make sure the hook cannot fire
			// for the next process.
			r.armed.Store(0)
			p.kill(r.t)
			select {
			case <-r.acceptKill:
			default:
				how = killAnyTime
			}
		}
	case killMidPoll:
		// Slow the next fetch down, wait for it to start, and kill the
		// process somewhere inside it.
		before := r.omni.Requests()
		r.omni.Fail(omnitest.Fault{Delay: 400 * time.Millisecond, Times: 1})
		deadline := time.Now().Add(3 * time.Second)
		for r.omni.Requests() == before && time.Now().Before(deadline) && !p.exited() {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(r.rng.Int64N(int64(350 * time.Millisecond))))
		p.kill(r.t)
		r.omni.ClearFaults()
	}
	r.checkKilled(p)
	checkBolt(r.t, r.db)
	return how
}

// checkBolt runs bbolt's consistency check on the store file.
func checkBolt(t *testing.T, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("opening the store with bbolt: %v", err)
	}
	defer db.Close()
	var problems []string
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		return nil
	})
	if err != nil || len(problems) > 0 {
		t.Fatalf("bbolt's check of the store: %v\n%s", err, strings.Join(problems, "\n"))
	}
}

// userFeed adds users to the fake API, each announced by one alert that
// names them by a unique email.
type userFeed struct {
	omni *omnitest.Server

	mu     sync.Mutex
	emails []string
}

func crashEmail(n int) string { return fmt.Sprintf("crash-%04d@users.example", n) }

// add adds count users at once, so one poll sees them all. Long names make
// a burst outgrow one digest message, so it continues in a thread.
func (f *userFeed) add(count int, longNames bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var users []omnitest.User
	for range count {
		n := len(f.emails) + 1
		name := fmt.Sprintf("Crash User %d", n)
		if longNames {
			name += " " + strings.Repeat("Longname", 40)
		}
		users = append(users, omnitest.User{ID: int64(500000 + n), Name: name, Email: crashEmail(n), IsActive: true,
			Menus: map[string]bool{omnitest.FlagLeads: true}})
		f.emails = append(f.emails, crashEmail(n))
	}
	f.omni.Update(func(p *omnitest.Payload) {
		for i := range p.Orgs {
			if p.Orgs[i].ID == 4001 {
				p.Orgs[i].Users = append(p.Orgs[i].Users, users...)
			}
		}
	})
}

func (f *userFeed) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.emails...)
}

// run adds users at random intervals until stop is closed: mostly one at a
// time, now and then a burst of five (a digest).
func (f *userFeed) run(seed uint64, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	rng := rand.New(rand.NewPCG(seed, 7))
	for {
		select {
		case <-stop:
			return
		case <-time.After(300*time.Millisecond + time.Duration(rng.Int64N(int64(900*time.Millisecond)))):
		}
		if rng.IntN(8) == 0 {
			f.add(5, false)
		} else {
			f.add(1, false)
		}
	}
}

// metadataKey is the bot's key in a message's metadata, or "".
func metadataKey(m slacktest.Message) string {
	var meta struct {
		EventType    string            `json:"event_type"`
		EventPayload map[string]string `json:"event_payload"`
	}
	if json.Unmarshal(m.Metadata, &meta) != nil || meta.EventType != "resellerbot_alert" {
		return ""
	}
	return meta.EventPayload["key"]
}

func runCrashes(t *testing.T, bin string, plan crashPlan) {
	began := time.Now()
	r := newCrashRig(t, bin, plan)

	// The first poll takes the baseline: users who exist before it are
	// not new. Its low-balance alert says it is stored.
	p := r.start()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err := r.slack.WaitMessages(ctx, slacktest.DefaultChannel, 1)
	cancel()
	if err != nil {
		t.Fatalf("the first poll's alert never came: %v", err)
	}
	stop, fed := make(chan struct{}), make(chan struct{})
	go r.feed.run(plan.seed, stop, fed)
	stopFeed := sync.OnceFunc(func() { close(stop); <-fed })
	t.Cleanup(stopFeed)

	kills := map[killHow]int{}
	for cycle := range plan.cycles {
		if cycle > 0 {
			p = r.start()
		}
		how := killHow(r.rng.IntN(int(killHows)))
		switch {
		case cycle == 2 || cycle == plan.cycles-2:
			// A burst too big for one message: a digest continued in
			// thread replies. Kill just after Slack took a reply, so the
			// next run must look for it in the thread.
			r.feed.add(50, true)
			how = killOnReply
		case cycle%3 == 1:
			how = killOnAccept // make sure the window is exercised
		}
		kills[r.crash(p, how)]++
		// Sometimes stay down a while, as a crash-looping bot would.
		if r.rng.IntN(3) == 0 {
			time.Sleep(time.Duration(r.rng.Int64N(int64(700 * time.Millisecond))))
		}
	}
	stopFeed()
	expected := append(r.feed.all(), "Beta Co")
	crashed := time.Now()

	// Let a last process deliver everything, then stop it as an operator
	// would.
	p = r.start()
	missing := expected
	for deadline := time.Now().Add(30 * time.Second); len(missing) > 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		missing = missingAlerts(r.slack.Messages(slacktest.DefaultChannel), missing)
		if p.exited() {
			t.Fatalf("the last run ended by itself: %v", p.err)
		}
	}
	drained := time.Now()
	time.Sleep(2500 * time.Millisecond) // two more polls: nothing more may come
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("after SIGTERM the bot exited with %v, want status 0", p.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the bot did not stop within 10s of SIGTERM")
	}

	msgs := r.slack.Messages(slacktest.DefaultChannel)
	if len(missing) > 0 {
		t.Errorf("%d of %d alerts never reached Slack: %s", len(missing), len(expected), some(missing))
	}
	counts := map[string]int{}
	for _, m := range msgs {
		body := m.Text + string(m.Blocks)
		for _, want := range expected {
			if strings.Contains(body, want) {
				counts[want]++
			}
		}
	}
	keys := map[string]int{}
	var threaded, unkeyed int
	for _, m := range msgs {
		if m.ThreadTS != "" {
			threaded++
		}
		if k := metadataKey(m); k != "" {
			keys[k]++
		} else {
			unkeyed++
		}
	}
	repeatedAlerts, repeatedKeys := repeated(counts), repeated(keys)
	nKills := plan.cycles
	if plan.historyWorks {
		if len(repeatedAlerts) > 0 || len(repeatedKeys) > 0 {
			t.Errorf("posted more than once: %d alerts %s; %d messages by key %s",
				len(repeatedAlerts), some(repeatedAlerts), len(repeatedKeys), some(repeatedKeys))
		}
		if found, want := strings.Count(r.logs.String(), "not sending it again"), kills[killOnAccept]+kills[killOnReply]; found < want {
			t.Errorf("the bot found %d messages posted before a crash, want at least one per kill after Slack's accept (%d)", found, want)
		}
	} else {
		if len(repeatedKeys) > nKills {
			// Only the message in flight at a kill can be posted twice.
			t.Errorf("%d messages posted more than once, more than the %d kills: %s", len(repeatedKeys), nKills, some(repeatedKeys))
		}
		if !strings.Contains(r.logs.String(), "could not check whether an interrupted delivery arrived") {
			t.Error("the bot never said it could not check for an interrupted delivery")
		}
	}
	if unkeyed > 0 {
		t.Errorf("%d messages carry no key in their metadata", unkeyed)
	}
	if threaded == 0 {
		t.Errorf("no thread replies were posted; the burst of %d users should have made a digest of several messages", 50)
	}

	checkBolt(t, r.db)
	st, err := store.Open(r.db, store.Options{})
	if err != nil {
		t.Fatalf("store.Open after the crashes: %v", err)
	}
	defer st.Close()
	if n, err := st.OutboxLen(); err != nil || n != 0 {
		t.Errorf("the outbox holds %d messages (%v), want none", n, err)
	}

	t.Logf("%d runs, kills %v; %d alerts in %d Slack messages (%d thread replies), repeated: %d alerts, %d messages; "+
		"crash phase %v, final drain %v, total %v",
		r.runs, killSummary(kills), len(expected), len(msgs), threaded, len(repeatedAlerts), len(repeatedKeys),
		crashed.Sub(began).Round(time.Millisecond), drained.Sub(crashed).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// missingAlerts returns those of want that no message shows.
func missingAlerts(msgs []slacktest.Message, want []string) []string {
	var all strings.Builder
	for _, m := range msgs {
		all.WriteString(m.Text)
		all.Write(m.Blocks)
		all.WriteByte('\n')
	}
	text := all.String()
	var out []string
	for _, w := range want {
		if !strings.Contains(text, w) {
			out = append(out, w)
		}
	}
	return out
}

// repeated lists the entries counted more than once, sorted.
func repeated(counts map[string]int) []string {
	var out []string
	for k, n := range counts {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s×%d", k, n))
		}
	}
	slices.Sort(out)
	return out
}

// some shortens a list for a message.
func some(list []string) string {
	if len(list) > 8 {
		return fmt.Sprintf("%q and %d more", list[:8], len(list)-8)
	}
	return fmt.Sprintf("%q", list)
}

func killSummary(kills map[killHow]int) string {
	var parts []string
	for how := range killOnReply + 1 {
		parts = append(parts, fmt.Sprintf("%d %v", kills[how], how))
	}
	return strings.Join(parts, ", ")
}

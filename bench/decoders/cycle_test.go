package decoders

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/poll"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

// The fetch and poll benchmarks talk over loopback to a server in a child
// process (this test binary, started again with serveEnv set), so that this
// process's memory is the poller's alone and its peak RSS can be measured.
// The server answers GET /reseller/organizations with the 5000×10 payload,
// encoded once, alternating with a copy in which every 100th org changed
// (balance, one user's flag and is_active, one new user), so that every
// poll finds changes to evaluate and persist, as a busy reseller's would.
//
//   - BenchmarkFetchDiscard: GET, body copied to io.Discard: the floor.
//   - BenchmarkFetchDecode: omni.Client.Organizations (fetch + decode).
//   - BenchmarkPollCycle: poll.Poller.Poll: fetch, decode, alerts.Evaluate,
//     store.Commit into a bbolt file.
//
// The last two report "x-fetch-only", their time over the floor's, timed in
// the same process right after, and BenchmarkPollCycle reports the peak RSS
// of the process while polling ("peak-MB", VmHWM, reset before the loop)
// and its ratio to the payload ("x-payload"), and what the RSS is made of
// at the end ("anon-MB": the Go heap and other anonymous memory; "file-MB":
// this test binary's code, which links goccy and sonic too, and bbolt's
// mmap). For a clean RSS figure run it alone: go test -run '^$' -bench
// PollCycle.

const serveEnv = "DECODERS_BENCH_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		serve()
		return
	}
	code := m.Run()
	stopChild()
	os.Exit(code)
}

// serve runs the child: it prints the server's URL and the payload's size,
// then serves until its stdin closes.
func serve() {
	a := omnitest.Synthetic(benchOrgs, benchUsersPerOrg, benchSeed)
	b := a.Clone()
	next := int64(1 << 40)
	for i := 0; i < len(b.Orgs); i += 100 {
		o := &b.Orgs[i]
		o.Balance += 1.25
		if len(o.Users) > 0 {
			u := &o.Users[0]
			u.Menus[omnitest.FlagBulkCall] = !u.Menus[omnitest.FlagBulkCall]
			u.IsActive = !u.IsActive
		}
		o.Users = append(o.Users, omnitest.User{ID: next, Name: "Bench New", Email: "new@example.com",
			IsActive: true, Menus: omnitest.AllFlags(false)})
		next++
	}
	bodies := [2][]byte{a.AppendJSON(nil), b.AppendJSON(nil)}
	a, b = nil, nil
	runtime.GC()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var n atomic.Uint64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != omnitest.OrganizationsPath {
			http.NotFound(w, r)
			return
		}
		body := bodies[n.Add(1)%2]
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})}
	fmt.Printf("http://%s %d\n", ln.Addr(), len(bodies[0]))
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	srv.Serve(ln)
}

var child struct {
	once  sync.Once
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
	size  int64
	err   error
}

// server starts the child once per process and returns its base URL and
// the payload's size.
func server(b *testing.B) (url string, size int64) {
	child.once.Do(func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), serveEnv+"=1")
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			child.err = err
			return
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			child.err = err
			return
		}
		if err := cmd.Start(); err != nil {
			child.err = err
			return
		}
		child.cmd, child.stdin = cmd, stdin
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			child.err = fmt.Errorf("child server: %w", err)
			return
		}
		_, child.err = fmt.Sscan(line, &child.url, &child.size)
	})
	if child.err != nil {
		b.Fatal(child.err)
	}
	return child.url, child.size
}

func stopChild() {
	if child.cmd == nil {
		return
	}
	child.stdin.Close()
	done := make(chan struct{})
	go func() { child.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		child.cmd.Process.Kill()
		<-done
	}
}

func newHTTPClient(b *testing.B) *http.Client {
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	b.Cleanup(hc.CloseIdleConnections)
	return hc
}

// fetchDiscard GETs the payload like omni.Client does and throws it away.
func fetchDiscard(b *testing.B, hc *http.Client, url string) int64 {
	req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, url+omnitest.OrganizationsPath, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+omnitest.DefaultAPIKey)
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d, %d bytes: %v", resp.StatusCode, n, err)
	}
	return n
}

// perDiscard times the floor on hc's connection: the mean of rounds
// fetches.
func perDiscard(b *testing.B, hc *http.Client, url string, rounds int) float64 {
	start := time.Now()
	for range rounds {
		fetchDiscard(b, hc, url)
	}
	return float64(time.Since(start)) / float64(rounds)
}

func BenchmarkFetchDiscard(b *testing.B) {
	url, size := server(b)
	hc := newHTTPClient(b)
	fetchDiscard(b, hc, url) // open the connection
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		if n := fetchDiscard(b, hc, url); n < size {
			b.Fatalf("read %d bytes, want %d or more", n, size)
		}
	}
}

func newClient(b *testing.B, url string, hc *http.Client) *omni.Client {
	c, err := omni.NewClient(url, omnitest.DefaultAPIKey, omni.WithHTTPClient(hc),
		omni.WithRetry(1, time.Millisecond, time.Millisecond), omni.WithTimeout(time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func BenchmarkFetchDecode(b *testing.B) {
	url, size := server(b)
	hc := newHTTPClient(b)
	c := newClient(b, url, hc)
	if _, err := c.Organizations(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		snap, err := c.Organizations(b.Context())
		if err != nil || len(snap.Orgs) != benchOrgs {
			b.Fatal(err)
		}
	}
	per := float64(b.Elapsed()) / float64(b.N)
	b.ReportMetric(per/perDiscard(b, hc, url, max(b.N, 5)), "x-fetch-only")
}

func BenchmarkPollCycle(b *testing.B) {
	url, size := server(b)
	hc := newHTTPClient(b)
	st, err := store.Open(b.TempDir()+"/bench.db", store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p := poll.New(poll.Config{
		Fetcher: newClient(b, url, hc),
		Store:   st,
		Rules:   alerts.DefaultRules(),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ctx := context.Background()
	for range 2 { // the first poll stores everything; the second is a usual one
		if _, err := p.Poll(ctx); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		res, err := p.Poll(ctx)
		if err != nil || len(res.Snapshot.Orgs) != benchOrgs || res.ChangedOrgs == 0 {
			b.Fatalf("poll: %v (%d changed)", err, res.ChangedOrgs)
		}
	}
	per := float64(b.Elapsed()) / float64(b.N)
	mem := procStatus()
	b.ReportMetric(per/perDiscard(b, hc, url, max(b.N, 5)), "x-fetch-only")
	b.ReportMetric(float64(mem["VmHWM"])/1e6, "peak-MB")
	b.ReportMetric(float64(mem["VmHWM"])/float64(size), "x-payload")
	// What the RSS is made of at the end: the Go heap and other anonymous
	// memory, and file pages (this binary's code, bbolt's mmap).
	b.ReportMetric(float64(mem["RssAnon"])/1e6, "anon-MB")
	b.ReportMetric(float64(mem["RssFile"])/1e6, "file-MB")
}

// resetPeakRSS resets VmHWM to the current RSS (Linux; a no-op elsewhere).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// procStatus returns the sizes /proc/self/status gives in kB, in bytes
// (none where there is no /proc).
func procStatus() map[string]int64 {
	m := map[string]int64{}
	b, _ := os.ReadFile("/proc/self/status")
	for line := range bytes.Lines(b) {
		k, v, ok := strings.Cut(string(line), ":")
		v, kb := strings.CutSuffix(strings.TrimSpace(v), " kB")
		if n, err := strconv.ParseInt(v, 10, 64); ok && kb && err == nil {
			m[k] = n << 10
		}
	}
	return m
}

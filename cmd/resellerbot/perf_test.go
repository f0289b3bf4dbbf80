package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/poll"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

// The scale targets for one poll of 5,000 orgs × 10 users (about 40 MB of
// JSON), stated as ratios to baselines measured in the same run, because
// these machines are shared and noisy.

// churnOrgs changes 1% of the fake API's orgs, as a poll sees them change.
func churnOrgs(api *omnitest.Server, round int) {
	api.Update(func(p *omnitest.Payload) {
		n := max(1, len(p.Orgs)/100)
		for k := range n {
			o := &p.Orgs[(round*n+k*7919)%len(p.Orgs)]
			o.Balance -= 0.25
		}
	})
}

// fetchOnly GETs the body into io.Discard: the transfer the poll cannot
// avoid.
func fetchOnly(b *testing.B, url string) {
	req, _ := http.NewRequest(http.MethodGet, url+"/reseller/organizations", nil)
	req.Header.Set("Authorization", "Bearer "+omnitest.DefaultAPIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// BenchmarkPollCycle5000x10 measures a whole poll in process (fetch over
// loopback, decode, evaluate, plan, store) with 1% of the orgs changing,
// and reports it as a multiple of fetching the same bytes into io.Discard,
// measured alternately in the same run. The target is 3×.
func BenchmarkPollCycle5000x10(b *testing.B) {
	api := omnitest.NewServer(omnitest.Synthetic(5000, 10, 1))
	defer api.Close()
	st, err := store.Open(filepath.Join(b.TempDir(), "bot.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	client, err := omni.NewClient(api.URL, omnitest.DefaultAPIKey)
	if err != nil {
		b.Fatal(err)
	}
	poller := poll.New(poll.Config{Fetcher: client, Store: st, Rules: alerts.DefaultRules(),
		Logger: slog.New(slog.DiscardHandler)})
	ctx := context.Background()
	if _, err := poller.Poll(ctx); err != nil { // the baseline poll
		b.Fatal(err)
	}
	b.SetBytes(int64(len(api.Body())))
	var polls, fetches time.Duration
	round := 0
	for b.Loop() {
		round++
		churnOrgs(api, round)
		api.Body() // encode the new body now, outside both timings
		start := time.Now()
		fetchOnly(b, api.URL)
		fetches += time.Since(start)
		start = time.Now()
		if _, err := poller.Poll(ctx); err != nil {
			b.Fatal(err)
		}
		polls += time.Since(start)
	}
	b.ReportMetric(float64(polls)/float64(fetches), "x-fetch-only")
}

// BenchmarkPollCommandRSS runs `resellerbot poll` as its own process on the
// same payload, first into an empty store and then again after 1% of the
// orgs changed, and reports each run's peak RSS (from rusage) as a
// multiple of the payload's size. The target is 2×.
func BenchmarkPollCommandRSS(b *testing.B) {
	bin := buildBot(b)
	api := omnitest.NewServer(omnitest.Synthetic(5000, 10, 1))
	defer api.Close()
	payload := float64(len(api.Body()))
	for b.Loop() {
		dir := b.TempDir()
		config := filepath.Join(dir, "config.yaml")
		os.WriteFile(config, []byte("omnidim:\n  base_url: "+api.URL+"\nstore:\n  path: "+filepath.Join(dir, "bot.db")+"\n"), 0o600)
		poll := func() float64 {
			return peakRSS(b, "OMNIDIM_API_KEY="+omnitest.DefaultAPIKey, bin, "poll", "--config", config)
		}
		first := poll()
		churnOrgs(api, 1)
		second := poll()
		b.ReportMetric(first/payload, "x-payload-first")
		b.ReportMetric(second/payload, "x-payload")
		b.ReportMetric(second/(1<<20), "MiB-rss")
	}
}

// peakRSS runs a command and returns its peak RSS in bytes. It runs it
// from a fresh copy of the test binary (TestMeasurePeakRSS): Go starts
// children with vfork, and Linux counts the parent's resident memory,
// shared until exec, in the child's peak; this benchmark process holds the
// whole payload, the fresh copy next to nothing.
func peakRSS(b *testing.B, env string, argv ...string) float64 {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMeasurePeakRSS$")
	cmd.Env = append(os.Environ(), env, "RESELLERBOT_RSS_ARGV="+strings.Join(argv, "\x1f"))
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%v: %v\n%s", argv, err, out)
	}
	var kb float64
	i := bytes.LastIndex(out, []byte("maxrss_kb "))
	if i < 0 {
		b.Fatalf("no peak RSS in %q", out)
	}
	if _, err := fmt.Sscanf(string(out[i:]), "maxrss_kb %g", &kb); err != nil {
		b.Fatalf("no peak RSS in %q: %v", out, err)
	}
	return kb * 1024
}

// TestMeasurePeakRSS is not a test: peakRSS runs it in a process of its
// own to run a command and print the command's peak RSS.
func TestMeasurePeakRSS(t *testing.T) {
	argv := os.Getenv("RESELLERBOT_RSS_ARGV")
	if argv == "" {
		t.Skip("helper process for peakRSS")
	}
	args := strings.Split(argv, "\x1f")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Printf("maxrss_kb %d\n", cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
}

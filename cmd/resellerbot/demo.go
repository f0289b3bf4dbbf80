package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/poll"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

// cmdDemo runs the whole bot against a fake OmniDimension API with a
// scripted simulation, a throwaway store and the console in place of Slack.
func cmdDemo(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("demo", e)
	interval := fs.Duration("interval", 3*time.Second, "how often to poll the fake API (each poll advances the simulation)")
	duration := fs.Duration("duration", 0, "stop after this long; 0 runs until Ctrl-C or the end of input")
	// The console shows what matters; the poller's own warnings (the
	// simulated outage) would only repeat it.
	logFlags := addLogFlags(fs, "error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *interval < 10*time.Millisecond {
		return usagef("demo: --interval must be at least 10ms")
	}
	log, err := logFlags.logger(e.stderr)
	if err != nil {
		return err
	}

	api := omnitest.NewServer(demoPayload())
	defer api.Close()
	dir, err := os.MkdirTemp("", "resellerbot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "demo.db"), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	client, err := omni.NewClient(api.URL, omnitest.DefaultAPIKey,
		omni.WithTimeout(5*time.Second), omni.WithRetry(1, 0, 0))
	if err != nil {
		return err
	}

	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	console := bot.NewConsole(e.stdout)
	rules := alerts.DefaultRules()
	// Remind every few polls, so that one episode shows low, a reminder in
	// its thread, and its recovery within a minute.
	rules.LowBalance.RepeatEvery = 3 * *interval
	cmds := commands.New(rules.LowBalance, time.Now)
	cmds.UseHistory(st)
	// The console has no rate tier: show every episode's edit as it happens.
	deliverer := delivery.New(delivery.Config{Store: st, Sender: console, Logger: log, EditsPerMinute: 6000})
	console.UseEpisodes(&bot.Episodes{Store: st, Changed: deliverer.Kick})
	firstPoll := make(chan struct{})
	var once sync.Once
	poller := poll.New(poll.Config{Fetcher: client, Store: st, Rules: rules, Logger: log, TopUp: true,
		OnPoll: func(r poll.Result) {
			if r.Snapshot != nil {
				cmds.SetSnapshot(r.Snapshot)
				cmds.SetSpend(r.Spend)
			}
			cmds.SetHealth(commands.Health{Failures: r.State.Failures, FailingSince: r.State.FailingSince})
			countPoll(st, r, log)
			deliverer.Kick()
			once.Do(func() { close(firstPoll) })
		}})

	demoCfg := config.Default()
	cmds.UseDigest(demoDigest(dailyBuilder(&demoCfg, st, poller), dir))

	console.Println(fmt.Sprintf("resellerbot demo: a fake OmniDimension API (%s) with %d orgs, polled every %s.\n"+
		"Balances burn down, users and orgs come and go, permissions flip, the API fails for a while:\n"+
		"every kind of alert prints below within about a minute.\n"+
		"Type /orgs, /orgs low, /org acme, /digest or help; the hints under an alert ([snooze 4002 1d] [ack 4002])\n"+
		"do what its buttons do, and details ORG, /snoozes and /unsnooze ORG work too.\n"+
		"Act too: /topup beta 100, then confirm; /access beta demo2 leads on; /credits; /audit. Ctrl-D or Ctrl-C quits.",
		api.URL, len(api.Snapshot().Orgs), *interval))

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		deliverer.Run(ctx)
	}()
	sim := &simulation{api: api}
	stopPolling, err := startPolling(ctx, *interval, 2*time.Second, func(ctx context.Context) {
		poller.Poll(ctx) // failures are the simulation's; the poller reports them
		sim.step()
	})
	if err != nil {
		return err
	}
	defer stopPolling()

	demoActions(console, client, st, log, func() { go poller.Poll(ctx) }, deliverer.Kick)
	select {
	case <-firstPoll:
	case <-ctx.Done():
	}
	err = console.Serve(ctx, e.stdin, cmds)
	if *duration > 0 && err == nil {
		// With a set duration, the end of input (a script piped in) does not
		// end the demo early.
		<-ctx.Done()
	}
	cancel()
	stopPolling()
	wg.Wait()
	// Alerts that fired in the last moments are still in the outbox: show them.
	final, stopFinal := context.WithTimeout(context.Background(), 2*time.Second)
	defer stopFinal()
	deliverer.Drain(final)
	console.Println("\nresellerbot demo: bye.")
	return err
}

// demoPayload is the vendor's example reseller plus a few orgs that make the
// simulation interesting.
func demoPayload() *omnitest.Payload {
	p := omnitest.Fixture()
	flags := func(keys ...string) map[string]bool {
		m := omnitest.AllFlags(false)
		for _, k := range keys {
			m[k] = true
		}
		return m
	}
	p.Orgs = append(p.Orgs,
		omnitest.Org{ID: 4003, Name: "Gamma Studio", CostPerMin: 0.3, Balance: 95, CurrencySymbol: "$", UserCurrencySymbol: "$",
			ConcurrentCallLimit: 3, Timezone: "Europe/London", CreatedDate: "2026-01-15T09:30:00.000000",
			Users: []omnitest.User{
				{ID: 1301, Name: "Grace Hopper", Email: "grace@gamma.example", Phone: "+442079460000", LoginDate: "2026-11-26T17:45:12.120000", IsActive: true,
					Menus: flags(omnitest.FlagBots, omnitest.FlagCallLogs, omnitest.FlagBilling)},
				{ID: 1302, Name: "Alan Turing", Email: "alan@gamma.example", LoginDate: "2026-11-20T08:01:00.000000", IsActive: true,
					Menus: flags(omnitest.FlagBots)},
			}},
		omnitest.Org{ID: 4004, Name: "Orbit <Health> & Care", CostPerMin: 0.15, Balance: 1250.75, CurrencySymbol: "€", UserCurrencySymbol: "€",
			ConcurrentCallLimit: 10, Timezone: "Europe/Berlin", CreatedDate: "2025-06-02T12:00:00.000000",
			Users: []omnitest.User{
				{ID: 1401, Name: "Ada Lovelace", Email: "ada@orbit.example", LoginDate: "2026-11-27T07:12:00.000000", IsActive: true,
					Menus: flags(omnitest.FlagBots, omnitest.FlagAnalytics, omnitest.FlagBulkCall)},
			}},
	)
	return p
}

// simulation scripts the demo's changes, one step per poll, so that every
// kind of alert shows within about a minute at the default interval: calls
// burn balances (cost_per_min × minutes at full concurrency), and on cue a
// user joins and leaves, a permission flips, an org appears and goes, a
// price changes, a low balance is topped up, the reseller's own access
// changes, and the API fails for a few polls.
type simulation struct {
	api  *omnitest.Server
	tick int
}

// minutesPerStep is the calling time one step simulates on every line.
const minutesPerStep = 5

func (s *simulation) step() {
	s.tick++
	s.api.Update(func(p *omnitest.Payload) {
		for i := range p.Orgs {
			o := &p.Orgs[i]
			o.Balance = max(0, o.Balance-o.CostPerMin*minutesPerStep*float64(o.ConcurrentCallLimit))
		}
	})
	switch s.tick {
	case 2:
		s.api.AddUser(4001, omnitest.User{ID: 1111, Name: "New Hire", Email: "new.hire@acme.example", IsActive: true,
			Menus: map[string]bool{omnitest.FlagBots: true, omnitest.FlagCallLogs: true}})
	case 3:
		s.api.SetFlag(4002, 1234, omnitest.FlagPhoneNumber, true)
	case 4:
		s.api.AddOrg(omnitest.Org{ID: 4005, Name: "Delta Dental", CostPerMin: 0.12, Balance: 300, CurrencySymbol: "$",
			UserCurrencySymbol: "$", ConcurrentCallLimit: 2, Timezone: "US/Eastern", CreatedDate: "2026-11-27T10:00:00.000000",
			Users: []omnitest.User{{ID: 1501, Name: "Dr. Molar", Email: "molar@delta.example", IsActive: true,
				Menus: map[string]bool{omnitest.FlagBots: true}}}})
	case 6:
		s.api.SetCostPerMin(4001, 0.12)
	case 7:
		s.api.RemoveUser(4001, 1111)
	case 8:
		s.api.SetBalance(4002, 500)
	case 9:
		s.api.SetResellerFlag(omnitest.FlagOmniCRM, true)
	case 10:
		// Three failed polls make an outage notice (poll.failures_before_notice).
		s.api.Fail(omnitest.Fault{Status: http.StatusBadGateway, Times: 3})
	case 14:
		s.api.RemoveOrg(4005)
	}
}

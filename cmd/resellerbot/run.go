package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/poll"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/store"
)

// shutdownGrace bounds how long `run` takes to stop after SIGINT or SIGTERM.
const shutdownGrace = 10 * time.Second

// cmdRun runs the bot: the socket-mode app answering commands, the poll
// scheduler, the outbox deliverer and the HTTP endpoints, until a signal.
func cmdRun(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("run", e)
	path := configFlag(fs)
	logFlags := addLogFlags(fs, "info")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, config.NeedOmnidim|config.NeedSlack|config.NeedStore, e)
	if err != nil {
		return err
	}
	log, err := logFlags.logger(e.stderr, cfg.Secrets()...)
	if err != nil {
		return err
	}
	return runBot(ctx, cfg, log, nil)
}

// runHooks lets tests observe a running bot.
type runHooks struct {
	// ready is called once everything has started.
	ready func(*botRuntime)
	// now, if set, is the actions' clock, so tests can expire previews.
	now func() time.Time
}

// botRuntime is a running bot's parts, for the HTTP endpoints and tests.
type botRuntime struct {
	commands  *commands.Commands
	app       *bot.App
	deliverer *delivery.Deliverer
	poller    *poll.Poller
	health    *healthState
	// httpAddr is where /healthz, /readyz and /metrics listen, if anywhere.
	httpAddr string
}

// runBot wires and runs the bot until ctx ends or a part fails for good,
// then shuts down within shutdownGrace.
func runBot(ctx context.Context, cfg *config.Config, log *slog.Logger, hooks *runHooks) error {
	client, st, err := openBackends(cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	rules := alertRules(cfg)
	health := newHealthState(cfg.Poll.Interval.D())
	metrics := newMetrics()
	cmds := commands.New(rules.LowBalance, time.Now)
	cmds.UseHistory(st)
	api := bot.NewSlackClient(slackConfig(cfg, log))
	app := bot.NewApp(slackConfig(cfg, log), api, cmds)
	app.HandleClick(render.ActionOrgDetails, app.OrgDetails)
	deliverer := delivery.New(delivery.Config{Store: st, Sender: advisedSlack{bot.NewSlackSender(api, cfg.Slack.AlertChannel)},
		SenderFor: func(ch string) delivery.Sender { return advisedSlack{bot.NewSlackSender(api, ch)} },
		Logger:    log, OnSend: metrics.observeSend})
	app.HandleEpisodes(&bot.Episodes{Store: st, Changed: deliverer.Kick})
	poller := poll.New(poll.Config{Fetcher: client, Store: st, Rules: rules, Logger: log, Channels: routes(cfg),
		MaxRetryAfter: max(cfg.Poll.Interval.D(), poll.DefaultMaxRetryAfter),
		TopUp:         len(cfg.Actions.AllowedUserIDs) > 0,
		OnPoll: func(r poll.Result) {
			if r.Snapshot != nil {
				cmds.SetSnapshot(r.Snapshot)
				cmds.SetSpend(r.Spend)
			}
			cmds.SetHealth(commands.Health{Failures: r.State.Failures, FailingSince: r.State.FailingSince})
			health.observePoll(r)
			metrics.observePoll(r)
			countPoll(st, r, log)
			deliverer.Kick()
		}})

	// Answer from the stored snapshot at once, before the first poll ends.
	snap, state, err := poller.Latest()
	if err != nil {
		return err
	}
	if snap != nil {
		cmds.SetSnapshot(snap)
		health.restore(snap.PolledAt)
		metrics.restore(snap)
	}
	cmds.SetHealth(commands.Health{Failures: state.Failures, FailingSince: state.FailingSince})

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	now := time.Now
	if hooks != nil && hooks.now != nil {
		now = hooks.now
	}
	acts := newActions(cfg, client.Client, st, log, now, func() {
		go func() {
			pollCtx, done := context.WithTimeout(ctx, pollTimeout(cfg))
			defer done()
			poller.Poll(pollCtx)
		}()
	}, deliverer.Kick)
	if err := startActions(ctx, cfg, acts, app, api, log); err != nil {
		return err
	}
	var wg sync.WaitGroup
	goRun := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	// Before the app runs: the handlers are in place for the first command.
	stopDaily, err := startDaily(ctx, cfg, st, dailyBuilder(cfg, st, poller), cmds, app, api, deliverer.Kick, log)
	if err != nil {
		return err
	}
	defer stopDaily()
	goRun("slack", func(ctx context.Context) error { return adviseSlackApp(app.Run(ctx)) })
	goRun("delivery", func(ctx context.Context) error {
		if err := deliverer.Run(ctx); !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	})
	rt := &botRuntime{commands: cmds, app: app, deliverer: deliverer, poller: poller, health: health}
	if cfg.HTTP.Listen != "" {
		srv, err := startHTTP(cfg.HTTP.Listen, rt, st, metrics, log)
		if err != nil {
			cancel(nil)
			wg.Wait()
			return err
		}
		defer srv.shutdown()
		rt.httpAddr = srv.addr
	}

	stopPolling, err := startPolling(ctx, cfg.Poll.Interval.D(), shutdownGrace-2*time.Second, func(ctx context.Context) {
		pollCtx, done := context.WithTimeout(ctx, pollTimeout(cfg))
		defer done()
		// The poller logs its failures and counts them.
		poller.Poll(pollCtx)
		if compacted, err := st.Compact(0.5); errors.Is(err, store.ErrClosed) {
			cancel(err) // stop, so a supervisor restarts the bot on its store
		} else if err != nil {
			log.Error("compacting the store", "error", err)
		} else if compacted {
			log.Info("store compacted", "path", st.Path())
		}
	})
	if err != nil {
		cancel(nil)
		wg.Wait()
		return err
	}
	log.Info("resellerbot running", "version", versionString(), "poll_interval", cfg.Poll.Interval.D().String(),
		"alert_channel", cfg.Slack.AlertChannel, "store", cfg.Store.Path, "http", cfg.HTTP.Listen)
	if hooks != nil && hooks.ready != nil {
		hooks.ready(rt)
	}

	<-ctx.Done()
	cause := context.Cause(ctx)
	log.Info("shutting down")
	stopped := make(chan struct{})
	go func() {
		stopPolling()
		cancel(nil)
		wg.Wait()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(shutdownGrace):
		log.Warn("shutdown took too long; closing the store anyway")
	}
	if cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return nil
}

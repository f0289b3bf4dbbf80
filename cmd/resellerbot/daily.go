package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/daily"
	"github.com/resellerbot/resellerbot/bot/poll"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/internal/config"
	"github.com/resellerbot/resellerbot/store"
)

// dailyBuilder is the daily digest's builder over the store, listing the
// open alerts the alert state knows.
func dailyBuilder(cfg *config.Config, st *store.Store, poller *poll.Poller) *daily.Builder {
	loc, err := cfg.Digest.Location()
	if err != nil {
		loc = time.UTC // validated already
	}
	return daily.New(daily.Config{Source: st, Episodes: daily.StateEpisodes{Latest: poller.Latest},
		Rule: alertRules(cfg).LowBalance, RunwayWithin: cfg.Digest.RunwayWithin.D(), Location: loc})
}

// startDaily wires the daily digest and the Home tab: /digest, the Home
// tab's handler and, when digest.at is set, the daily job, which queues
// the digest in the outbox for deliver to send. stop ends the job.
func startDaily(ctx context.Context, cfg *config.Config, st *store.Store, b *daily.Builder, cmds *commands.Commands,
	app *bot.App, api *slack.Client, deliver func(), log *slog.Logger) (stop func() error, err error) {
	cmds.UseDigest(b.Show(time.Now))
	cmds.UseCharts()
	app.HandleClick(render.OrgChartAction, b.OrgChartClick(api, time.Now, log, app.Respond))
	app.HandleAfterCommand(b.OrgChartCommand(api, cmds, time.Now, log, app.Respond))
	app.HandleHomeOpened(b.HomeTab(api, time.Now, log))
	hour, minute, ok := cfg.Digest.Clock()
	if !ok {
		return func() error { return nil }, nil
	}
	loc, err := cfg.Digest.Location()
	if err != nil {
		return nil, err
	}
	channel := cmp.Or(cfg.Digest.Channel, cfg.Slack.AlertChannel)
	p := &daily.Poster{Builder: b, Outbox: st, Schedule: daily.Schedule{Hour: hour, Minute: minute, Location: loc},
		Channel: cfg.Digest.Channel, Queued: deliver, Logger: log,
		Charts: &daily.ChartPoster{API: api, Receipts: st, Channel: channel, Wait: 10 * time.Minute, Every: time.Second}}
	return p.Start(ctx, nil)
}

// countPoll keeps the poll's outcome for the digest's API health and its
// count of the day's alerts.
func countPoll(st *store.Store, r poll.Result, log *slog.Logger) {
	if r.Skipped {
		return
	}
	kinds := map[string]int{}
	for i := range r.Events {
		kinds[string(r.Events[i].Kind)]++
	}
	if err := st.RecordPoll(r.At, r.Snapshot != nil, kinds); err != nil {
		log.Error("counting the poll for the digest", "error", err)
	}
}

// demoDigest is the console's /digest: the digest, then the charts written
// as PNG files into dir (the demo's temporary folder), their paths printed
// since a terminal shows no pictures.
func demoDigest(b *daily.Builder, dir string) func() []render.Message {
	show := b.Show(time.Now)
	return func() []render.Message {
		msgs := show()
		now := time.Now()
		var notes []string
		note := func(what string, png []byte, err error, name string) {
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s: no chart (%v)", what, err))
				return
			}
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, png, 0o600); err != nil {
				notes = append(notes, fmt.Sprintf("%s: %v", what, err))
				return
			}
			notes = append(notes, fmt.Sprintf("%s: %s", what, path))
		}
		png, err := b.ResellerChart(now)
		note("Reseller chart", png, err, "reseller-30-days.png")
		if o, err := b.Overview(now); err == nil && len(o.Riskiest) > 0 {
			org := o.Riskiest[0]
			png, _, err := b.OrgChart(now, org.ID)
			note("Chart of "+org.Name, png, err, fmt.Sprintf("org-%d-30-days.png", org.ID))
		}
		return append(msgs, render.Note(strings.Join(notes, "\n")))
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/poll"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/internal/config"
)

// cmdPoll runs one poll cycle and prints its alerts: one a line, or as JSON
// lines with --json. The alerts count as delivered (to stdout): a later
// `run` does not post them again. With --dry-run nothing is stored. A failed
// fetch exits 1 and changes nothing in the store.
func cmdPoll(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("poll", e)
	path := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "fetch and evaluate, but store nothing")
	asJSON := fs.Bool("json", false, "print events as JSON lines")
	logFlags := addLogFlags(fs, "warn")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path, config.NeedOmnidim|config.NeedStore, e)
	if err != nil {
		return err
	}
	log, err := logFlags.logger(e.stderr, cfg.Secrets()...)
	if err != nil {
		return err
	}
	client, st, err := openBackends(cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	poller := poll.New(poll.Config{Fetcher: client, Store: st, Rules: alertRules(cfg), Logger: log})
	ctx, cancel := context.WithTimeout(ctx, pollTimeout(cfg))
	defer cancel()
	var res poll.Result
	if *dryRun {
		res, err = poller.DryRun(ctx)
	} else {
		res, err = poller.PollOnce(ctx)
	}
	if err != nil {
		return err
	}

	now := time.Now()
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for i := range res.Events {
		ev := &res.Events[i]
		if *asJSON {
			// "rule" stays the text it always was, the key as the file
			// spells it, over the event's own rule identifiers.
			if err := enc.Encode(struct {
				*alerts.Event
				Rule string `json:"rule,omitempty"`
				Text string `json:"text"`
			}{ev, config.RuleText(ev), render.EventText(ev, now)}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(e.stdout, "%s\t%s\n", ev.Kind, render.EventText(ev, now))
	}
	if !*dryRun {
		// Printed is delivered: keep `run` from posting these again.
		for _, id := range res.MessageIDs {
			if err := st.MarkSent(id, "stdout", now); err != nil {
				return err
			}
		}
	}
	what := "stored"
	if *dryRun {
		what = "dry run, nothing stored"
	}
	fmt.Fprintf(e.stderr, "resellerbot: polled %d orgs and %d users in %s: %s (%s)\n",
		len(res.Snapshot.Orgs), res.Snapshot.UserCount(), res.Duration.Round(time.Millisecond),
		render.Plural(len(res.Events), "event"), what)
	return nil
}

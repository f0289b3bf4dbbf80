package daily

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/internal/chart"
)

// Upload shares a PNG in a channel (in a thread when threadTS is set)
// with Slack's external upload flow (files.getUploadURLExternal, the
// upload, files.completeUploadExternal), which shows it as a message.
func Upload(ctx context.Context, api *slack.Client, png []byte, name, title, channel, threadTS string) (fileID string, err error) {
	f, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(png), FileSize: len(png), Filename: name, Title: title, AltTxt: title,
		Channel: channel, ThreadTimestamp: threadTS})
	if err != nil {
		return "", fmt.Errorf("uploading %s: %w", name, err)
	}
	return f.ID, nil
}

// Receipts tells the Slack ts an outbox message was delivered with, once
// it was; *store.Store is one.
type Receipts interface {
	Receipt(id uint64) (string, error)
}

// ChartPoster shares the reseller's 30-day chart in the thread of each
// digest once the outbox has delivered it.
type ChartPoster struct {
	API      *slack.Client
	Receipts Receipts
	// Channel is the digest's channel.
	Channel string
	// Wait bounds how long to wait for the delivery; Every how often to
	// look.
	Wait, Every time.Duration
}

// after waits for the digest id to be delivered, then shares the chart
// drawn as of now in its thread. A restart in between loses the chart,
// never the digest.
func (c *ChartPoster) after(ctx context.Context, b *Builder, id uint64, now time.Time, log *slog.Logger) {
	png, err := b.ResellerChart(now)
	if errors.Is(err, chart.ErrNoData) {
		log.Info("no digest chart: the history is shorter than two days")
		return
	}
	if err != nil {
		log.Error("drawing the digest chart", "error", err)
		return
	}
	deadline := time.Now().Add(c.Wait)
	for {
		ts, err := c.Receipts.Receipt(id)
		if err == nil && ts != "" {
			if _, err := Upload(ctx, c.API, png, "reseller-30-days.png", "Balance and spend per day, last 30 days", c.Channel, ts); err != nil {
				log.Error("sharing the digest chart", "error", err)
			}
			return
		}
		if time.Now().After(deadline) {
			log.Warn("digest not delivered in time; its chart is not shared", "message", id)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.Every):
		}
	}
}

// OrgChartClick answers the org_chart button: it shares the org's 30-day
// balance chart in the channel (or thread) clicked in, or tells the
// clicker why not. respond answers to a response_url, as (*bot.App).Respond
// does.
func (b *Builder) OrgChartClick(api *slack.Client, now func() time.Time, log *slog.Logger, respond Responder) bot.ClickHandler {
	return func(ctx context.Context, c bot.Click) {
		id, err := strconv.ParseInt(c.Value, 10, 64)
		why := "that button names no org"
		if err == nil {
			why = b.shareOrgChart(ctx, api, now(), id, c.ChannelID, c.ThreadTS, log)
		}
		tell(ctx, respond, c.ResponseURL, why, log)
	}
}

// OrgChartCommand follows "/org NAME chart" (as cmds reads it) with the
// org's 30-day balance chart, shared in the channel the command was typed
// in; register it with (*bot.App).HandleAfterCommand.
func (b *Builder) OrgChartCommand(api *slack.Client, cmds *commands.Commands, now func() time.Time, log *slog.Logger, respond Responder) bot.AfterCommand {
	return func(ctx context.Context, cmd slack.SlashCommand) {
		id, ok := cmds.ChartRequest(cmd.Command, cmd.Text)
		if !ok {
			return
		}
		tell(ctx, respond, cmd.ResponseURL, b.shareOrgChart(ctx, api, now(), id, cmd.ChannelID, "", log), log)
	}
}

// Responder answers to a response_url, as (*bot.App).Respond does.
type Responder func(ctx context.Context, url string, m render.Message, replace bool) error

// tell says to whoever asked for a chart why there is none; why "" says
// nothing.
func tell(ctx context.Context, respond Responder, url, why string, log *slog.Logger) {
	if why == "" || url == "" {
		return
	}
	if err := respond(ctx, url, render.ChartUnavailable(why), false); err != nil {
		log.Error("answering a chart request", "error", err)
	}
}

// shareOrgChart draws the org's chart and shares it in channel (thread
// threadTS), returning why not, or "" when it was shared.
func (b *Builder) shareOrgChart(ctx context.Context, api *slack.Client, now time.Time, id int64, channel, threadTS string, log *slog.Logger) (why string) {
	png, s, err := b.OrgChart(now, id)
	switch {
	case errors.Is(err, chart.ErrNoData), errors.Is(err, ErrNoOrg):
		return "there is not enough history of this org yet"
	case err != nil:
		log.Error("drawing an org chart", "org", id, "error", err)
		return "the chart could not be drawn"
	}
	title := s.Name + ": balance, last 30 days"
	if _, err := Upload(ctx, api, png, fmt.Sprintf("org-%d-30-days.png", id), title, channel, threadTS); err != nil {
		log.Error("sharing an org chart", "org", id, "channel", channel, "error", err)
		return "Slack refused the upload (is the bot in this channel?)"
	}
	return ""
}

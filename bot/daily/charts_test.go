package daily_test

import (
	"bytes"
	"context"
	"image/png"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/daily"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// threeDays is the sample reseller polled hourly for three days: Acme
// spends $12.50 an hour, Beta is topped up by $100 once.
func threeDays(t *testing.T) *daily.Builder {
	t.Helper()
	st := openStore(t)
	snap := rendertest.Reseller()
	// The last poll, an hour after the day of polls, sees Beta topped up.
	polled(t, st, snap, 72, spend{4001: 12.5})
	topped := snap.Clone()
	topped.PolledAt = snap.PolledAt.Add(time.Hour)
	topped.Org(4002).Balance += 100
	if _, err := st.Commit(storeCommit(topped)); err != nil {
		t.Fatal(err)
	}
	return daily.New(daily.Config{Source: st, Rule: rule, RunwayWithin: 7 * 24 * time.Hour})
}

func TestChartSeriesComeFromTheHistory(t *testing.T) {
	b := threeDays(t)
	at := rendertest.Reseller().PolledAt.Add(time.Hour)
	t.Run("the reseller's days total the orgs of the main currency", func(t *testing.T) {
		days, currency, err := b.ResellerDays(at)
		if err != nil {
			t.Fatal(err)
		}
		if currency != "$" {
			t.Errorf("currency %q, want $ (three orgs of four)", currency)
		}
		if len(days) != 4 {
			t.Fatalf("%d days, want 4 (three days of polls across four dates)", len(days))
		}
		last := days[len(days)-1]
		if want := 24442.6 + 113 + 100; last.Balance != want || last.Orgs != 3 {
			t.Errorf("last day closes at %.2f over %d orgs, want %.2f over 3", last.Balance, last.Orgs, want)
		}
		if last.TopUps != 100 {
			t.Errorf("last day's top-ups %.2f, want 100", last.TopUps)
		}
		var spend float64
		for _, d := range days {
			spend += d.Spend
		}
		if spend != 72*12.5 {
			t.Errorf("spend over the days %.2f, want %.2f", spend, 72*12.5)
		}
	})
	t.Run("an org's series marks its top-up", func(t *testing.T) {
		s, err := b.OrgSeries(at, 4002)
		if err != nil {
			t.Fatal(err)
		}
		ups, err := s.TopUps(s.From, s.To)
		if err != nil {
			t.Fatal(err)
		}
		if len(ups) != 1 || ups[0].Amount != 100 || ups[0].Balance != 113 || !ups[0].At.Equal(at) {
			t.Errorf("top-ups %+v, want one of $100 to $113", ups)
		}
	})
	t.Run("an org the history does not know has no chart", func(t *testing.T) {
		if _, _, err := b.OrgChart(at, 999); err == nil {
			t.Error("no error for an unknown org")
		}
	})
}

// delivered is a Receipts whose every message was delivered as ts.
type delivered string

func (d delivered) Receipt(uint64) (string, error) { return string(d), nil }

func TestTheDigestChartIsSharedInTheDigestsThread(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	b := threeDays(t)
	st := sampleStore(t)
	p := &daily.Poster{Builder: b, Outbox: st, Schedule: daily.Schedule{Hour: 9, Location: time.UTC}, Logger: slog.New(slog.DiscardHandler),
		Charts: &daily.ChartPoster{API: api, Receipts: delivered("1700000000.000100"), Channel: slacktest.DefaultChannel,
			Wait: time.Minute, Every: 10 * time.Millisecond}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	at := rendertest.Reseller().PolledAt.Add(time.Hour)
	if err := p.Post(ctx, p.Schedule.Last(at), at); err != nil {
		t.Fatal(err)
	}
	var files []slacktest.File
	for ctx.Err() == nil {
		if files = srv.Files(); len(files) == 1 && files[0].Completed {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(files) != 1 {
		t.Fatalf("%d files, want the chart", len(files))
	}
	f := files[0]
	if len(f.Channels) != 1 || f.Channels[0] != slacktest.DefaultChannel || f.ThreadTS != "1700000000.000100" {
		t.Errorf("shared in %v, thread %q; want the digest's thread in %s", f.Channels, f.ThreadTS, slacktest.DefaultChannel)
	}
	img, err := png.Decode(bytes.NewReader(f.Content))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if size := img.Bounds().Size(); size.X != 1000 || size.Y != 750 {
		t.Errorf("chart is %v, want 1000×750", size)
	}
}

func TestAChartClickWithoutHistorySaysWhy(t *testing.T) {
	srv := slacktest.NewServer()
	defer srv.Close()
	api := slack.New(srv.BotToken(), slack.OptionAPIURL(srv.APIURL()))
	b := daily.New(daily.Config{Source: sampleStore(t), Rule: rule}) // one poll: no stretch of history
	tests := []struct {
		name, value, want string
	}{
		{"an org with one poll of history has no chart yet", "4002", "not enough history"},
		{"an org the store never saw has none either", "999", "not enough history"},
		{"a value that is no org ID is refused", "beta", "names no org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var told []render.Message
			respond := func(_ context.Context, url string, m render.Message, replace bool) error {
				if url != "https://hooks.example/r" || replace {
					t.Errorf("answered to %q, replace %v", url, replace)
				}
				told = append(told, m)
				return nil
			}
			click := b.OrgChartClick(api, func() time.Time { return utc(3, 21, 0, 0) }, slog.New(slog.DiscardHandler), respond)
			click(context.Background(), bot.Click{ActionID: render.OrgChartAction, Value: tt.value,
				ChannelID: slacktest.DefaultChannel, ResponseURL: "https://hooks.example/r"})
			if len(told) != 1 || !strings.Contains(told[0].Text, tt.want) {
				t.Errorf("told %+v, want one answer saying %q", told, tt.want)
			}
			if n := len(srv.Files()); n != 0 {
				t.Errorf("%d files uploaded, want none", n)
			}
		})
	}
}

package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/bot/commands"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/slacktest"
	"github.com/resellerbot/resellerbot/omni"
)

var detailsNow = time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)

// resellerOf is a reseller of n orgs, ids from 4001, each with one user.
func resellerOf(n int) *omni.Snapshot {
	snap := &omni.Snapshot{PolledAt: detailsNow, Reseller: omni.Reseller{ID: 1, Name: "Demo Reseller"}}
	for i := range n {
		snap.Orgs = append(snap.Orgs, omni.Org{ID: int64(4001 + i), Name: fmt.Sprintf("Org %05d", i), Currency: "$",
			Balance: float64(i%500) + 5, CostPerMin: 0.2, ConcurrentCallLimit: 2,
			Users: []omni.User{{ID: int64(9001 + i), Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("u%d@example.com", i), Active: true}}})
	}
	snap.Normalize()
	return snap
}

// startDetails runs an App answering from snap, with OrgDetails registered
// as the wiring registers it.
func startDetails(t testing.TB, s *slacktest.Server, snap *omni.Snapshot, allowed ...string) *commands.Commands {
	t.Helper()
	cfg := bot.SlackConfig{AlertChannel: slacktest.DefaultChannel, AllowedUsers: allowed,
		AppToken: s.AppToken(), BotToken: s.BotToken(), APIURL: s.APIURL(), Logger: slog.New(slog.DiscardHandler)}
	cmds := commands.New(alerts.DefaultRules().LowBalance, func() time.Time { return detailsNow })
	cmds.SetSnapshot(snap)
	app := bot.NewApp(cfg, bot.NewSlackClient(cfg), cmds)
	app.HandleClick(render.ActionOrgDetails, app.OrgDetails)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); app.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := s.WaitConnected(wctx); err != nil {
		t.Fatal(err)
	}
	return cmds
}

// posts waits for n posts to an envelope's response_url.
func posts(t testing.TB, s *slacktest.Server, envelopeID string, n int) []slacktest.Response {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.ResponseURLPosts(envelopeID)) < n && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	return s.ResponseURLPosts(envelopeID)
}

func blocksOf(t testing.TB, m render.Message) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOrgDetailsAnswersTheClickerWithTheOrgCard(t *testing.T) {
	snap := resellerOf(3)
	beta := &snap.Orgs[1]
	card := render.Batches([]alerts.Event{{Kind: alerts.LowBalance, At: detailsNow,
		Org: alerts.OrgRef{ID: beta.ID, Name: beta.Name, Currency: "$"}, Figures: &alerts.Figures{Balance: beta.Balance, CostPerMin: 0.2},
		Cause: &alerts.Cause{Thresholds: []alerts.Threshold{{Rule: alerts.RuleLowBalanceBelow, Number: 50}}}}}, detailsNow)[0].Render(detailsNow)

	t.Run("a click on an alert card's Details button answers with that org's /org card, ephemeral", func(t *testing.T) {
		s := slacktest.NewServer()
		t.Cleanup(s.Close)
		startDetails(t, s, snap)
		d, err := s.BlockAction(context.Background(), slacktest.BlockAction{ActionID: render.ActionOrgDetails, Blocks: blocksOf(t, card)})
		if err != nil {
			t.Fatal(err)
		}
		if !d.AckedInTime() {
			t.Errorf("acknowledged after %v", d.AckAfter)
		}
		got := posts(t, s, d.EnvelopeID, 1)
		if len(got) != 1 || !strings.Contains(got[0].Text, beta.Name) || got[0].ResponseType != "ephemeral" {
			t.Fatalf("the clicker got %+v, want the ephemeral card of %s", got, beta.Name)
		}
		if !strings.Contains(string(got[0].Blocks), "("+fmt.Sprint(beta.ID)+")") {
			t.Errorf("the card's blocks do not name org %d: %s", beta.ID, got[0].Blocks)
		}
	})
	t.Run("choosing an org in /orgs' details menu answers with its card", func(t *testing.T) {
		s := slacktest.NewServer()
		t.Cleanup(s.Close)
		cmds := startDetails(t, s, snap)
		orgs := cmds.Handle("/orgs", "")[0]
		d, err := s.BlockAction(context.Background(), slacktest.BlockAction{ActionID: render.ActionOrgDetails,
			SelectedValue: fmt.Sprint(snap.Orgs[2].ID), Blocks: blocksOf(t, orgs), Ephemeral: true})
		if err != nil {
			t.Fatal(err)
		}
		got := posts(t, s, d.EnvelopeID, 1)
		if len(got) != 1 || !strings.Contains(got[0].Text, snap.Orgs[2].Name) {
			t.Errorf("the clicker got %+v, want the card of %s", got, snap.Orgs[2].Name)
		}
	})
	t.Run("a refused user gets a refusal, not the card", func(t *testing.T) {
		s := slacktest.NewServer()
		t.Cleanup(s.Close)
		startDetails(t, s, snap, "U0SOMEONEELSE")
		d, err := s.BlockAction(context.Background(), slacktest.BlockAction{ActionID: render.ActionOrgDetails, Blocks: blocksOf(t, card)})
		if err != nil {
			t.Fatal(err)
		}
		posts(t, s, d.EnvelopeID, 1)
		time.Sleep(50 * time.Millisecond)
		got := s.ResponseURLPosts(d.EnvelopeID)
		if len(got) != 1 || !strings.Contains(got[0].Text, "isn't available to you") || strings.Contains(got[0].Text, beta.Name) {
			t.Errorf("the refused user was told %+v", got)
		}
	})
	t.Run("an org with many users answers in the parts /org sends", func(t *testing.T) {
		big := resellerOf(1)
		for i := range 400 {
			big.Orgs[0].Users = append(big.Orgs[0].Users, omni.User{ID: int64(20000 + i), Name: fmt.Sprintf("Member %d", i),
				Email: fmt.Sprintf("member%d@example.com", i), Active: true})
		}
		big.Normalize()
		s := slacktest.NewServer()
		t.Cleanup(s.Close)
		cmds := startDetails(t, s, big)
		want := cmds.Handle("/org", "4001")
		if len(want) < 2 {
			t.Fatalf("/org answers in %d part; the test needs an org that takes several", len(want))
		}
		d, err := s.BlockAction(context.Background(), slacktest.BlockAction{ActionID: render.ActionOrgDetails, Value: "4001",
			Blocks: blocksOf(t, render.Batches([]alerts.Event{{Kind: alerts.OrgAdded, At: detailsNow,
				Org: alerts.OrgRef{ID: 4001, Name: "Org 00000"}, Figures: &alerts.Figures{}}}, detailsNow)[0].Render(detailsNow))})
		if err != nil {
			t.Fatal(err)
		}
		got := posts(t, s, d.EnvelopeID, len(want))
		if len(got) != len(want) {
			t.Fatalf("%d parts, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].Text != want[i].Text {
				t.Errorf("part %d is %q, want %q", i, got[i].Text, want[i].Text)
			}
		}
	})
}

// BenchmarkOrgDetailsClick10000 is a click on a card's Details button over
// a reseller of 10,000 orgs, through the socket of the fake Slack: µs-ack
// is the time to the click's acknowledgement, µs-answer to the /org card at
// the response_url. The baseline is the same click from a user who is
// refused, answered with one line through the same response_url: what the
// round trip costs without the card.
func BenchmarkOrgDetailsClick10000(b *testing.B) {
	snap := resellerOf(10000)
	card := render.Batches([]alerts.Event{{Kind: alerts.OrgAdded, At: detailsNow,
		Org: alerts.OrgRef{ID: 9000, Name: "Org 04999"}, Figures: &alerts.Figures{}}}, detailsNow)[0].Render(detailsNow)
	blocks := blocksOf(b, card)
	for _, bc := range []struct {
		name    string
		allowed []string
	}{{"baseline refused", []string{"U0SOMEONEELSE"}}, {"details", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			s := slacktest.NewServer()
			b.Cleanup(s.Close)
			startDetails(b, s, snap, bc.allowed...)
			var acks, answers time.Duration
			for b.Loop() {
				start := time.Now()
				d, err := s.BlockAction(context.Background(), slacktest.BlockAction{ActionID: render.ActionOrgDetails, Blocks: blocks})
				if err != nil {
					b.Fatal(err)
				}
				acks += d.AckAfter
				if got := posts(b, s, d.EnvelopeID, 1); len(got) != 1 {
					b.Fatal("no answer")
				}
				answers += time.Since(start)
			}
			b.ReportMetric(float64(acks.Microseconds())/float64(b.N), "µs-ack/op")
			b.ReportMetric(float64(answers.Microseconds())/float64(b.N), "µs-answer/op")
		})
	}
}

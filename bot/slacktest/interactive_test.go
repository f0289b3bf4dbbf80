package slacktest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// inbox records the interactive and events_api envelopes a bot received.
type inbox struct {
	mu  sync.Mutex
	got []socketmode.Event
}

func (in *inbox) add(evt socketmode.Event) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.got = append(in.got, evt)
}

func (in *inbox) events() []socketmode.Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]socketmode.Event(nil), in.got...)
}

// last returns the last interaction received, failing the test if there is
// none.
func (in *inbox) last(t *testing.T) slack.InteractionCallback {
	t.Helper()
	evts := in.events()
	if len(evts) == 0 {
		t.Fatal("the bot received no envelope")
	}
	cb, ok := evts[len(evts)-1].Data.(slack.InteractionCallback)
	if !ok {
		t.Fatalf("the last envelope carries %T, want slack.InteractionCallback", evts[len(evts)-1].Data)
	}
	return cb
}

// interactionBot runs a real socketmode client that records every
// interactive and events_api envelope and then hands it to handle (nil:
// ack it at once), and waits for it to connect.
func interactionBot(t *testing.T, s *slacktest.Server, handle func(api *slack.Client, c *socketmode.Client, evt socketmode.Event)) (*inbox, *slack.Client) {
	t.Helper()
	api := newAPI(s)
	in := &inbox{}
	runBot(t, api, func(c *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeInteractive && evt.Type != socketmode.EventTypeEventsAPI {
			return
		}
		in.add(evt)
		if handle == nil {
			_ = c.Ack(*evt.Request)
			return
		}
		handle(api, c, evt)
	})
	if err := s.WaitConnected(timeoutCtx(t)); err != nil {
		t.Fatal(err)
	}
	return in, api
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, false, false)
}

func button(actionID, value, text string) *slack.ButtonBlockElement {
	return slack.NewButtonBlockElement(actionID, value, plain(text))
}

func snoozeOptions() []*slack.OptionBlockObject {
	return []*slack.OptionBlockObject{
		slack.NewOptionBlockObject("1h", plain("1 hour"), nil),
		slack.NewOptionBlockObject("24h", plain("1 day"), nil),
	}
}

// alertBlocks are blocks like an alert's: a text, then its buttons.
func alertBlocks() []slack.Block {
	return []slack.Block{
		section("*Beta Co* is low: $13.00"),
		slack.NewActionBlock("alert-7",
			button("org_details", "4002", "Details"),
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Snooze"), "snooze", snoozeOptions()...),
			button("ack", "ep-7", "Acknowledge"),
		),
		slack.NewSectionBlock(plain("More"), nil, slack.NewAccessory(slack.NewOverflowBlockElement("more", snoozeOptions()...))),
	}
}

func mustMarshal(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBlockActionsReachTheBotAsSlackSendsThem(t *testing.T) {
	tests := []struct {
		name  string
		click func(t *testing.T, s *slacktest.Server, api *slack.Client) slacktest.BlockAction
		check func(t *testing.T, s *slacktest.Server, click slacktest.BlockAction, d slacktest.Delivery, cb slack.InteractionCallback)
	}{
		{
			name: "a button on a posted message carries its action, value, block, user, channel and message",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				ts := post(t, api, "Beta Co is low", slack.MsgOptionBlocks(alertBlocks()...))
				return slacktest.BlockAction{ActionID: "ack", MessageTS: ts, UserID: "U42", UserName: "alice"}
			},
			check: func(t *testing.T, s *slacktest.Server, click slacktest.BlockAction, d slacktest.Delivery, cb slack.InteractionCallback) {
				if cb.Type != slack.InteractionTypeBlockActions || cb.APIAppID != slacktest.AppID || cb.Team.ID != slacktest.TeamID {
					t.Errorf("callback type %q app %q team %q", cb.Type, cb.APIAppID, cb.Team.ID)
				}
				acts := cb.ActionCallback.BlockActions
				if len(acts) != 1 || acts[0].ActionID != "ack" || acts[0].Value != "ep-7" || acts[0].BlockID != "alert-7" || acts[0].Type != "button" {
					t.Fatalf("actions = %+v", acts)
				}
				if cb.User.ID != "U42" || cb.User.Name != "alice" || cb.Channel.ID != slacktest.DefaultChannel {
					t.Errorf("user %+v channel %+v", cb.User, cb.Channel)
				}
				if cb.Container.Type != "message" || cb.Container.MessageTs != click.MessageTS || cb.Container.ChannelID != slacktest.DefaultChannel || cb.Container.IsEphemeral {
					t.Errorf("container = %+v", cb.Container)
				}
				if cb.Message.Timestamp != click.MessageTS || cb.Message.Text != "Beta Co is low" || len(cb.Message.Blocks.BlockSet) != 3 {
					t.Errorf("message = %+v", cb.Message)
				}
				if cb.TriggerID == "" || cb.TriggerID != d.TriggerID || cb.ResponseURL != d.ResponseURL || !strings.HasPrefix(cb.ResponseURL, s.URL()+"/") {
					t.Errorf("trigger %q response_url %q, delivery %+v", cb.TriggerID, cb.ResponseURL, d)
				}
			},
		},
		{
			name: "a static_select choice carries the chosen option with its text",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				ts := post(t, api, "low", slack.MsgOptionBlocks(alertBlocks()...))
				return slacktest.BlockAction{ActionID: "snooze", SelectedValue: "24h", MessageTS: ts}
			},
			check: func(t *testing.T, _ *slacktest.Server, _ slacktest.BlockAction, _ slacktest.Delivery, cb slack.InteractionCallback) {
				a := cb.ActionCallback.BlockActions[0]
				if a.Type != "static_select" || a.SelectedOption.Value != "24h" || a.SelectedOption.Text == nil || a.SelectedOption.Text.Text != "1 day" {
					t.Errorf("action = %+v, option text %+v", a, a.SelectedOption.Text)
				}
				if cb.User.ID != slacktest.DefaultUserID {
					t.Errorf("user = %+v, want the default user", cb.User)
				}
			},
		},
		{
			name: "an overflow choice in a section's accessory carries the option",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				ts := post(t, api, "low", slack.MsgOptionBlocks(alertBlocks()...))
				return slacktest.BlockAction{ActionID: "more", SelectedValue: "1h", MessageTS: ts}
			},
			check: func(t *testing.T, _ *slacktest.Server, _ slacktest.BlockAction, _ slacktest.Delivery, cb slack.InteractionCallback) {
				a := cb.ActionCallback.BlockActions[0]
				if a.Type != "overflow" || a.SelectedOption.Value != "1h" || a.BlockID == "" {
					t.Errorf("action = %+v", a)
				}
			},
		},
		{
			name: "a click on a thread reply names the thread in its container",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				parent := post(t, api, "episode")
				reply := post(t, api, "reminder", slack.MsgOptionTS(parent), slack.MsgOptionBlocks(alertBlocks()...))
				return slacktest.BlockAction{ActionID: "ack", MessageTS: reply, ChannelID: slacktest.DefaultChannel}
			},
			check: func(t *testing.T, s *slacktest.Server, click slacktest.BlockAction, _ slacktest.Delivery, cb slack.InteractionCallback) {
				parent := s.Messages(slacktest.DefaultChannel)[0].TS
				if cb.Container.ThreadTs != parent || cb.Message.ThreadTimestamp != parent || cb.Container.MessageTs != click.MessageTS {
					t.Errorf("container %+v, message thread %q, want thread %s", cb.Container, cb.Message.ThreadTimestamp, parent)
				}
			},
		},
		{
			name: "a click in an ephemeral answer's blocks is marked ephemeral and carries no message",
			click: func(t *testing.T, _ *slacktest.Server, _ *slack.Client) slacktest.BlockAction {
				blocks := mustMarshal(t, []slack.Block{slack.NewActionBlock("preview", button("topup_confirm", "p-1", "Confirm"))})
				return slacktest.BlockAction{ActionID: "topup_confirm", Blocks: blocks, Ephemeral: true}
			},
			check: func(t *testing.T, _ *slacktest.Server, _ slacktest.BlockAction, d slacktest.Delivery, cb slack.InteractionCallback) {
				if !cb.Container.IsEphemeral || cb.Container.MessageTs == "" || cb.Message.Timestamp != "" {
					t.Errorf("container %+v message ts %q", cb.Container, cb.Message.Timestamp)
				}
				if a := cb.ActionCallback.BlockActions[0]; a.Value != "p-1" || a.BlockID != "preview" || d.ResponseURL == "" {
					t.Errorf("action %+v, response_url %q", a, d.ResponseURL)
				}
			},
		},
		{
			name: "a click in a chat.postEphemeral message is the recipient's and is ephemeral",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				ts, err := api.PostEphemeral(slacktest.DefaultChannel, "U42", slack.MsgOptionBlocks(alertBlocks()...))
				if err != nil {
					t.Fatal(err)
				}
				return slacktest.BlockAction{ActionID: "org_details", MessageTS: ts, UserID: "U42"}
			},
			check: func(t *testing.T, _ *slacktest.Server, _ slacktest.BlockAction, _ slacktest.Delivery, cb slack.InteractionCallback) {
				if !cb.Container.IsEphemeral || cb.ActionCallback.BlockActions[0].Value != "4002" {
					t.Errorf("container %+v actions %+v", cb.Container, cb.ActionCallback.BlockActions[0])
				}
			},
		},
		{
			name: "a click in the Home tab carries the view and no response_url",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				v, err := api.PublishView(slacktest.DefaultUserID, slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: alertBlocks()}}, "")
				if err != nil {
					t.Fatal(err)
				}
				return slacktest.BlockAction{ActionID: "org_details", ViewID: v.ID}
			},
			check: func(t *testing.T, _ *slacktest.Server, click slacktest.BlockAction, d slacktest.Delivery, cb slack.InteractionCallback) {
				if cb.Container.Type != "view" || cb.Container.ViewID != click.ViewID || cb.View.ID != click.ViewID || cb.View.Type != slack.VTHomeTab {
					t.Errorf("container %+v view %s %s", cb.Container, cb.View.ID, cb.View.Type)
				}
				if cb.ResponseURL != "" || d.ResponseURL != "" || cb.TriggerID == "" {
					t.Errorf("response_url %q / %q, trigger %q", cb.ResponseURL, d.ResponseURL, cb.TriggerID)
				}
			},
		},
		{
			name: "a click on a message the fake never saw is sent as given",
			click: func(*testing.T, *slacktest.Server, *slack.Client) slacktest.BlockAction {
				return slacktest.BlockAction{ActionID: "snooze", BlockID: "old", SelectedValue: "1h", MessageTS: "1700000000.000100"}
			},
			check: func(t *testing.T, _ *slacktest.Server, _ slacktest.BlockAction, _ slacktest.Delivery, cb slack.InteractionCallback) {
				a := cb.ActionCallback.BlockActions[0]
				if a.BlockID != "old" || a.Type != "static_select" || a.SelectedOption.Value != "1h" || cb.Container.MessageTs != "1700000000.000100" {
					t.Errorf("action %+v container %+v", a, cb.Container)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			in, api := interactionBot(t, s, nil)
			click := tt.click(t, s, api)

			d, err := s.BlockAction(timeoutCtx(t), click)

			if err != nil {
				t.Fatalf("BlockAction: %v", err)
			}
			if !d.AckedInTime() || d.Ack.EnvelopeID != d.EnvelopeID || d.RetryAttempt != 0 {
				t.Errorf("delivery = %+v", d)
			}
			tt.check(t, s, click, d, in.last(t))
		})
	}
}

func TestBlockActionsSlackCouldNotSendAreRefused(t *testing.T) {
	tests := []struct {
		name  string
		click func(t *testing.T, s *slacktest.Server, api *slack.Client) slacktest.BlockAction
	}{
		{
			name: "a click without an action_id",
			click: func(*testing.T, *slacktest.Server, *slack.Client) slacktest.BlockAction {
				return slacktest.BlockAction{MessageTS: "1.1"}
			},
		},
		{
			name: "a click on no message and no view",
			click: func(*testing.T, *slacktest.Server, *slack.Client) slacktest.BlockAction {
				return slacktest.BlockAction{ActionID: "ack"}
			},
		},
		{
			name: "a click on an element the message does not have",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				return slacktest.BlockAction{ActionID: "topup_open", MessageTS: post(t, api, "x", slack.MsgOptionBlocks(alertBlocks()...))}
			},
		},
		{
			name: "a click on a text-only message",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				return slacktest.BlockAction{ActionID: "ack", MessageTS: post(t, api, "just text")}
			},
		},
		{
			name: "an option the select does not offer",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				return slacktest.BlockAction{ActionID: "snooze", SelectedValue: "168h", MessageTS: post(t, api, "x", slack.MsgOptionBlocks(alertBlocks()...))}
			},
		},
		{
			name: "a button value other than the button's",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				return slacktest.BlockAction{ActionID: "ack", Value: "ep-8", MessageTS: post(t, api, "x", slack.MsgOptionBlocks(alertBlocks()...))}
			},
		},
		{
			name: "a click on a deleted message",
			click: func(t *testing.T, s *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				ts := post(t, api, "x", slack.MsgOptionBlocks(alertBlocks()...))
				s.DeleteMessage(slacktest.DefaultChannel, ts)
				return slacktest.BlockAction{ActionID: "ack", MessageTS: ts}
			},
		},
		{
			name: "a click on someone else's ephemeral message",
			click: func(t *testing.T, _ *slacktest.Server, api *slack.Client) slacktest.BlockAction {
				ts, err := api.PostEphemeral(slacktest.DefaultChannel, "U42", slack.MsgOptionBlocks(alertBlocks()...))
				if err != nil {
					t.Fatal(err)
				}
				return slacktest.BlockAction{ActionID: "ack", MessageTS: ts, UserID: "U43"}
			},
		},
		{
			name: "a click in a view that does not exist",
			click: func(*testing.T, *slacktest.Server, *slack.Client) slacktest.BlockAction {
				return slacktest.BlockAction{ActionID: "ack", ViewID: "VNOPE"}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			click := tt.click(t, s, newAPI(s))

			_, err := s.BlockAction(timeoutCtx(t), click)

			if err == nil || !strings.HasPrefix(err.Error(), "slacktest: ") {
				t.Errorf("BlockAction error = %v, want the fake's refusal", err)
			}
			if envs := s.Envelopes(); len(envs) != 0 {
				t.Errorf("a refused click left envelopes: %+v", envs)
			}
		})
	}
}

func TestARedeliveredEnvelopeArrivesAgainWithItsIDAndRetryFields(t *testing.T) {
	s := newServer(t)
	in, api := interactionBot(t, s, nil)
	ts := post(t, api, "x", slack.MsgOptionBlocks(alertBlocks()...))
	ctx := timeoutCtx(t)
	first, err := s.BlockAction(ctx, slacktest.BlockAction{ActionID: "ack", MessageTS: ts})
	if err != nil {
		t.Fatal(err)
	}

	second, err := s.Redeliver(ctx, first.EnvelopeID, "")
	if err != nil {
		t.Fatal(err)
	}
	third, err := s.Redeliver(ctx, first.EnvelopeID, "too_many_websocket_messages")
	if err != nil {
		t.Fatal(err)
	}

	evts := in.events()
	if len(evts) != 3 {
		t.Fatalf("the bot received %d envelopes, want 3", len(evts))
	}
	for i, want := range []struct {
		attempt int
		reason  string
	}{{0, ""}, {1, "timeout"}, {2, "too_many_websocket_messages"}} {
		r := evts[i].Request
		if r.EnvelopeID != first.EnvelopeID || r.RetryAttempt != want.attempt || r.RetryReason != want.reason || !bytes.Equal(r.Payload, evts[0].Request.Payload) {
			t.Errorf("delivery %d: envelope %s attempt %d reason %q, want %s %d %q and the first payload", i, r.EnvelopeID, r.RetryAttempt, r.RetryReason, first.EnvelopeID, want.attempt, want.reason)
		}
	}
	if second.RetryAttempt != 1 || third.RetryAttempt != 2 || second.TriggerID != first.TriggerID {
		t.Errorf("deliveries = %+v, %+v", second, third)
	}
	if envs := s.Envelopes(); len(envs) != 1 || envs[0].Deliveries != 3 || envs[0].AckedAt.IsZero() || envs[0].Type != slacktest.EnvelopeInteractive {
		t.Errorf("Envelopes = %+v", envs)
	}
	if _, err := s.Redeliver(ctx, "no-such-envelope", ""); err == nil {
		t.Error("redelivering an unknown envelope succeeded")
	}
}

func TestUnackedEnvelopesAreRecordedUntilAnAckArrives(t *testing.T) {
	s := newServer(t)
	// The bot loses the first delivery and acks the redelivery.
	_, api := interactionBot(t, s, func(_ *slack.Client, c *socketmode.Client, evt socketmode.Event) {
		if evt.Request.RetryAttempt > 0 {
			_ = c.Ack(*evt.Request)
		}
	})
	ts := post(t, api, "x", slack.MsgOptionBlocks(alertBlocks()...))
	short, cancel := context.WithTimeout(timeoutCtx(t), 200*time.Millisecond)
	defer cancel()

	lost, err := s.BlockAction(short, slacktest.BlockAction{ActionID: "ack", MessageTS: ts})

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("BlockAction error = %v, want a deadline", err)
	}
	unacked := s.Unacked()
	if len(unacked) != 1 || unacked[0].ID != lost.EnvelopeID || unacked[0].Deliveries != 1 || !unacked[0].AckedAt.IsZero() {
		t.Fatalf("Unacked = %+v, want the lost envelope %s", unacked, lost.EnvelopeID)
	}
	if _, err := s.Redeliver(timeoutCtx(t), lost.EnvelopeID, ""); err != nil {
		t.Fatal(err)
	}
	if unacked := s.Unacked(); len(unacked) != 0 {
		t.Errorf("Unacked after the acked redelivery = %+v", unacked)
	}
}

func TestTheAckDeadlineIsChecked(t *testing.T) {
	// Generous, so that a loaded machine acks in time when the bot does.
	const deadline = 300 * time.Millisecond
	send := map[string]func(ctx context.Context, s *slacktest.Server, api *slack.Client) (slacktest.Delivery, error){
		"a click": func(ctx context.Context, s *slacktest.Server, api *slack.Client) (slacktest.Delivery, error) {
			_, ts, err := api.PostMessage(slacktest.DefaultChannel, slack.MsgOptionBlocks(alertBlocks()...))
			if err != nil {
				return slacktest.Delivery{}, err
			}
			return s.BlockAction(ctx, slacktest.BlockAction{ActionID: "ack", MessageTS: ts})
		},
		"a Home tab opening": func(ctx context.Context, s *slacktest.Server, _ *slack.Client) (slacktest.Delivery, error) {
			return s.AppHomeOpened(ctx, slacktest.AppHomeOpened{})
		},
	}
	tests := []struct {
		name    string
		delay   time.Duration
		wantErr error
	}{
		{name: "is in time when acked at once", delay: 0},
		{name: "is late when acked after the deadline", delay: 2 * deadline, wantErr: slacktest.ErrAckTimeout},
	}
	for what, do := range send {
		for _, tt := range tests {
			t.Run(what+" "+tt.name, func(t *testing.T) {
				s := newServer(t, slacktest.WithAckTimeout(deadline))
				_, api := interactionBot(t, s, func(_ *slack.Client, c *socketmode.Client, evt socketmode.Event) {
					time.Sleep(tt.delay)
					_ = c.Ack(*evt.Request)
				})

				d, err := do(timeoutCtx(t), s, api)

				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if d.AckedInTime() != (tt.wantErr == nil) || d.Deadline != deadline || d.Ack.EnvelopeID != d.EnvelopeID {
					t.Errorf("delivery = %+v, AckedInTime %v", d, d.AckedInTime())
				}
			})
		}
	}
}

func TestASecondAckOfOneDeliveryIsIgnored(t *testing.T) {
	s := newServer(t)
	_, api := interactionBot(t, s, func(_ *slack.Client, c *socketmode.Client, evt socketmode.Event) {
		_ = c.Ack(*evt.Request)
		_ = c.Ack(*evt.Request)
	})
	ts := post(t, api, "x", slack.MsgOptionBlocks(alertBlocks()...))
	ctx := timeoutCtx(t)
	if _, err := s.BlockAction(ctx, slacktest.BlockAction{ActionID: "ack", MessageTS: ts}); err != nil {
		t.Fatal(err)
	}

	for len(s.Acks()) < 2 && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}

	acks := s.Acks()
	if len(acks) != 2 || acks[0].Dropped || !acks[1].Dropped || acks[1].Reason != "already_acked" {
		t.Errorf("Acks = %+v", acks)
	}
}

func TestAppHomeOpenedArrivesAsAnEventWithThePublishedView(t *testing.T) {
	s := newServer(t)
	seen := make(chan *slackevents.AppHomeOpenedEvent, 2)
	_, _ = interactionBot(t, s, func(api *slack.Client, c *socketmode.Client, evt socketmode.Event) {
		_ = c.Ack(*evt.Request)
		outer, ok := evt.Data.(slackevents.EventsAPIEvent)
		if !ok {
			t.Errorf("events_api envelope carries %T", evt.Data)
			return
		}
		home, ok := outer.InnerEvent.Data.(*slackevents.AppHomeOpenedEvent)
		if !ok || outer.Type != slackevents.CallbackEvent || outer.TeamID != slacktest.TeamID {
			t.Errorf("event %s carries %T", outer.Type, outer.InnerEvent.Data)
			return
		}
		if _, err := api.PublishView(home.User, slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{section("3 orgs")}}}, ""); err != nil {
			t.Errorf("views.publish: %v", err)
		}
		seen <- home
	})
	ctx := timeoutCtx(t)

	for i := range 2 {
		d, err := s.AppHomeOpened(ctx, slacktest.AppHomeOpened{})
		if err != nil || d.TriggerID != "" || d.ResponseURL != "" {
			t.Fatalf("AppHomeOpened %d = %+v, %v", i, d, err)
		}
		home := <-seen
		if home.User != slacktest.DefaultUserID || home.Tab != "home" || home.Channel == "" || home.EventTimeStamp == "" {
			t.Errorf("event %d = %+v", i, home)
		}
		published, ok := s.HomeView(slacktest.DefaultUserID)
		if !ok || published.Type != "home" {
			t.Fatalf("HomeView = %+v, %v", published, ok)
		}
		if i == 0 && home.View != nil {
			t.Errorf("the first opening carries view %s before any was published", home.View.ID)
		}
		if i == 1 && (home.View == nil || home.View.ID != published.ID) {
			t.Errorf("the second opening carries %+v, want the published view %s", home.View, published.ID)
		}
	}
	if envs := s.Envelopes(); len(envs) != 2 || envs[0].Type != slacktest.EnvelopeEventsAPI {
		t.Errorf("Envelopes = %+v", envs)
	}
}

package slacktest_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// topupModal is a modal like the top-up flow's: how many minutes
// (required) and why (optional).
func topupModal(orgID string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain("Top up"),
		Submit:          plain("Preview"),
		Close:           plain("Cancel"),
		CallbackID:      "topup",
		PrivateMetadata: orgID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section("*Beta Co* has $13.00 left"),
			slack.NewInputBlock("minutes", plain("Minutes"), nil, slack.NewPlainTextInputBlockElement(nil, "amount")),
			optionalInput("reason", slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "why", snoozeOptions()...)),
		}},
	}
}

func optionalInput(blockID string, e slack.BlockElement) *slack.InputBlock {
	b := slack.NewInputBlock(blockID, plain("Why"), nil, e)
	b.Optional = true
	return b
}

func sections(n int) []slack.Block {
	blocks := make([]slack.Block, n)
	for i := range blocks {
		blocks[i] = section("row")
	}
	return blocks
}

// trigger returns a trigger_id the fake issued for a click by the default
// user just now.
func trigger(t *testing.T, s *slacktest.Server) string {
	t.Helper()
	d, err := s.BlockAction(timeoutCtx(t), slacktest.BlockAction{ActionID: "topup_open", MessageTS: "1700000000.000100"})
	if err != nil || d.TriggerID == "" {
		t.Fatalf("BlockAction = %+v, %v", d, err)
	}
	return d.TriggerID
}

func TestViewsOpen(t *testing.T) {
	tooManyBlocks := topupModal("4002")
	tooManyBlocks.Blocks.BlockSet = sections(slacktest.MaxViewBlocks + 1)
	longTitle := topupModal("4002")
	longTitle.Title = plain(strings.Repeat("t", slacktest.MaxViewTitle+1))
	noSubmit := topupModal("4002")
	noSubmit.Submit = nil
	home := topupModal("4002")
	home.Type = slack.VTHomeTab
	longMetadata := topupModal(strings.Repeat("m", slacktest.MaxPrivateMetadata+1))

	tests := []struct {
		name     string
		lifetime time.Duration // of triggers; 0: Slack's
		trigger  func(t *testing.T, s *slacktest.Server, api *slack.Client) string
		view     slack.ModalViewRequest
		wantErr  string
		wantMsg  string // in response_metadata.messages
	}{
		{name: "a modal opened with a fresh trigger is stored for the clicking user", trigger: fresh, view: topupModal("4002")},
		{
			name:    "exactly 100 blocks are accepted",
			trigger: fresh,
			view: func() slack.ModalViewRequest {
				v := topupModal("4002")
				v.Blocks.BlockSet = sections(slacktest.MaxViewBlocks)
				return v
			}(),
		},
		{
			name:    "a trigger the fake never issued is invalid_trigger_id",
			trigger: func(*testing.T, *slacktest.Server, *slack.Client) string { return "1700000000.1.made-up" },
			view:    topupModal("4002"),
			wantErr: "invalid_trigger_id",
		},
		{
			name: "a trigger used once already is exchanged_trigger_id",
			trigger: func(t *testing.T, s *slacktest.Server, api *slack.Client) string {
				tr := trigger(t, s)
				if _, err := api.OpenView(tr, topupModal("4002")); err != nil {
					t.Fatal(err)
				}
				return tr
			},
			view:    topupModal("4002"),
			wantErr: "exchanged_trigger_id",
		},
		{
			name:     "a trigger older than its lifetime is expired_trigger_id",
			lifetime: 100 * time.Millisecond,
			trigger: func(t *testing.T, s *slacktest.Server, _ *slack.Client) string {
				tr := trigger(t, s)
				time.Sleep(300 * time.Millisecond)
				return tr
			},
			view:    topupModal("4002"),
			wantErr: "expired_trigger_id",
		},
		{name: "101 blocks are invalid_arguments", trigger: fresh, view: tooManyBlocks, wantErr: "invalid_arguments", wantMsg: "no more than 100 items"},
		{name: "a title over 24 characters is invalid_arguments", trigger: fresh, view: longTitle, wantErr: "invalid_arguments", wantMsg: "/view/title"},
		{name: "inputs without a submit button are invalid_arguments", trigger: fresh, view: noSubmit, wantErr: "invalid_arguments", wantMsg: "submit"},
		{name: "a Home tab view is not a modal", trigger: fresh, view: home, wantErr: "invalid_arguments", wantMsg: "/view/type"},
		{name: "private_metadata over 3000 characters is invalid_arguments", trigger: fresh, view: longMetadata, wantErr: "invalid_arguments", wantMsg: "private_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, slacktest.WithTriggerLifetime(tt.lifetime))
			_, api := interactionBot(t, s, nil)
			tr := tt.trigger(t, s, api)
			before := len(s.Views(""))

			resp, err := api.OpenViewContext(timeoutCtx(t), tr, tt.view)

			if tt.wantErr != "" {
				se, ok := errors.AsType[slack.SlackErrorResponse](err)
				if !ok || se.Err != tt.wantErr || !strings.Contains(strings.Join(se.ResponseMetadata.Messages, " "), tt.wantMsg) {
					t.Fatalf("OpenView error = %#v, want %s mentioning %q", err, tt.wantErr, tt.wantMsg)
				}
				if n := len(s.Views("")); n != before {
					t.Errorf("a refused view was stored: %d views, had %d", n, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenView: %v", err)
			}
			views := s.Views(slacktest.DefaultUserID)
			if len(views) != 1 {
				t.Fatalf("Views = %+v", views)
			}
			v := views[0]
			if v.ID != resp.View.ID || v.Hash != resp.View.Hash || v.Hash == "" || v.Type != "modal" || v.Title != "Top up" ||
				v.CallbackID != tt.view.CallbackID || v.PrivateMetadata != tt.view.PrivateMetadata || v.RootViewID != v.ID || v.Closed {
				t.Errorf("view = %+v, response %+v", v, resp.View)
			}
			if resp.View.Title == nil || resp.View.Title.Text != "Top up" || len(resp.View.Blocks.BlockSet) != len(tt.view.Blocks.BlockSet) {
				t.Errorf("views.open answered %+v", resp.View)
			}
		})
	}
}

// fresh is a trigger issued just now.
func fresh(t *testing.T, s *slacktest.Server, _ *slack.Client) string { return trigger(t, s) }

func TestViewsUpdate(t *testing.T) {
	s := newServer(t)
	_, api := interactionBot(t, s, nil)
	opened, err := api.OpenView(trigger(t, s), topupModal("4002"))
	if err != nil {
		t.Fatal(err)
	}
	changed := topupModal("4002")
	changed.Title = plain("Top up: sure?")
	changed.ExternalID = "topup-4002"

	t.Run("an update by view_id with the current hash changes the view", func(t *testing.T) {
		resp, err := api.UpdateView(changed, "", opened.View.Hash, opened.View.ID)
		if err != nil {
			t.Fatal(err)
		}
		v := s.Views("")[0]
		if v.Title != "Top up: sure?" || v.Updates != 1 || v.Hash == opened.View.Hash || v.Hash != resp.View.Hash || v.ExternalID != "topup-4002" {
			t.Errorf("view = %+v", v)
		}
	})
	t.Run("an update with a stale hash is hash_conflict", func(t *testing.T) {
		if _, err := api.UpdateView(changed, "", opened.View.Hash, opened.View.ID); err == nil || err.Error() != "hash_conflict" {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("an update by external_id finds the view", func(t *testing.T) {
		if _, err := api.UpdateView(changed, "topup-4002", "", ""); err != nil {
			t.Fatal(err)
		}
		if v := s.Views("")[0]; v.Updates != 2 {
			t.Errorf("view = %+v", v)
		}
	})
	t.Run("an update of an unknown view is not_found", func(t *testing.T) {
		if _, err := api.UpdateView(changed, "", "", "VNOPE"); err == nil || err.Error() != "not_found" {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("an update over 100 blocks is invalid_arguments", func(t *testing.T) {
		big := topupModal("4002")
		big.Blocks.BlockSet = sections(slacktest.MaxViewBlocks + 1)
		if _, err := api.UpdateView(big, "", "", opened.View.ID); err == nil || err.Error() != "invalid_arguments" {
			t.Errorf("error = %v", err)
		}
	})
}

func TestViewsPublish(t *testing.T) {
	homeOf := func(n int) slack.HomeTabViewRequest {
		return slack.HomeTabViewRequest{Type: slack.VTHomeTab, CallbackID: "home", Blocks: slack.Blocks{BlockSet: sections(n)}}
	}
	tests := []struct {
		name    string
		user    string
		view    slack.HomeTabViewRequest
		hash    func(first *slack.ViewResponse) string
		wantErr string
	}{
		{name: "a second publish replaces the user's Home tab", user: slacktest.DefaultUserID, view: homeOf(2)},
		{name: "a publish with the current hash is accepted", user: slacktest.DefaultUserID, view: homeOf(3), hash: func(v *slack.ViewResponse) string { return v.Hash }},
		{name: "exactly 100 blocks are accepted", user: slacktest.DefaultUserID, view: homeOf(slacktest.MaxViewBlocks)},
		{name: "101 blocks are invalid_arguments", user: slacktest.DefaultUserID, view: homeOf(slacktest.MaxViewBlocks + 1), wantErr: "invalid_arguments"},
		{name: "a modal is not a Home tab", user: slacktest.DefaultUserID, view: slack.HomeTabViewRequest{Type: slack.VTModal, Blocks: slack.Blocks{BlockSet: sections(1)}}, wantErr: "invalid_arguments"},
		{name: "a stale hash is hash_conflict", user: slacktest.DefaultUserID, view: homeOf(2), hash: func(*slack.ViewResponse) string { return "1700000000.stale" }, wantErr: "hash_conflict"},
		{name: "an unknown user is user_not_found", user: "U0NOBODY", view: homeOf(1), wantErr: "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			api := newAPI(s)
			first, err := api.PublishView(slacktest.DefaultUserID, homeOf(1), "")
			if err != nil {
				t.Fatal(err)
			}
			hash := ""
			if tt.hash != nil {
				hash = tt.hash(first)
			}

			_, err = api.PublishView(tt.user, tt.view, hash)

			v, ok := s.HomeView(slacktest.DefaultUserID)
			if !ok || v.ID != first.View.ID {
				t.Fatalf("HomeView = %+v, %v; want the first view %s", v, ok, first.View.ID)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("PublishView error = %v, want %s", err, tt.wantErr)
				}
				if v.Updates != 0 || v.Hash != first.View.Hash {
					t.Errorf("a refused publish changed the view: %+v", v)
				}
				return
			}
			if err != nil {
				t.Fatalf("PublishView: %v", err)
			}
			if v.Updates != 1 || v.Hash == first.View.Hash || v.CallbackID != "home" || len(s.Views(slacktest.DefaultUserID)) != 1 {
				t.Errorf("view = %+v", v)
			}
		})
	}
}

// modalBot runs a bot that opens the top-up modal when topup_open is
// clicked and acks each view_submission with ack.
func modalBot(t *testing.T, s *slacktest.Server, ack any) (*inbox, *slack.Client) {
	t.Helper()
	return interactionBot(t, s, func(api *slack.Client, c *socketmode.Client, evt socketmode.Event) {
		cb, _ := evt.Data.(slack.InteractionCallback)
		switch cb.Type {
		case slack.InteractionTypeBlockActions:
			_ = c.Ack(*evt.Request)
			if _, err := api.OpenView(cb.TriggerID, topupModal(cb.ActionCallback.BlockActions[0].Value)); err != nil {
				t.Errorf("views.open: %v", err)
			}
		case slack.InteractionTypeViewSubmission:
			if ack == nil {
				_ = c.Ack(*evt.Request)
				return
			}
			_ = c.Ack(*evt.Request, ack)
		}
	})
}

// openTopup clicks topup_open on an alert and returns the modal the bot
// opened.
func openTopup(t *testing.T, s *slacktest.Server, api *slack.Client) slacktest.View {
	t.Helper()
	ts := post(t, api, "low", slack.MsgOptionBlocks(slack.NewActionBlock("a", button("topup_open", "4002", "Top up"))))
	ctx := timeoutCtx(t)
	if _, err := s.BlockAction(ctx, slacktest.BlockAction{ActionID: "topup_open", MessageTS: ts}); err != nil {
		t.Fatal(err)
	}
	views, err := s.WaitViews(ctx, slacktest.DefaultUserID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return views[0]
}

func TestViewSubmissionsActOnTheModalAsTheirAckSays(t *testing.T) {
	second := topupModal("4002")
	second.Title = plain("Confirm")
	tests := []struct {
		name       string
		ack        any
		wantAction string
		wantErr    error
		check      func(t *testing.T, views []slacktest.View)
	}{
		{
			name: "an empty ack closes the modal",
			check: func(t *testing.T, views []slacktest.View) {
				if len(views) != 1 || !views[0].Closed {
					t.Errorf("views = %+v", views)
				}
			},
		},
		{
			name:       "errors keep it open",
			ack:        slack.NewErrorsViewSubmissionResponse(map[string]string{"minutes": "at most 1000"}),
			wantAction: "errors",
			check: func(t *testing.T, views []slacktest.View) {
				if len(views) != 1 || views[0].Closed || views[0].Updates != 0 {
					t.Errorf("views = %+v", views)
				}
			},
		},
		{
			name:       "update replaces it",
			ack:        slack.NewUpdateViewSubmissionResponse(&second),
			wantAction: "update",
			check: func(t *testing.T, views []slacktest.View) {
				if len(views) != 1 || views[0].Closed || views[0].Updates != 1 || views[0].Title != "Confirm" {
					t.Errorf("views = %+v", views)
				}
			},
		},
		{
			name:       "push stacks another on it",
			ack:        slack.NewPushViewSubmissionResponse(&second),
			wantAction: "push",
			check: func(t *testing.T, views []slacktest.View) {
				if len(views) != 2 || views[1].RootViewID != views[0].ID || views[1].PreviousViewID != views[0].ID || views[1].Title != "Confirm" {
					t.Errorf("views = %+v", views)
				}
			},
		},
		{
			name:       "clear closes the stack",
			ack:        slack.NewClearViewSubmissionResponse(),
			wantAction: "clear",
			check: func(t *testing.T, views []slacktest.View) {
				if len(views) != 1 || !views[0].Closed {
					t.Errorf("views = %+v", views)
				}
			},
		},
		{
			name:       "errors for a block that is not an input are invalid",
			ack:        slack.NewErrorsViewSubmissionResponse(map[string]string{"not-an-input": "no"}),
			wantAction: "errors",
			wantErr:    slacktest.ErrInvalidResponse,
		},
		{
			name:       "an unknown response_action is invalid",
			ack:        map[string]any{"response_action": "close"},
			wantAction: "close",
			wantErr:    slacktest.ErrInvalidResponse,
		},
		{
			name: "an update with an invalid view is invalid",
			ack: slack.NewUpdateViewSubmissionResponse(&slack.ModalViewRequest{
				Type: slack.VTModal, Title: plain("x"), Blocks: slack.Blocks{BlockSet: sections(slacktest.MaxViewBlocks + 1)},
			}),
			wantAction: "update",
			wantErr:    slacktest.ErrInvalidResponse,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			in, api := modalBot(t, s, tt.ack)
			v := openTopup(t, s, api)

			d, err := s.ViewSubmission(timeoutCtx(t), slacktest.ViewSubmission{
				ViewID: v.ID,
				Values: map[string]map[string]string{"minutes": {"amount": "100"}, "reason": {"why": "24h"}},
			})

			if !errors.Is(err, tt.wantErr) || d.ResponseAction != tt.wantAction {
				t.Fatalf("ViewSubmission = %q, %v; want %q, %v", d.ResponseAction, err, tt.wantAction, tt.wantErr)
			}
			cb := in.last(t)
			if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != v.ID || cb.View.CallbackID != "topup" ||
				cb.View.PrivateMetadata != "4002" || cb.View.Hash != v.Hash || cb.User.ID != slacktest.DefaultUserID || cb.TriggerID == "" {
				t.Errorf("callback %s: view %+v user %+v", cb.Type, cb.View, cb.User)
			}
			values := cb.View.State.Values
			if values["minutes"]["amount"].Value != "100" || values["reason"]["why"].SelectedOption.Value != "24h" {
				t.Errorf("state values = %+v", values)
			}
			if tt.check != nil {
				tt.check(t, s.Views(slacktest.DefaultUserID))
			}
		})
	}
}

func TestViewSubmissionsSlackCouldNotSendAreRefused(t *testing.T) {
	tests := []struct {
		name   string
		submit func(v slacktest.View) slacktest.ViewSubmission
	}{
		{
			name:   "a required input left empty",
			submit: func(v slacktest.View) slacktest.ViewSubmission { return slacktest.ViewSubmission{ViewID: v.ID} },
		},
		{
			name: "a value for a block the view does not have",
			submit: func(v slacktest.View) slacktest.ViewSubmission {
				return slacktest.ViewSubmission{ViewID: v.ID, Values: map[string]map[string]string{"minutes": {"amount": "1"}, "price": {"p": "1"}}}
			},
		},
		{
			name: "an option the select does not offer",
			submit: func(v slacktest.View) slacktest.ViewSubmission {
				return slacktest.ViewSubmission{ViewID: v.ID, Values: map[string]map[string]string{"minutes": {"amount": "1"}, "reason": {"why": "168h"}}}
			},
		},
		{
			name:   "a view that does not exist",
			submit: func(slacktest.View) slacktest.ViewSubmission { return slacktest.ViewSubmission{ViewID: "VNOPE"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			_, api := modalBot(t, s, nil)
			v := openTopup(t, s, api)
			before := len(s.Envelopes())

			_, err := s.ViewSubmission(timeoutCtx(t), tt.submit(v))

			if err == nil || !strings.HasPrefix(err.Error(), "slacktest: ") {
				t.Errorf("ViewSubmission error = %v, want the fake's refusal", err)
			}
			if n := len(s.Envelopes()); n != before {
				t.Errorf("a refused submission made an envelope: %d, had %d", n, before)
			}
		})
	}
}

func TestAClosedModalCannotBeSubmittedOrUpdated(t *testing.T) {
	s := newServer(t)
	_, api := modalBot(t, s, nil)
	v := openTopup(t, s, api)
	values := map[string]map[string]string{"minutes": {"amount": "100"}}
	ctx := timeoutCtx(t)
	if _, err := s.ViewSubmission(ctx, slacktest.ViewSubmission{ViewID: v.ID, Values: values}); err != nil {
		t.Fatal(err)
	}

	_, err := s.ViewSubmission(ctx, slacktest.ViewSubmission{ViewID: v.ID, Values: values})
	if err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("second ViewSubmission error = %v, want closed", err)
	}
	if _, err := api.UpdateView(topupModal("4002"), "", "", v.ID); err == nil || err.Error() != "not_found" {
		t.Errorf("views.update of a closed modal = %v, want not_found", err)
	}
	if !slices.ContainsFunc(s.Views(""), func(v slacktest.View) bool { return v.Closed }) {
		t.Error("the modal is not closed")
	}
}

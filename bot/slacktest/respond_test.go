package slacktest_test

import (
	"errors"
	"testing"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

func TestResponseURLPostsActOnTheMessageClicked(t *testing.T) {
	tests := []struct {
		name  string
		post  slack.WebhookMessage
		check func(t *testing.T, s *slacktest.Server, clicked string, r slacktest.Response)
	}{
		{
			name: "replace_original edits the message in place",
			post: slack.WebhookMessage{Text: "Acknowledged by @alice", ReplaceOriginal: true},
			check: func(t *testing.T, s *slacktest.Server, clicked string, r slacktest.Response) {
				msgs := s.Messages(slacktest.DefaultChannel)
				if len(msgs) != 1 || msgs[0].Text != "Acknowledged by @alice" || msgs[0].Edits != 1 || msgs[0].History[0].Text != "Beta Co is low" {
					t.Errorf("messages = %+v", msgs)
				}
				if !r.ReplaceOriginal || r.MessageTS != clicked {
					t.Errorf("response = %+v", r)
				}
			},
		},
		{
			name: "delete_original deletes it",
			post: slack.WebhookMessage{DeleteOriginal: true},
			check: func(t *testing.T, s *slacktest.Server, clicked string, r slacktest.Response) {
				if msgs := s.Messages(slacktest.DefaultChannel); len(msgs) != 1 || !msgs[0].Deleted {
					t.Errorf("messages = %+v", msgs)
				}
				if !r.DeleteOriginal || r.MessageTS != clicked {
					t.Errorf("response = %+v", r)
				}
			},
		},
		{
			name: "in_channel with thread_ts posts a reply everyone sees",
			post: slack.WebhookMessage{Text: "snoozed for a day by @alice", ResponseType: slack.ResponseTypeInChannel},
			check: func(t *testing.T, s *slacktest.Server, clicked string, r slacktest.Response) {
				thread := s.Thread(slacktest.DefaultChannel, clicked)
				if len(thread) != 2 || thread[1].Text != "snoozed for a day by @alice" || thread[1].TS != r.MessageTS || thread[1].User != slacktest.BotUserID {
					t.Errorf("thread = %+v, response %+v", thread, r)
				}
				if r.ThreadTS != clicked || r.ResponseType != "in_channel" {
					t.Errorf("response = %+v", r)
				}
			},
		},
		{
			name: "an ephemeral answer reaches the clicker only",
			post: slack.WebhookMessage{Text: "Beta Co: 4 users", ResponseType: slack.ResponseTypeEphemeral},
			check: func(t *testing.T, s *slacktest.Server, _ string, r slacktest.Response) {
				if msgs := s.Messages(""); len(msgs) != 1 || msgs[0].Edits != 0 {
					t.Errorf("messages = %+v", msgs)
				}
				if r.Text != "Beta Co: 4 users" || r.MessageTS != "" || !r.ViaResponseURL {
					t.Errorf("response = %+v", r)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			_, api := interactionBot(t, s, nil)
			ts := post(t, api, "Beta Co is low", slack.MsgOptionBlocks(alertBlocks()...))
			ctx := timeoutCtx(t)
			d, err := s.BlockAction(ctx, slacktest.BlockAction{ActionID: "ack", MessageTS: ts})
			if err != nil {
				t.Fatal(err)
			}
			msg := tt.post
			if msg.ResponseType == slack.ResponseTypeInChannel {
				msg.ThreadTimestamp = ts
			}

			if err := slack.PostWebhookContext(ctx, d.ResponseURL, &msg); err != nil {
				t.Fatalf("POST to response_url: %v", err)
			}

			posts := s.ResponseURLPosts(d.EnvelopeID)
			if len(posts) != 1 || posts[0].EnvelopeID != d.EnvelopeID {
				t.Fatalf("ResponseURLPosts = %+v", posts)
			}
			tt.check(t, s, ts, posts[0])
		})
	}
}

func TestAResponseURLCannotReplaceADeletedMessage(t *testing.T) {
	s := newServer(t)
	_, api := interactionBot(t, s, nil)
	ts := post(t, api, "low", slack.MsgOptionBlocks(alertBlocks()...))
	ctx := timeoutCtx(t)
	d, err := s.BlockAction(ctx, slacktest.BlockAction{ActionID: "ack", MessageTS: ts})
	if err != nil {
		t.Fatal(err)
	}
	s.DeleteMessage(slacktest.DefaultChannel, ts)

	err = slack.PostWebhookContext(ctx, d.ResponseURL, &slack.WebhookMessage{Text: "acked", ReplaceOriginal: true})

	if sc, ok := errors.AsType[slack.StatusCodeError](err); !ok || sc.Code != 404 {
		t.Errorf("error = %v, want a 404", err)
	}
	if posts := s.ResponseURLPosts(d.EnvelopeID); len(posts) != 0 {
		t.Errorf("a refused post was recorded: %+v", posts)
	}
}

func TestAClickOnAChatPostEphemeralMessageCanReplaceIt(t *testing.T) {
	s := newServer(t)
	_, api := interactionBot(t, s, nil)
	ts, err := api.PostEphemeral(slacktest.DefaultChannel, slacktest.DefaultUserID, slack.MsgOptionText("Top up 100 minutes?", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("preview", button("topup_confirm", "p-1", "Confirm"))))
	if err != nil {
		t.Fatal(err)
	}
	ctx := timeoutCtx(t)
	d, err := s.BlockAction(ctx, slacktest.BlockAction{ActionID: "topup_confirm", MessageTS: ts})
	if err != nil {
		t.Fatal(err)
	}

	if err := slack.PostWebhookContext(ctx, d.ResponseURL, &slack.WebhookMessage{Text: "Done: 100 minutes added", ReplaceOriginal: true}); err != nil {
		t.Fatal(err)
	}

	m := s.Messages(slacktest.DefaultChannel)[0]
	if !m.Ephemeral || m.Text != "Done: 100 minutes added" || m.Blocks != nil || m.Edits != 1 {
		t.Errorf("message = %+v", m)
	}
}

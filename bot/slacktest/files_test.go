package slacktest_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

// png is a few bytes standing in for a chart.
var png = []byte("\x89PNG\r\n\x1a\nchart")

func TestUploadFileSharesTheFileInTheChannel(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	parent := post(t, api, "daily digest")

	got, err := api.UploadFileContext(timeoutCtx(t), slack.UploadFileParameters{
		Reader:          bytes.NewReader(png),
		FileSize:        len(png),
		Filename:        "balance.png",
		Title:           "Balance, last 30 days",
		AltTxt:          "total balance over 30 days",
		Channel:         slacktest.DefaultChannel,
		InitialComment:  "Balance chart",
		ThreadTimestamp: parent,
	})

	if err != nil {
		t.Fatalf("UploadFileContext: %v", err)
	}
	files := s.Files()
	if len(files) != 1 {
		t.Fatalf("Files = %+v", files)
	}
	f := files[0]
	if f.ID != got.ID || got.Title != "Balance, last 30 days" || !bytes.Equal(f.Content, png) || f.Name != "balance.png" ||
		f.Title != got.Title || f.AltText != "total balance over 30 days" || f.Length != len(png) || !f.Uploaded || !f.Completed {
		t.Errorf("file = %+v, summary %+v", f, got)
	}
	if len(f.Channels) != 1 || f.Channels[0] != slacktest.DefaultChannel || f.ThreadTS != parent || f.InitialComment != "Balance chart" {
		t.Errorf("shared in %v thread %q comment %q", f.Channels, f.ThreadTS, f.InitialComment)
	}
	thread := s.Thread(slacktest.DefaultChannel, parent)
	if len(thread) != 2 || thread[1].Text != "Balance chart" || len(thread[1].Files) != 1 || thread[1].Files[0] != f.ID {
		t.Fatalf("thread = %+v", thread)
	}
	replies, _, _, err := api.GetConversationRepliesContext(timeoutCtx(t), &slack.GetConversationRepliesParameters{ChannelID: slacktest.DefaultChannel, Timestamp: parent})
	if err != nil {
		t.Fatal(err)
	}
	if shared := replies[1].Files; len(shared) != 1 || shared[0].ID != f.ID || shared[0].Name != "balance.png" || shared[0].Mimetype != "image/png" || shared[0].Size != len(png) {
		t.Errorf("the shared message's files = %+v", shared)
	}
	if up := s.Calls(slacktest.MethodUpload); len(up) != 1 || up[0].Status != http.StatusOK {
		t.Errorf("upload calls = %+v", up)
	}
}

func TestAFileUploadedWithoutAChannelStaysPrivate(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)

	if _, err := api.UploadFile(slack.UploadFileParameters{Content: "a,b\n1,2\n", FileSize: 8, Filename: "orgs.csv"}); err != nil {
		t.Fatal(err)
	}

	if f := s.Files()[0]; !f.Completed || len(f.Channels) != 0 || f.Title != "orgs.csv" || string(f.Content) != "a,b\n1,2\n" {
		t.Errorf("file = %+v", f)
	}
	if msgs := s.Messages(""); len(msgs) != 0 {
		t.Errorf("a private file was shared: %+v", msgs)
	}
}

func TestUploadFailures(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(s *slacktest.Server)
		params slack.UploadFileParameters
		check  func(t *testing.T, err error)
	}{
		{
			name:   "sharing in an unknown channel is channel_not_found",
			params: slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "x.png", Channel: "C0NOPE"},
			check:  wantSlackError("channel_not_found"),
		},
		{
			name:   "sharing in a channel the bot is not in is not_in_channel",
			params: slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "x.png", Channel: "C0OTHER"},
			check:  wantSlackError("not_in_channel"),
		},
		{
			name:   "sending other than the announced length is refused",
			params: slack.UploadFileParameters{Content: "xyz", FileSize: 2, Filename: "x.png", Channel: slacktest.DefaultChannel},
			check:  wantStatus(http.StatusBadRequest),
		},
		{
			name:   "a rate-limited upload surfaces as *slack.RateLimitedError",
			setup:  func(s *slacktest.Server) { s.RateLimit(slacktest.MethodUpload, 1, 0) },
			params: slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "x.png", Channel: slacktest.DefaultChannel},
			check: func(t *testing.T, err error) {
				if _, ok := errors.AsType[*slack.RateLimitedError](err); !ok {
					t.Errorf("error = %#v, want RateLimitedError", err)
				}
			},
		},
		{
			name:   "a failing upload_url surfaces as slack.StatusCodeError",
			setup:  func(s *slacktest.Server) { s.FailHTTP(slacktest.MethodUpload, http.StatusBadGateway, 1) },
			params: slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "x.png", Channel: slacktest.DefaultChannel},
			check:  wantStatus(http.StatusBadGateway),
		},
		{
			name: "a refused completion is its Slack error",
			setup: func(s *slacktest.Server) {
				s.FailMessage("files.completeUploadExternal", slacktest.DefaultChannel, "", "file_uploads_disabled", 1)
			},
			params: slack.UploadFileParameters{Content: "x", FileSize: 1, Filename: "x.png", Channel: slacktest.DefaultChannel},
			check:  wantSlackError("file_uploads_disabled"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, slacktest.WithNonMemberChannels("C0OTHER"))
			if tt.setup != nil {
				tt.setup(s)
			}

			_, err := newAPI(s).UploadFileContext(timeoutCtx(t), tt.params)

			tt.check(t, err)
			if msgs := s.Messages(""); len(msgs) != 0 {
				t.Errorf("a failed upload was shared: %+v", msgs)
			}
			for _, f := range s.Files() {
				if f.Completed {
					t.Errorf("a failed upload completed: %+v", f)
				}
			}
		})
	}
}

func wantSlackError(code string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if se, ok := errors.AsType[slack.SlackErrorResponse](err); !ok || se.Err != code {
			t.Errorf("error = %v, want %s", err, code)
		}
	}
}

func wantStatus(code int) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if sc, ok := errors.AsType[slack.StatusCodeError](err); !ok || sc.Code != code {
			t.Errorf("error = %v, want HTTP %d", err, code)
		}
	}
}

func TestUploadArgumentsAreChecked(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	ctx := timeoutCtx(t)

	t.Run("a file never uploaded cannot be completed", func(t *testing.T) {
		u, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "x.png", FileSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(u.UploadURL, s.URL()+"/") || u.FileID == "" {
			t.Errorf("upload URL %q file %q", u.UploadURL, u.FileID)
		}
		_, err = api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: u.FileID}}, Channel: slacktest.DefaultChannel})
		wantSlackError("file_not_found")(t, err)
	})
	t.Run("an unknown file is file_not_found", func(t *testing.T) {
		_, err := api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: "F0NOPE"}}})
		wantSlackError("file_not_found")(t, err)
	})
	t.Run("alt text over 1000 characters is alt_txt_too_large", func(t *testing.T) {
		_, err := api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: "x.png", FileSize: 1, AltTxt: strings.Repeat("a", slacktest.MaxAltText+1)})
		wantSlackError("alt_txt_too_large")(t, err)
	})
}

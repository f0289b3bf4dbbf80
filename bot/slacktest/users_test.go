package slacktest_test

import (
	"testing"

	"github.com/resellerbot/resellerbot/bot/slacktest"
)

func TestUsersInfo(t *testing.T) {
	s := newServer(t, slacktest.WithUsers(
		slacktest.User{ID: "U0GUEST", Name: "gina", RealName: "Gina Guest", TZ: "Europe/Berlin", IsRestricted: true},
		slacktest.User{ID: "U0SINGLE", IsUltraRestricted: true},
	))
	s.SetUser(slacktest.User{ID: "U0BOT2", Name: "otherbot", IsBot: true})
	api := newAPI(s)

	tests := []struct {
		name                                     string
		id                                       string
		wantName, wantReal, wantTZ               string
		wantBot, wantRestricted, wantUltraGuests bool
		wantErr                                  string
	}{
		{name: "the default user is a regular member", id: slacktest.DefaultUserID, wantName: "u0tester", wantReal: "Test User", wantTZ: "UTC"},
		{name: "the bot is a bot", id: slacktest.BotUserID, wantName: slacktest.BotUserName, wantReal: slacktest.BotUserName, wantTZ: "UTC", wantBot: true},
		{name: "a multi-channel guest is restricted", id: "U0GUEST", wantName: "gina", wantReal: "Gina Guest", wantTZ: "Europe/Berlin", wantRestricted: true},
		{name: "a single-channel guest is ultra restricted, named by its ID", id: "U0SINGLE", wantName: "u0single", wantReal: "u0single", wantTZ: "UTC", wantUltraGuests: true},
		{name: "a user added later is known", id: "U0BOT2", wantName: "otherbot", wantReal: "otherbot", wantTZ: "UTC", wantBot: true},
		{name: "an unknown user is user_not_found", id: "U0NOBODY", wantErr: "user_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.UserInfoCalls(tt.id)

			u, err := api.GetUserInfoContext(timeoutCtx(t), tt.id)

			if n := s.UserInfoCalls(tt.id); n != before+1 {
				t.Errorf("UserInfoCalls = %d, want %d", n, before+1)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.ID != tt.id || u.TeamID != slacktest.TeamID || u.Name != tt.wantName || u.RealName != tt.wantReal || u.Profile.RealName != tt.wantReal || u.TZ != tt.wantTZ {
				t.Errorf("user = %+v", u)
			}
			if u.IsBot != tt.wantBot || u.IsRestricted != tt.wantRestricted || u.IsUltraRestricted != tt.wantUltraGuests {
				t.Errorf("is_bot %v is_restricted %v is_ultra_restricted %v", u.IsBot, u.IsRestricted, u.IsUltraRestricted)
			}
		})
	}
	t.Run("a guest's time zone has its offset", func(t *testing.T) {
		u, err := api.GetUserInfo("U0GUEST")
		if err != nil {
			t.Fatal(err)
		}
		if u.TZOffset != 3600 && u.TZOffset != 7200 {
			t.Errorf("tz_offset = %d, want Berlin's", u.TZOffset)
		}
	})
}

func TestAUserCanBecomeAGuest(t *testing.T) {
	s := newServer(t)
	api := newAPI(s)
	s.SetUser(slacktest.User{ID: slacktest.DefaultUserID, IsRestricted: true})

	u, err := api.GetUserInfo(slacktest.DefaultUserID)

	if err != nil || !u.IsRestricted || u.Name != "u0tester" {
		t.Errorf("user = %+v, %v", u, err)
	}
	if n := s.UserInfoCalls(slacktest.DefaultUserID); n != 1 {
		t.Errorf("UserInfoCalls = %d, want 1", n)
	}
}

package slacktest

import (
	"net/url"
	"strings"
	"time"
)

// User is a workspace member, as users.info describes them. Guests are
// IsRestricted (multi-channel) or IsUltraRestricted (single-channel).
type User struct {
	// ID is the user ID, e.g. "U0TESTER". Required.
	ID string
	// Name is the user name (default: the ID in lower case).
	Name string
	// RealName is the full name (default: Name).
	RealName string
	// TZ is the IANA time zone (default "UTC").
	TZ string
	// IsBot marks a bot user.
	IsBot bool
	// IsRestricted marks a multi-channel guest.
	IsRestricted bool
	// IsUltraRestricted marks a single-channel guest.
	IsUltraRestricted bool
	// Deleted marks a deactivated account.
	Deleted bool
}

// defaultUsers are the members every fake workspace has: the tester who
// issues commands by default, and the bot.
func defaultUsers() []User {
	return []User{
		{ID: DefaultUserID, RealName: "Test User"},
		{ID: BotUserID, Name: BotUserName, IsBot: true},
	}
}

// WithUsers adds users to the workspace, or replaces the default ones
// (DefaultUserID, a regular member, and BotUserID) by ID. users.info
// answers user_not_found for anyone else.
func WithUsers(users ...User) Option {
	return func(c *config) { c.users = append(c.users, users...) }
}

// SetUser adds a user or replaces the one with the same ID, e.g. to turn a
// member into a guest.
func (s *Server) SetUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setUserLocked(u)
}

func (s *Server) setUserLocked(u User) {
	if u.Name == "" {
		u.Name = strings.ToLower(u.ID)
	}
	if u.RealName == "" {
		u.RealName = u.Name
	}
	if u.TZ == "" {
		u.TZ = "UTC"
	}
	s.users[u.ID] = &u
}

// UserInfoCalls counts the users.info calls about userID, answered or not,
// so that a test can check that the bot caches what it learns.
func (s *Server) UserInfoCalls(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Method == "users.info" && c.Params.Get("user") == userID {
			n++
		}
	}
	return n
}

// userNameLocked is the name of user id, or the ID in lower case for a
// user the fake does not know. s.mu must be held.
func (s *Server) userNameLocked(id string) string {
	if u := s.users[id]; u != nil {
		return u.Name
	}
	return strings.ToLower(id)
}

// userInfoLocked implements users.info.
func (s *Server) userInfoLocked(p url.Values) apiResult {
	u := s.users[p.Get("user")]
	if u == nil {
		return errResult("user_not_found")
	}
	user := userJSON(u)
	if truthy(p.Get("include_locale")) {
		user["locale"] = "en-US"
	}
	return okResult(map[string]any{"user": user})
}

func userJSON(u *User) map[string]any {
	label, offset := "Coordinated Universal Time", 0
	if loc, err := time.LoadLocation(u.TZ); err == nil {
		label, offset = time.Now().In(loc).Zone()
	}
	return map[string]any{
		"id":                  u.ID,
		"team_id":             TeamID,
		"name":                u.Name,
		"deleted":             u.Deleted,
		"color":               "9f69e7",
		"real_name":           u.RealName,
		"tz":                  u.TZ,
		"tz_label":            label,
		"tz_offset":           offset,
		"is_admin":            false,
		"is_owner":            false,
		"is_primary_owner":    false,
		"is_restricted":       u.IsRestricted,
		"is_ultra_restricted": u.IsUltraRestricted,
		"is_bot":              u.IsBot,
		"is_app_user":         false,
		"updated":             1700000000,
		"profile": map[string]any{
			"real_name":               u.RealName,
			"real_name_normalized":    u.RealName,
			"display_name":            u.Name,
			"display_name_normalized": u.Name,
			"team":                    TeamID,
		},
	}
}

package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// guestTTL is how long what users.info said about a user is trusted. A
// member turned guest keeps access at most this long; a command answered
// from the cache costs no Web API call, which users.info's rate limit
// (tier 4) would otherwise meter for every command and click.
const guestTTL = 10 * time.Minute

// maxGuestCache bounds the cache: past it, expired entries are dropped
// before a new one is added.
const maxGuestCache = 10000

// lookupTimeout bounds one users.info call.
const lookupTimeout = 2 * time.Second

// uncheckable is what a user is told when users.info failed: the bot fails
// closed, since it cannot tell a guest from a member.
const uncheckable = "Sorry, resellerbot could not check your Slack account just now, so it cannot answer. Try again in a minute."

// guests tells guest accounts (single- and multi-channel guests) from
// members, caching users.info's answers for guestTTL.
type guests struct {
	api *slack.Client
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	seen    map[string]guestEntry
	failing bool // users.info failed last time, and that was logged
}

type guestEntry struct {
	guest   bool
	expires time.Time
}

func newGuests(api *slack.Client, log *slog.Logger) *guests {
	return &guests{api: api, log: log, now: time.Now, seen: map[string]guestEntry{}}
}

// isGuest reports whether userID is a guest account. An error means Slack
// could not say; the caller refuses.
func (g *guests) isGuest(ctx context.Context, userID string) (bool, error) {
	g.mu.Lock()
	e, ok := g.seen[userID]
	now := g.now()
	g.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.guest, nil
	}
	// Slack wants a slash command or a submission acknowledged within 3
	// seconds, and the lookup comes first.
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	u, err := g.api.GetUserInfoContext(ctx, userID)
	g.mu.Lock()
	defer g.mu.Unlock()
	if err != nil {
		// Logged once per outage, not once per command, so that a
		// users.info outage during a busy hour does not flood the log.
		if !g.failing {
			g.failing = true
			g.log.Error("users.info failed: refusing commands and clicks of users not in allowed_user_ids until it works (the bot needs the users:read scope)",
				"user", userID, "error", err)
		}
		return false, fmt.Errorf("users.info %s: %w", userID, err)
	}
	if g.failing {
		g.failing = false
		g.log.Info("users.info works again")
	}
	if len(g.seen) >= maxGuestCache {
		for id, e := range g.seen {
			if !now.Before(e.expires) {
				delete(g.seen, id)
			}
		}
	}
	guest := u.IsRestricted || u.IsUltraRestricted
	if len(g.seen) < maxGuestCache {
		g.seen[userID] = guestEntry{guest: guest, expires: now.Add(guestTTL)}
	}
	return guest, nil
}

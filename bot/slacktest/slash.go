package slacktest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// SlashCommand is a slash command a user issues; see Server.SlashCommand.
type SlashCommand struct {
	// Command is the command, with its slash, e.g. "/orgs". Required.
	Command string
	// Text is what the user typed after the command.
	Text string
	// UserID is the issuing user (default DefaultUserID).
	UserID string
	// UserName is the issuing user's name (default: the name of the user
	// the fake knows by that ID, else the ID in lower case).
	UserName string
	// ChannelID is where the command was typed (default: the first
	// configured channel). It need not exist on the fake.
	ChannelID string
	// TeamID is the workspace (default TeamID).
	TeamID string
}

// slashPayload mirrors what Slack sends; note is_enterprise_install is a
// string, as Slack sends it in Socket Mode.
type slashPayload struct {
	Token               string `json:"token"`
	TeamID              string `json:"team_id"`
	TeamDomain          string `json:"team_domain"`
	ChannelID           string `json:"channel_id"`
	ChannelName         string `json:"channel_name"`
	UserID              string `json:"user_id"`
	UserName            string `json:"user_name"`
	Command             string `json:"command"`
	Text                string `json:"text"`
	APIAppID            string `json:"api_app_id"`
	IsEnterpriseInstall string `json:"is_enterprise_install"`
	ResponseURL         string `json:"response_url"`
	TriggerID           string `json:"trigger_id"`
}

// verificationToken is the deprecated verification token payloads carry.
const verificationToken = "slacktest-verification-token"

// SlashCommand delivers a slash_commands envelope on an open socket
// (waiting for one if none is open) and waits for the bot's ack; ctx bounds
// the whole call. If the socket dies before the ack, the envelope is
// redelivered on the next socket with retry_attempt incremented.
//
// It returns the acked payload as a Response. If the ack's payload is empty,
// it keeps waiting for the bot's first follow-up — a POST to the envelope's
// response_url or a chat.postEphemeral to the user in that channel — and
// returns that instead (ErrNoResponse if none arrives before ctx ends).
//
// Errors: ErrAckTooLarge (ack ≥ 20 KiB, which Slack drops), ErrAckTimeout
// (ack later than the ack timeout), ErrInvalidResponse (payload breaks
// Slack's limits); the Response is still filled in for these.
func (s *Server) SlashCommand(ctx context.Context, cmd SlashCommand) (Response, error) {
	if !strings.HasPrefix(cmd.Command, "/") {
		return Response{}, fmt.Errorf("slacktest: slash command %q must start with /", cmd.Command)
	}
	if cmd.UserID == "" {
		cmd.UserID = DefaultUserID
	}
	if cmd.TeamID == "" {
		cmd.TeamID = TeamID
	}

	env, err := s.prepare(func() (*envelopeState, error) { return s.slashCommandLocked(cmd) })
	if err != nil {
		return Response{}, err
	}

	a, after, err := s.deliver(ctx, env, "")
	if err != nil {
		return Response{EnvelopeID: env.id}, fmt.Errorf("%s: %w", cmd.Command, err)
	}
	return s.finishSlash(ctx, env, after, a)
}

// defaultChannelLocked is the first configured channel. s.mu must be held.
func (s *Server) defaultChannelLocked() string {
	if len(s.cfg.channels) > 0 {
		return s.cfg.channels[0].id
	}
	return ""
}

// channelNameLocked is the name of channel id, or the ID in lower case for
// a channel the fake does not hold (a DM, say). s.mu must be held.
func (s *Server) channelNameLocked(id string) string {
	if ch := s.channels[id]; ch != nil {
		return ch.name
	}
	return strings.ToLower(id)
}

func (s *Server) finishSlash(ctx context.Context, env *envelopeState, after time.Duration, a Ack) (Response, error) {
	resp := Response{EnvelopeID: env.id, Raw: a.Payload, AckAfter: after}
	if a.Dropped {
		return resp, fmt.Errorf("%w: %d bytes, limit %d", ErrAckTooLarge, a.Size, MaxAckSize)
	}
	m, empty, code := parseResponseMessage(a.Payload)
	r := m.response(env.id)
	r.Raw, r.AckAfter = resp.Raw, resp.AckAfter
	if code != "" {
		return r, fmt.Errorf("%w: %s", ErrInvalidResponse, code)
	}
	s.mu.Lock()
	timeout := s.ackTimeout
	s.mu.Unlock()
	if timeout > 0 && r.AckAfter > timeout {
		return r, fmt.Errorf("%w: acked after %v, deadline %v", ErrAckTimeout, r.AckAfter, timeout)
	}
	if !empty {
		return r, nil
	}

	var follow Response
	err := s.waitFor(ctx, func() bool {
		for _, rr := range s.responses {
			if rr.EnvelopeID == env.id {
				follow = cloneResponse(rr)
				return true
			}
		}
		for _, msg := range s.messages[env.msgMark:] {
			if msg.Ephemeral && msg.Channel == env.channel && msg.User == env.user {
				follow = Response{
					EnvelopeID:   env.id,
					Text:         msg.Text,
					ResponseType: "ephemeral",
					Blocks:       slices.Clone(msg.Blocks),
					ViaEphemeral: true,
				}
				return true
			}
		}
		return false
	})
	if err != nil {
		return r, fmt.Errorf("%w: %w", ErrNoResponse, err)
	}
	follow.AckAfter = r.AckAfter
	return follow, nil
}

func (s *Server) slashCommandLocked(cmd SlashCommand) (*envelopeState, error) {
	if cmd.UserName == "" {
		cmd.UserName = s.userNameLocked(cmd.UserID)
	}
	if cmd.ChannelID == "" {
		cmd.ChannelID = s.defaultChannelLocked()
	}
	env := s.newEnvelopeLocked(EnvelopeSlashCommands, "slash", true)
	env.channel, env.user = cmd.ChannelID, cmd.UserID
	env.trigger = s.issueTriggerLocked(cmd.UserID)
	env.responseURL = s.responseURLFor(env.id)
	return env, env.setPayload(slashPayload{
		Token:               verificationToken,
		TeamID:              cmd.TeamID,
		TeamDomain:          TeamDomain,
		ChannelID:           cmd.ChannelID,
		ChannelName:         s.channelNameLocked(cmd.ChannelID),
		UserID:              cmd.UserID,
		UserName:            cmd.UserName,
		Command:             cmd.Command,
		Text:                cmd.Text,
		APIAppID:            AppID,
		IsEnterpriseInstall: "false",
		ResponseURL:         env.responseURL,
		TriggerID:           env.trigger,
	})
}

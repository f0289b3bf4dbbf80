package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Interactions and events a user causes: a click on a message's or a
// view's element (block_actions), a modal's submission (view_submission)
// and opening the app's Home tab (app_home_opened), each sent over the
// socket as Slack sends it and acknowledged by the bot.

// BlockAction is a user clicking an element of a message or a view: a
// button, or an option of a static_select, overflow or radio_buttons
// element; see Server.BlockAction.
type BlockAction struct {
	// ActionID is the clicked element's action_id. Required.
	ActionID string
	// BlockID is the block holding the element. By default it is found in
	// the blocks clicked; when the element's action_id appears in several
	// blocks, BlockID picks one.
	BlockID string
	// Value is a button's value. When the element is found in the blocks
	// clicked, the value is the button's own and Value, if set, must match.
	Value string
	// SelectedValue is the value of the option chosen in a static_select,
	// overflow or radio_buttons element; the option must be one of the
	// element's, and its text comes from there.
	SelectedValue string
	// UserID is the clicking user (default DefaultUserID); UserName their
	// name (default: the name the fake knows, else the ID in lower case).
	UserID, UserName string
	// ChannelID and MessageTS name the message clicked (default channel:
	// the first configured one). When the fake holds that message — posted
	// with chat.postMessage or chat.postEphemeral — the element must be in
	// its blocks, the payload carries the message as Slack does, and the
	// response_url's replace_original and delete_original act on it.
	ChannelID, MessageTS string
	// Blocks are the blocks of a message the fake does not hold, such as an
	// ephemeral answer to a slash command, to click in instead.
	Blocks json.RawMessage
	// Ephemeral marks the message given by Blocks as ephemeral.
	Ephemeral bool
	// ViewID names a view — a Home tab or a modal the bot opened — to click
	// in instead of a message. Clicks in views carry no response_url.
	ViewID string
}

// ViewSubmission is a user submitting a modal; see Server.ViewSubmission.
type ViewSubmission struct {
	// ViewID is the modal submitted, one the bot opened with views.open
	// (or changed since) and that is still open. Required. Its callback_id,
	// private_metadata, hash and blocks go into the payload.
	ViewID string
	// UserID is the submitting user (default: the one the view was opened
	// for); UserName their name.
	UserID, UserName string
	// Values are what the user entered in the view's input blocks, by
	// block_id then action_id: the text of a plain_text_input (or number,
	// email or url input), the chosen option's value of a static_select
	// or radio_buttons. Every input not marked optional must be given;
	// Slack does not let a user submit without.
	Values map[string]map[string]string
}

// AppHomeOpened is a user opening the app's Home tab; see
// Server.AppHomeOpened.
type AppHomeOpened struct {
	// UserID is the user (default DefaultUserID).
	UserID string
	// Tab is "home" (default) or "messages".
	Tab string
}

// BlockAction sends a block_actions interaction envelope for a click and
// waits for its ack; ctx bounds the call. The payload is Slack's: the
// clicked element in actions, the user, the container (the message's
// channel and ts, or the view), the channel and message, a trigger_id for
// views.open and, for messages, a response_url served by the fake.
//
// Errors: ErrAckTooLarge and ErrAckTimeout as for SlashCommand (the
// Delivery is filled in), or an error naming a click Slack could not send,
// e.g. of an element the message does not have.
func (s *Server) BlockAction(ctx context.Context, a BlockAction) (Delivery, error) {
	if a.ActionID == "" {
		return Delivery{}, errors.New("slacktest: BlockAction needs an ActionID")
	}
	if a.UserID == "" {
		a.UserID = DefaultUserID
	}
	env, err := s.prepare(func() (*envelopeState, error) { return s.blockActionLocked(a) })
	if err != nil {
		return Delivery{}, err
	}
	return s.send(ctx, env)
}

func (s *Server) blockActionLocked(a BlockAction) (env *envelopeState, err error) {
	p := s.interactionLocked("block_actions", a.UserID, a.UserName)
	p["state"] = map[string]any{"values": map[string]any{}}
	made := s.newEnvelopeLocked(EnvelopeInteractive, "block_actions", false)
	env = made
	defer func() {
		if err != nil { // a click Slack could not have sent is not an envelope
			s.dropEnvelopeLocked(made)
			env = nil
		}
	}()
	source := a.Blocks
	if a.ViewID != "" {
		v := s.views[a.ViewID]
		if v == nil {
			return nil, fmt.Errorf("slacktest: no view %q to click in", a.ViewID)
		}
		if source == nil {
			source = v.Blocks
		}
		p["container"] = map[string]any{"type": "view", "view_id": v.ID}
		p["view"] = v.json(nil)
	} else {
		if err := s.messageContainerLocked(&a, env, p); err != nil {
			return nil, err
		}
		if source == nil && env.origin != nil {
			if source = s.messages[s.originLocked(env.origin)].Blocks; source == nil {
				source = json.RawMessage("[]") // nothing to click in a text-only message
			}
		}
	}
	action, err := clickedElement(a, source)
	if err != nil {
		return nil, err
	}
	action["action_ts"] = s.nextTSLocked()
	p["actions"] = []any{action}
	env.trigger = s.issueTriggerLocked(a.UserID)
	p["trigger_id"] = env.trigger
	return env, env.setPayload(p)
}

// messageContainerLocked fills in the message a click came from. s.mu must
// be held.
func (s *Server) messageContainerLocked(a *BlockAction, env *envelopeState, p map[string]any) error {
	if a.ChannelID == "" {
		a.ChannelID = s.defaultChannelLocked()
	}
	if a.MessageTS == "" {
		if a.Blocks == nil {
			return errors.New("slacktest: BlockAction needs MessageTS, Blocks or ViewID")
		}
		a.MessageTS = s.nextTSLocked() // the ephemeral message's own, unknown to the fake
	}
	container := map[string]any{"type": "message", "message_ts": a.MessageTS, "channel_id": a.ChannelID, "is_ephemeral": a.Ephemeral}
	p["channel"] = map[string]any{"id": a.ChannelID, "name": s.channelNameLocked(a.ChannelID)}
	env.channel, env.user = a.ChannelID, a.UserID
	env.responseURL = s.responseURLFor(env.id)
	p["response_url"] = env.responseURL
	p["container"] = container
	if a.Blocks != nil {
		return nil
	}
	for _, ephemeral := range []bool{false, true} {
		o := &origin{channel: a.ChannelID, ts: a.MessageTS, ephemeral: ephemeral}
		i := s.originLocked(o)
		if i < 0 {
			continue
		}
		m := s.messages[i]
		if ephemeral && m.User != a.UserID {
			return fmt.Errorf("slacktest: ephemeral message %s was shown to %s, not %s", m.TS, m.User, a.UserID)
		}
		env.origin = o
		container["is_ephemeral"] = ephemeral
		if m.ThreadTS != "" {
			container["thread_ts"] = m.ThreadTS
		}
		if !ephemeral { // Slack leaves an ephemeral message out
			p["message"] = messageJSON(m)
		}
		return nil
	}
	if s.indexLocked(a.ChannelID, a.MessageTS) >= 0 {
		return fmt.Errorf("slacktest: message %s in %s was deleted; nobody can click it", a.MessageTS, a.ChannelID)
	}
	return nil
}

// interactionLocked starts an interaction payload with the fields every
// one has. s.mu must be held.
func (s *Server) interactionLocked(typ, userID, userName string) map[string]any {
	if userName == "" {
		userName = s.userNameLocked(userID)
	}
	return map[string]any{
		"type":                  typ,
		"user":                  map[string]any{"id": userID, "username": userName, "name": userName, "team_id": TeamID},
		"api_app_id":            AppID,
		"token":                 verificationToken,
		"team":                  map[string]any{"id": TeamID, "domain": TeamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
}

// element is what the fake reads of a Block Kit element.
type element struct {
	Type         string          `json:"type"`
	ActionID     string          `json:"action_id"`
	Value        string          `json:"value"`
	Text         json.RawMessage `json:"text"`
	Options      []option        `json:"options"`
	OptionGroups []struct {
		Options []option `json:"options"`
	} `json:"option_groups"`
}

type option struct {
	Text  json.RawMessage `json:"text"`
	Value string          `json:"value"`
}

func (e element) option(value string) (option, bool) {
	all := slices.Clone(e.Options)
	for _, g := range e.OptionGroups {
		all = append(all, g.Options...)
	}
	i := slices.IndexFunc(all, func(o option) bool { return o.Value == value })
	if i < 0 {
		return option{}, false
	}
	return all[i], true
}

// blockElements returns the interactive elements of a block: an actions
// block's elements, a section's accessory, an input's element.
func blockElements(raw json.RawMessage) (blockID, typ string, elems []element) {
	var b struct {
		Type      string          `json:"type"`
		BlockID   string          `json:"block_id"`
		Elements  []element       `json:"elements"`
		Accessory json.RawMessage `json:"accessory"`
		Element   json.RawMessage `json:"element"`
	}
	if json.Unmarshal(raw, &b) != nil {
		return "", "", nil
	}
	elems = b.Elements
	for _, one := range []json.RawMessage{b.Accessory, b.Element} {
		var e element
		if len(one) > 0 && json.Unmarshal(one, &e) == nil {
			elems = append(elems, e)
		}
	}
	return b.BlockID, b.Type, elems
}

// fillBlockID names a block without a block_id the way Slack does: it
// gives every block one when the message is posted.
func fillBlockID(id string, index int) string {
	if id != "" {
		return id
	}
	return "slacktest-" + strconv.Itoa(index)
}

// clickedElement builds the actions entry of a click: from the element in
// source when there is one, else from the click as given.
func clickedElement(a BlockAction, source json.RawMessage) (map[string]any, error) {
	if source == nil {
		return unheldElement(a), nil
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(source, &blocks); err != nil {
		return nil, fmt.Errorf("slacktest: the blocks clicked are not a JSON array: %w", err)
	}
	for i, raw := range blocks {
		id, _, elems := blockElements(raw)
		id = fillBlockID(id, i)
		if a.BlockID != "" && id != a.BlockID {
			continue
		}
		for _, e := range elems {
			if e.ActionID == a.ActionID {
				return heldElement(a, id, e)
			}
		}
	}
	return nil, fmt.Errorf("slacktest: the blocks clicked have no element with action_id %q", a.ActionID)
}

func heldElement(a BlockAction, blockID string, e element) (map[string]any, error) {
	out := map[string]any{"action_id": e.ActionID, "block_id": blockID, "type": e.Type}
	switch e.Type {
	case "button":
		if a.Value != "" && a.Value != e.Value {
			return nil, fmt.Errorf("slacktest: button %q has value %q, not %q", e.ActionID, e.Value, a.Value)
		}
		out["value"] = e.Value
		if len(e.Text) > 0 {
			out["text"] = e.Text
		}
	case "static_select", "overflow", "radio_buttons":
		o, ok := e.option(a.SelectedValue)
		if !ok {
			return nil, fmt.Errorf("slacktest: %s %q has no option with value %q", e.Type, e.ActionID, a.SelectedValue)
		}
		out["selected_option"] = map[string]any{"text": o.Text, "value": o.Value}
	default:
		return nil, fmt.Errorf("slacktest: clicking a %s element is not supported", e.Type)
	}
	return out, nil
}

func unheldElement(a BlockAction) map[string]any {
	out := map[string]any{"action_id": a.ActionID, "block_id": fillBlockID(a.BlockID, 0)}
	if a.SelectedValue != "" {
		out["type"] = "static_select"
		out["selected_option"] = map[string]any{"text": plainText(a.SelectedValue), "value": a.SelectedValue}
		return out
	}
	out["type"] = "button"
	out["value"] = a.Value
	out["text"] = plainText(a.ActionID)
	return out
}

func plainText(s string) map[string]any {
	return map[string]any{"type": "plain_text", "text": s, "emoji": true}
}

// ViewSubmission sends a view_submission interaction envelope for a modal
// and waits for its ack; ctx bounds the call. The ack acts on the modal as
// on Slack: none or an empty payload closes it, response_action "update"
// replaces it, "push" stacks another, "clear" closes them all, and
// "errors" keeps it open showing the errors. Delivery.ResponseAction says
// which.
//
// Errors: ErrAckTooLarge and ErrAckTimeout as for SlashCommand;
// ErrInvalidResponse for an ack Slack would not take (an unknown
// response_action, an invalid view, errors for blocks that are not
// inputs); or an error naming a submission Slack could not send.
func (s *Server) ViewSubmission(ctx context.Context, sub ViewSubmission) (Delivery, error) {
	env, err := s.prepare(func() (*envelopeState, error) { return s.viewSubmissionLocked(sub) })
	if err != nil {
		return Delivery{}, err
	}
	return s.send(ctx, env)
}

func (s *Server) viewSubmissionLocked(sub ViewSubmission) (*envelopeState, error) {
	v := s.views[sub.ViewID]
	switch {
	case v == nil || v.Type != "modal":
		return nil, fmt.Errorf("slacktest: no modal %q to submit", sub.ViewID)
	case v.Closed:
		return nil, fmt.Errorf("slacktest: modal %s is closed", sub.ViewID)
	}
	if sub.UserID == "" {
		sub.UserID = v.UserID
	}
	state, err := inputState(v.Blocks, sub.Values)
	if err != nil {
		return nil, err
	}
	p := s.interactionLocked("view_submission", sub.UserID, sub.UserName)
	p["view"] = v.json(state)
	p["response_urls"] = []any{}
	env := s.newEnvelopeLocked(EnvelopeInteractive, "view_submission", true)
	env.user, env.viewID = sub.UserID, v.ID
	env.trigger = s.issueTriggerLocked(sub.UserID)
	p["trigger_id"] = env.trigger
	return env, env.setPayload(p)
}

// inputState builds a view's state.values from what the user entered,
// refusing what a user could not have entered.
func inputState(blocksJSON json.RawMessage, values map[string]map[string]string) (map[string]any, error) {
	var blocks []json.RawMessage
	_ = json.Unmarshal(blocksJSON, &blocks) // validated when the view was opened
	state := map[string]any{}
	used := 0
	for i, raw := range blocks {
		id, typ, elems := blockElements(raw)
		if typ != "input" || len(elems) == 0 {
			continue
		}
		var in struct {
			Optional bool `json:"optional"`
		}
		_ = json.Unmarshal(raw, &in)
		id = fillBlockID(id, i)
		e := elems[0]
		given, ok := values[id][e.ActionID]
		if ok {
			used++
		} else if !in.Optional {
			return nil, fmt.Errorf("slacktest: input %s/%s is required; Slack would not submit without it", id, e.ActionID)
		}
		v, err := inputValue(e, given, ok)
		if err != nil {
			return nil, fmt.Errorf("slacktest: input %s/%s: %w", id, e.ActionID, err)
		}
		state[id] = map[string]any{e.ActionID: v}
	}
	if n := countValues(values); used != n {
		return nil, fmt.Errorf("slacktest: %d of the %d values given name no input of the view", n-used, n)
	}
	return map[string]any{"values": state}, nil
}

func countValues(values map[string]map[string]string) int {
	n := 0
	for _, byAction := range values {
		n += len(byAction)
	}
	return n
}

// inputValue is one input's entry in state.values, as Slack writes it.
func inputValue(e element, given string, ok bool) (map[string]any, error) {
	out := map[string]any{"type": e.Type}
	switch e.Type {
	case "static_select", "radio_buttons":
		if !ok {
			out["selected_option"] = nil
			return out, nil
		}
		o, found := e.option(given)
		if !found {
			return nil, fmt.Errorf("no option with value %q", given)
		}
		out["selected_option"] = map[string]any{"text": o.Text, "value": o.Value}
	default: // plain_text_input, number_input, email_text_input, url_text_input
		if !ok {
			out["value"] = nil
			return out, nil
		}
		out["value"] = given
	}
	return out, nil
}

// AppHomeOpened sends an events_api envelope with an app_home_opened event,
// as Slack does when a user opens the app's Home tab, and waits for its
// ack; ctx bounds the call. The event carries the user's published Home
// view, if any.
func (s *Server) AppHomeOpened(ctx context.Context, e AppHomeOpened) (Delivery, error) {
	if e.UserID == "" {
		e.UserID = DefaultUserID
	}
	if e.Tab == "" {
		e.Tab = "home"
	}
	env, err := s.prepare(func() (*envelopeState, error) { return s.appHomeOpenedLocked(e) })
	if err != nil {
		return Delivery{}, err
	}
	return s.send(ctx, env)
}

func (s *Server) appHomeOpenedLocked(e AppHomeOpened) (*envelopeState, error) {
	event := map[string]any{
		"type":     "app_home_opened",
		"user":     e.UserID,
		"channel":  "D" + strings.TrimPrefix(e.UserID, "U"),
		"tab":      e.Tab,
		"event_ts": s.nextTSLocked(),
	}
	if v := s.homeViewLocked(e.UserID); v != nil && e.Tab == "home" {
		event["view"] = v.json(nil)
	}
	env := s.newEnvelopeLocked(EnvelopeEventsAPI, "app_home_opened", false)
	return env, env.setPayload(map[string]any{
		"token":      verificationToken,
		"team_id":    TeamID,
		"api_app_id": AppID,
		"event":      event,
		"type":       "event_callback",
		"event_id":   "Ev" + strings.ToUpper(randomID(5)),
		"event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": TeamID, "user_id": BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         "4-" + randomID(12),
	})
}

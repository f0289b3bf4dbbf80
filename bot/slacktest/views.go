package slacktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

// Views: modals (views.open, views.update, and a view_submission's ack)
// and the Home tab (views.publish), checked against Slack's limits and
// kept for tests.

// Slack's limits on views.
const (
	// TriggerLifetime is how long a trigger_id stays valid for views.open
	// (see WithTriggerLifetime); later it fails with expired_trigger_id.
	TriggerLifetime = 3 * time.Second
	// MaxViewBlocks is the most blocks a modal or Home tab may have.
	MaxViewBlocks = 100
	// MaxViewTitle is the longest modal title, close or submit text, in
	// characters.
	MaxViewTitle = 24
	// MaxPrivateMetadata is the longest private_metadata, in characters.
	MaxPrivateMetadata = 3000
	// MaxCallbackID is the longest callback_id or external_id.
	MaxCallbackID = 255
	// MaxInputLabel is the longest input block label, in characters.
	MaxInputLabel = 2000
	// MaxViewStack is how many modals may be stacked with push.
	MaxViewStack = 3
)

// View is a view the bot opened with views.open, published with
// views.publish, or pushed in a view_submission's ack; later changes
// (views.update, response_action "update") are applied to it.
type View struct {
	// ID is the view_id the fake assigned.
	ID string
	// Type is "modal" or "home".
	Type string
	// UserID is the user who sees the view.
	UserID string
	// Title is a modal's title text.
	Title string
	// CallbackID, PrivateMetadata and ExternalID are the bot's.
	CallbackID, PrivateMetadata, ExternalID string
	// Hash changes with every change of the view; views.update and
	// views.publish given a stale hash fail with hash_conflict.
	Hash string
	// Blocks is the view's blocks array.
	Blocks json.RawMessage
	// Raw is the view object as the bot last sent it.
	Raw json.RawMessage
	// RootViewID and PreviousViewID place a pushed modal in its stack.
	RootViewID, PreviousViewID string
	// Updates counts the changes applied since the view was opened or
	// first published.
	Updates int
	// Closed is set when a submission's ack closed the modal.
	Closed bool
}

// viewRequest is the part of a view object the fake reads.
type viewRequest struct {
	Type            string          `json:"type"`
	Title           json.RawMessage `json:"title"`
	Close           json.RawMessage `json:"close"`
	Submit          json.RawMessage `json:"submit"`
	Blocks          json.RawMessage `json:"blocks"`
	PrivateMetadata string          `json:"private_metadata"`
	CallbackID      string          `json:"callback_id"`
	ClearOnClose    bool            `json:"clear_on_close"`
	NotifyOnClose   bool            `json:"notify_on_close"`
	ExternalID      string          `json:"external_id"`
}

type viewState struct {
	View
	req viewRequest
}

// trigger is an issued trigger_id.
type trigger struct {
	user string // who interacted, and so sees the modal
	at   time.Time
	used bool
}

// issueTriggerLocked makes a trigger_id for an interaction of user. s.mu
// must be held.
func (s *Server) issueTriggerLocked(user string) string {
	now := time.Now()
	id := strconv.FormatInt(now.Unix(), 10) + ".1." + randomID(16)
	s.triggers[id] = &trigger{user: user, at: now}
	return id
}

func newHash() string {
	return strconv.FormatInt(time.Now().Unix(), 10) + "." + randomID(4)
}

// json is the view object as Slack returns it, with state (nil: empty).
func (v *viewState) json(state map[string]any) map[string]any {
	if state == nil {
		state = map[string]any{"values": map[string]any{}}
	}
	out := map[string]any{
		"id":                    v.ID,
		"team_id":               TeamID,
		"type":                  v.Type,
		"blocks":                v.Blocks,
		"private_metadata":      v.PrivateMetadata,
		"callback_id":           v.CallbackID,
		"state":                 state,
		"hash":                  v.Hash,
		"clear_on_close":        v.req.ClearOnClose,
		"notify_on_close":       v.req.NotifyOnClose,
		"root_view_id":          v.RootViewID,
		"previous_view_id":      nilIfEmpty(v.PreviousViewID),
		"app_id":                AppID,
		"external_id":           v.ExternalID,
		"app_installed_team_id": TeamID,
		"bot_id":                BotID,
	}
	for k, raw := range map[string]json.RawMessage{"title": v.req.Title, "close": v.req.Close, "submit": v.req.Submit} {
		if len(raw) > 0 {
			out[k] = raw
		}
	}
	return out
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func invalidArguments(msg string) apiResult {
	res := errResult("invalid_arguments")
	res.body.(map[string]any)["response_metadata"] = map[string]any{"messages": []string{msg}}
	return res
}

// parseView checks a view object of type want against Slack's rules. It
// returns the view, or the message Slack's invalid_arguments would carry.
func parseView(raw, want string) (viewRequest, string) {
	var v viewRequest
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return v, "[ERROR] failed to parse the view: " + err.Error()
	}
	if v.Type != want {
		return v, fmt.Sprintf("[ERROR] must be %s, not %q [json-pointer:/view/type]", want, v.Type)
	}
	var blocks []json.RawMessage
	if err := json.Unmarshal(v.Blocks, &blocks); err != nil {
		return v, "[ERROR] must be an array of blocks [json-pointer:/view/blocks]"
	}
	if len(blocks) > MaxViewBlocks {
		return v, fmt.Sprintf("[ERROR] must be no more than %d items [json-pointer:/view/blocks]", MaxViewBlocks)
	}
	inputs := map[string]bool{}
	for i, b := range blocks {
		id, typ, elems := blockElements(b)
		if !validBlock(b) || (typ == "input" && !validInput(b, elems)) {
			return v, fmt.Sprintf("[ERROR] invalid block [json-pointer:/view/blocks/%d]", i)
		}
		if typ == "input" {
			if id != "" && inputs[id] {
				return v, fmt.Sprintf("[ERROR] duplicate block_id %q [json-pointer:/view/blocks/%d]", id, i)
			}
			inputs[fillBlockID(id, i)] = true
		}
	}
	if want == "modal" {
		if msg := checkModalTexts(v, len(inputs) > 0); msg != "" {
			return v, msg
		}
	}
	switch {
	case utf8.RuneCountInString(v.PrivateMetadata) > MaxPrivateMetadata:
		return v, fmt.Sprintf("[ERROR] must be no more than %d characters [json-pointer:/view/private_metadata]", MaxPrivateMetadata)
	case len(v.CallbackID) > MaxCallbackID:
		return v, fmt.Sprintf("[ERROR] must be no more than %d characters [json-pointer:/view/callback_id]", MaxCallbackID)
	case len(v.ExternalID) > MaxCallbackID:
		return v, fmt.Sprintf("[ERROR] must be no more than %d characters [json-pointer:/view/external_id]", MaxCallbackID)
	}
	return v, ""
}

// checkModalTexts checks a modal's title, close and submit: plain_text of
// at most 24 characters, the title required, and submit required when the
// modal has inputs.
func checkModalTexts(v viewRequest, hasInputs bool) string {
	for _, f := range []struct {
		name     string
		raw      json.RawMessage
		required bool
	}{{"title", v.Title, true}, {"close", v.Close, false}, {"submit", v.Submit, hasInputs}} {
		if len(bytes.TrimSpace(f.raw)) == 0 || bytes.Equal(bytes.TrimSpace(f.raw), []byte("null")) {
			if f.required {
				return fmt.Sprintf("[ERROR] missing required field: %s [json-pointer:/view]", f.name)
			}
			continue
		}
		var t textObject
		if json.Unmarshal(f.raw, &t) != nil || !validText(t, MaxViewTitle, true) {
			return fmt.Sprintf("[ERROR] must be plain_text of at most %d characters [json-pointer:/view/%s]", MaxViewTitle, f.name)
		}
	}
	return ""
}

// validInput checks an input block: a plain_text label and one element.
func validInput(raw json.RawMessage, elems []element) bool {
	var b struct {
		Label *textObject `json:"label"`
	}
	if json.Unmarshal(raw, &b) != nil || b.Label == nil || !validText(*b.Label, MaxInputLabel, true) {
		return false
	}
	return len(elems) == 1 && elems[0].Type != ""
}

func (s *Server) externalIDTakenLocked(id, except string) bool {
	if id == "" {
		return false
	}
	for _, v := range s.views {
		if v.ExternalID == id && v.ID != except {
			return true
		}
	}
	return false
}

// addViewLocked stores a new view. s.mu must be held.
func (s *Server) addViewLocked(req viewRequest, raw, user, root, previous string) *viewState {
	v := &viewState{View: View{ID: "V" + randomID(5), Type: req.Type, UserID: user, RootViewID: root, PreviousViewID: previous}}
	if v.RootViewID == "" {
		v.RootViewID = v.ID
	}
	v.set(req, raw)
	v.Updates = 0
	s.views[v.ID] = v
	s.viewOrder = append(s.viewOrder, v.ID)
	return v
}

// set replaces the view's content, as a change of the view.
func (v *viewState) set(req viewRequest, raw string) {
	var title textObject
	_ = json.Unmarshal(req.Title, &title)
	v.req = req
	v.Title = title.Text
	v.CallbackID, v.PrivateMetadata, v.ExternalID = req.CallbackID, req.PrivateMetadata, req.ExternalID
	v.Blocks = bytes.Clone(req.Blocks)
	v.Raw = json.RawMessage(raw)
	v.Hash = newHash()
	v.Updates++
}

// openViewLocked implements views.open: the trigger must be one the fake
// issued, used once, within the trigger lifetime.
func (s *Server) openViewLocked(p url.Values) apiResult {
	t := s.triggers[p.Get("trigger_id")]
	switch {
	case t == nil:
		return errResult("invalid_trigger_id")
	case time.Since(t.at) > s.cfg.triggerLifetime:
		return errResult("expired_trigger_id")
	case t.used:
		return errResult("exchanged_trigger_id")
	}
	req, msg := parseView(p.Get("view"), "modal")
	if msg != "" {
		return invalidArguments(msg)
	}
	if s.externalIDTakenLocked(req.ExternalID, "") {
		return errResult("duplicate_external_id")
	}
	t.used = true
	v := s.addViewLocked(req, p.Get("view"), t.user, "", "")
	return okResult(map[string]any{"view": v.json(nil)})
}

// updateViewLocked implements views.update, by view_id or external_id.
func (s *Server) updateViewLocked(p url.Values) apiResult {
	v := s.views[p.Get("view_id")]
	if id := p.Get("external_id"); v == nil && id != "" {
		for _, cand := range s.views {
			if cand.ExternalID == id {
				v = cand
			}
		}
	}
	switch {
	case v == nil || v.Closed:
		return errResult("not_found")
	case p.Get("hash") != "" && p.Get("hash") != v.Hash:
		return errResult("hash_conflict")
	}
	req, msg := parseView(p.Get("view"), v.Type)
	if msg != "" {
		return invalidArguments(msg)
	}
	if s.externalIDTakenLocked(req.ExternalID, v.ID) {
		return errResult("duplicate_external_id")
	}
	v.set(req, p.Get("view"))
	return okResult(map[string]any{"view": v.json(nil)})
}

// publishViewLocked implements views.publish: one Home tab per user.
func (s *Server) publishViewLocked(p url.Values) apiResult {
	user := p.Get("user_id")
	switch {
	case user == "":
		return invalidArguments("[ERROR] missing required field: user_id")
	case s.users[user] == nil:
		return errResult("user_not_found")
	}
	req, msg := parseView(p.Get("view"), "home")
	if msg != "" {
		return invalidArguments(msg)
	}
	v := s.homeViewLocked(user)
	if v == nil {
		v = s.addViewLocked(req, p.Get("view"), user, "", "")
		return okResult(map[string]any{"view": v.json(nil)})
	}
	if h := p.Get("hash"); h != "" && h != v.Hash {
		return errResult("hash_conflict")
	}
	v.set(req, p.Get("view"))
	return okResult(map[string]any{"view": v.json(nil)})
}

func (s *Server) homeViewLocked(user string) *viewState {
	for _, id := range s.viewOrder {
		if v := s.views[id]; v.Type == "home" && v.UserID == user {
			return v
		}
	}
	return nil
}

// applyViewAckLocked does what a view_submission's ack asks of the modal
// and returns its response_action. s.mu must be held.
func (s *Server) applyViewAckLocked(env *envelopeState, payload json.RawMessage) (string, error) {
	v := s.views[env.viewID]
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 || bytes.Equal(payload, []byte("null")) {
		v.Closed = true
		return "", nil
	}
	var r struct {
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(payload, &r); err != nil {
		return "", fmt.Errorf("%w: the ack is not a JSON object: %w", ErrInvalidResponse, err)
	}
	switch r.ResponseAction {
	case "":
		v.Closed = true
	case "clear":
		for _, other := range s.views {
			if other.RootViewID == v.RootViewID {
				other.Closed = true
			}
		}
	case "update", "push":
		req, msg := parseView(string(r.View), "modal")
		if msg != "" {
			return r.ResponseAction, fmt.Errorf("%w: response_action %s: %s", ErrInvalidResponse, r.ResponseAction, msg)
		}
		if r.ResponseAction == "update" {
			v.set(req, string(r.View))
			break
		}
		if s.stackDepthLocked(v.RootViewID) >= MaxViewStack {
			return r.ResponseAction, fmt.Errorf("%w: push_limit_reached: %d modals are stacked already", ErrInvalidResponse, MaxViewStack)
		}
		s.addViewLocked(req, string(r.View), v.UserID, v.RootViewID, v.ID)
	case "errors":
		if err := checkInputErrors(v.Blocks, r.Errors); err != nil {
			return r.ResponseAction, err
		}
	default:
		return r.ResponseAction, fmt.Errorf("%w: unknown response_action %q", ErrInvalidResponse, r.ResponseAction)
	}
	return r.ResponseAction, nil
}

func (s *Server) stackDepthLocked(root string) int {
	n := 0
	for _, v := range s.views {
		if v.RootViewID == root && !v.Closed {
			n++
		}
	}
	return n
}

// checkInputErrors checks the errors of response_action "errors": Slack
// shows them only under input blocks, and a key naming any other block
// makes it show the user a generic error instead.
func checkInputErrors(blocksJSON json.RawMessage, errs map[string]string) error {
	if len(errs) == 0 {
		return fmt.Errorf("%w: response_action errors without errors", ErrInvalidResponse)
	}
	var blocks []json.RawMessage
	_ = json.Unmarshal(blocksJSON, &blocks)
	inputs := map[string]bool{}
	for i, b := range blocks {
		if id, typ, _ := blockElements(b); typ == "input" {
			inputs[fillBlockID(id, i)] = true
		}
	}
	for id := range errs {
		if !inputs[id] {
			return fmt.Errorf("%w: error for %q, which is not an input block of the view", ErrInvalidResponse, id)
		}
	}
	return nil
}

func cloneView(v View) View {
	v.Blocks = bytes.Clone(v.Blocks)
	v.Raw = bytes.Clone(v.Raw)
	return v
}

// Views returns the views of userID ("" = every user's), modals and Home
// tabs, in the order they were first opened or published.
func (s *Server) Views(userID string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewsLocked(userID)
}

func (s *Server) viewsLocked(userID string) []View {
	var out []View
	for _, id := range s.viewOrder {
		if v := s.views[id]; userID == "" || v.UserID == userID {
			out = append(out, cloneView(v.View))
		}
	}
	return out
}

// WaitViews blocks until userID ("" = anyone) has at least n views and
// returns them all, or returns ctx's error or ErrServerClosed.
func (s *Server) WaitViews(ctx context.Context, userID string, n int) ([]View, error) {
	var out []View
	err := s.waitFor(ctx, func() bool {
		out = s.viewsLocked(userID)
		return len(out) >= n
	})
	return out, err
}

// HomeView returns the Home tab last published for userID.
func (s *Server) HomeView(userID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.homeViewLocked(userID)
	if v == nil {
		return View{}, false
	}
	return cloneView(v.View), true
}

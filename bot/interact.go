package bot

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/resellerbot/resellerbot/bot/render"
)

// Click is one press of a button or choice in a menu, in a message, a modal
// or the Home tab, as a ClickHandler sees it. Everything in it came from
// Slack: handlers must look the org or episode it names up again, never
// trust it.
type Click struct {
	// ActionID is the element's action_id, the stable contract that routed
	// the click; BlockID the block holding it.
	ActionID, BlockID string
	// Value is the button's value, or the value of the option chosen in a
	// select or overflow menu.
	Value string
	// UserID and UserName are who clicked.
	UserID, UserName string
	// ChannelID and MessageTS name the message clicked; empty in views.
	ChannelID, MessageTS string
	// ThreadTS is the thread the clicked message is in, if any.
	ThreadTS string
	// ResponseURL answers the click (ephemeral to the clicker, or
	// replacing the message); empty in views.
	ResponseURL string
	// TriggerID opens a modal (views.open), for about 3 seconds only.
	TriggerID string
	// ViewID is the view clicked in, when not a message.
	ViewID string
	// EnvelopeID identifies the delivery; a redelivery has the same one.
	EnvelopeID string
	// Text and Blocks are the clicked message's, as Slack sent them.
	Text   string
	Blocks []slack.Block
}

// ClickHandler acts on a click. It runs after the click was acknowledged,
// on its own goroutine, so it may be slow; it must be safe to call twice
// for two clicks on the same button (the user double-clicked): redelivered
// envelopes are dropped before it, but distinct clicks are not.
type ClickHandler func(ctx context.Context, c Click)

// Submission is a modal's submission.
type Submission struct {
	// CallbackID is the view's callback_id, which routed it; ViewID the
	// view.
	CallbackID, ViewID string
	// PrivateMetadata is what the bot put in the view when it opened it.
	PrivateMetadata string
	// Values are the inputs, by block_id then action_id.
	Values map[string]map[string]slack.BlockAction
	// UserID and UserName are who submitted.
	UserID, UserName string
	EnvelopeID       string
}

// SubmitHandler answers a modal's submission. Its answer is the ack's
// payload and must come within Slack's 3 seconds: nil closes the modal; a
// *slack.ViewSubmissionResponse can show errors, update or clear it.
type SubmitHandler func(ctx context.Context, s Submission) *slack.ViewSubmissionResponse

// HomeHandler publishes a user's Home tab when they open it.
type HomeHandler func(ctx context.Context, userID string)

// interactions routes what users do to handlers: clicks by action_id,
// modal submissions by callback_id, Home-tab opens, and the slash commands
// that package commands does not answer (hooks.go). Registration happens
// before Run; lookups after.
type interactions struct {
	mu       sync.Mutex
	clicks   map[string]ClickHandler
	submits  map[string]SubmitHandler
	home     HomeHandler
	commands map[string]CommandHandler
	help     HelpHandler
	// seen remembers recent envelope IDs, so a redelivered envelope (Slack
	// resends one whose ack it did not see in time) acts once.
	seen *recent
}

// HandleClick routes clicks on elements with actionID to h. Register
// handlers before Run.
func (a *App) HandleClick(actionID string, h ClickHandler) {
	a.routes.mu.Lock()
	defer a.routes.mu.Unlock()
	if a.routes.clicks == nil {
		a.routes.clicks = map[string]ClickHandler{}
	}
	a.routes.clicks[actionID] = h
}

// HandleSubmit routes submissions of modals with callbackID to h.
func (a *App) HandleSubmit(callbackID string, h SubmitHandler) {
	a.routes.mu.Lock()
	defer a.routes.mu.Unlock()
	if a.routes.submits == nil {
		a.routes.submits = map[string]SubmitHandler{}
	}
	a.routes.submits[callbackID] = h
}

// HandleHomeOpened routes app_home_opened events to h.
func (a *App) HandleHomeOpened(h HomeHandler) {
	a.routes.mu.Lock()
	defer a.routes.mu.Unlock()
	a.routes.home = h
}

func (r *interactions) click(id string) ClickHandler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clicks[id]
}

func (r *interactions) submit(id string) SubmitHandler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.submits[id]
}

func (r *interactions) homeHandler() HomeHandler {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.home
}

// firstTime reports whether an envelope is new, remembering it.
func (r *interactions) firstTime(envelopeID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = newRecent(4096)
	}
	return r.seen.add(envelopeID)
}

// interactive handles an interactive envelope: it acknowledges at once
// (a submission with its handler's answer), drops redeliveries, refuses
// users not allowed, and hands clicks to their handlers.
func (a *App) interactive(ctx context.Context, client *socketmode.Client, req socketmode.Request, cb slack.InteractionCallback) {
	log := a.log.With("user", cb.User.ID, "channel", cb.Channel.ID, "type", cb.Type)
	first := a.routes.firstTime(req.EnvelopeID)
	if cb.Type == slack.InteractionTypeViewSubmission {
		a.submitted(ctx, client, req, cb, first)
		return
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
		log.Error("acknowledging interaction", "error", err)
	}
	if !first || cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	// Buttons on alerts work wherever the bot posts them, even outside
	// allowed_channel_ids.
	channel := cb.Channel.ID
	if channel == a.cfg.AlertChannel || slices.Contains(a.cfg.RoutedChannels, channel) {
		channel = ""
	}
	if why := a.allowedUser(ctx, cb.User.ID, channel); why != "" {
		log.Warn("click refused")
		if cb.ResponseURL != "" {
			if err := a.Respond(ctx, cb.ResponseURL, render.Message{Text: why}, false); err != nil {
				log.Error("answering a refused click", "error", err)
			}
		}
		return
	}
	for _, act := range cb.ActionCallback.BlockActions {
		h := a.routes.click(act.ActionID)
		if h == nil {
			log.Warn("click on an element nobody handles", "action_id", act.ActionID)
			continue
		}
		c := Click{ActionID: act.ActionID, BlockID: act.BlockID, Value: act.Value,
			UserID: cb.User.ID, UserName: cb.User.Name, ChannelID: cb.Channel.ID,
			MessageTS: cb.Container.MessageTs, ThreadTS: cb.Container.ThreadTs, ResponseURL: cb.ResponseURL,
			TriggerID: cb.TriggerID, ViewID: cb.View.ID, EnvelopeID: req.EnvelopeID,
			Text: cb.Message.Text, Blocks: cb.Message.Blocks.BlockSet}
		if c.MessageTS == "" {
			c.MessageTS = cb.Message.Timestamp
		}
		if act.SelectedOption.Value != "" {
			c.Value = act.SelectedOption.Value
		}
		log.Info("click", "action_id", c.ActionID, "value", c.Value)
		h(ctx, c)
	}
}

func (a *App) submitted(ctx context.Context, client *socketmode.Client, req socketmode.Request, cb slack.InteractionCallback, first bool) {
	log := a.log.With("user", cb.User.ID, "callback_id", cb.View.CallbackID)
	var answer any
	h := a.routes.submit(cb.View.CallbackID)
	why := ""
	if first {
		why = a.allowedUser(ctx, cb.User.ID, "")
	}
	switch {
	case !first:
		// Acted on already; the modal closes.
	case why != "":
		log.Warn("submission refused")
		answer = slack.NewErrorsViewSubmissionResponse(map[string]string{firstBlockID(cb.View): why})
	case h == nil:
		log.Warn("submission of a view nobody handles")
	default:
		s := Submission{CallbackID: cb.View.CallbackID, ViewID: cb.View.ID, PrivateMetadata: cb.View.PrivateMetadata,
			UserID: cb.User.ID, UserName: cb.User.Name, EnvelopeID: req.EnvelopeID}
		if cb.View.State != nil {
			s.Values = cb.View.State.Values
		}
		if resp := h(ctx, s); resp != nil {
			answer = resp
		}
	}
	if err := client.AckCtx(ctx, req.EnvelopeID, answer); err != nil {
		log.Error("acknowledging submission", "error", err)
	}
}

// firstBlockID is where a refusal shows in a modal: Slack shows errors
// under input blocks, by block_id.
func firstBlockID(v slack.View) string {
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			return in.BlockID
		}
	}
	return ""
}

// eventsAPI handles an events_api envelope: the Home tab's opening.
func (a *App) eventsAPI(ctx context.Context, client *socketmode.Client, req socketmode.Request) {
	if err := client.AckCtx(ctx, req.EnvelopeID, nil); err != nil {
		a.log.Error("acknowledging event", "error", err)
	}
	if !a.routes.firstTime(req.EnvelopeID) {
		return
	}
	var outer struct {
		Event struct {
			Type string `json:"type"`
			User string `json:"user"`
			Tab  string `json:"tab"`
		} `json:"event"`
	}
	if err := json.Unmarshal(req.Payload, &outer); err != nil {
		a.log.Warn("unreadable event", "error", err)
		return
	}
	if outer.Event.Type != "app_home_opened" || outer.Event.Tab == "messages" {
		return
	}
	h := a.routes.homeHandler()
	if h == nil || a.allowedUser(ctx, outer.Event.User, "") != "" {
		return
	}
	h(ctx, outer.Event.User)
}

// Respond posts an answer to a response_url: ephemeral to the clicker, or,
// with replace, in place of the message clicked.
func (a *App) Respond(ctx context.Context, responseURL string, m render.Message, replace bool) error {
	blocks := slack.Blocks{BlockSet: m.Blocks}
	msg := &slack.WebhookMessage{Text: m.Text, Blocks: &blocks, ResponseType: slack.ResponseTypeEphemeral,
		ReplaceOriginal: replace}
	return slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.httpClient(), noUnfurl(msg))
}

// recent is a bounded set of strings that forgets the oldest first.
type recent struct {
	order []string
	set   map[string]bool
	next  int
}

func newRecent(n int) *recent {
	return &recent{order: make([]string, n), set: make(map[string]bool, n)}
}

// add reports whether s was not in the set, adding it.
func (r *recent) add(s string) bool {
	if r.set[s] {
		return false
	}
	if old := r.order[r.next]; old != "" {
		delete(r.set, old)
	}
	r.order[r.next] = s
	r.set[s] = true
	r.next = (r.next + 1) % len(r.order)
	return true
}

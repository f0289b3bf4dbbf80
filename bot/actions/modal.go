package actions

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/render"
)

// The topup_open button (on a low-balance alert) opens a modal asking how
// many minutes, with an amount suggested from the org's recent spend; its
// submission posts the usual /topup preview, ephemeral to the submitter in
// the channel the button was in.

// The top-up modal's identifiers.
const (
	TopUpOpenActionID = render.ActionTopUpOpen
	TopUpCallbackID   = "topup_modal"
	topUpBlockID      = "minutes"
	topUpInputID      = "minutes"
)

// spendWindow is how far back the suggestion looks: a week of spend.
const spendWindow = 7 * 24 * time.Hour

// TopUpModal is the modal for the topup_open click on the org orgValue
// (the button's value) on the alert at. It reads the store only, so it can
// be opened within the click's trigger_id lifetime.
func (a *Actions) TopUpModal(orgValue string, at Thread) (slack.ModalViewRequest, error) {
	id, err := strconv.ParseInt(orgValue, 10, 64)
	if err != nil {
		return slack.ModalViewRequest{}, fmt.Errorf("actions: topup_open value %q is no org ID", orgValue)
	}
	name, suggest := a.suggest(id)
	in := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "100", false, false), topUpInputID)
	in.InitialValue = strconv.Itoa(suggest)
	hint := "Suggested: about a week of its recent spend."
	input := slack.NewInputBlock(topUpBlockID, slack.NewTextBlockObject(slack.PlainTextType, "Minutes", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, hint, false, false), in)
	title := "Top up " + name
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      TopUpCallbackID,
		Title:           slack.NewTextBlockObject(slack.PlainTextType, cutRunes(title, 24), false, false),
		Submit:          slack.NewTextBlockObject(slack.PlainTextType, "Preview", false, false),
		Close:           slack.NewTextBlockObject(slack.PlainTextType, "Cancel", false, false),
		PrivateMetadata: strings.Join([]string{strconv.FormatInt(id, 10), at.Channel, at.TS}, " "),
		Blocks:          slack.Blocks{BlockSet: []slack.Block{input}},
	}, nil
}

func cutRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// suggest returns the org's name and the minutes its last week of spend
// bought, rounded up to ten, at least ten and at most the cap.
func (a *Actions) suggest(orgID int64) (string, int) {
	name, minutes := fmt.Sprint(orgID), 100
	snap, err := a.cfg.Store.Latest()
	if err != nil || snap == nil {
		return name, minutes
	}
	rate := 0.0
	for i := range snap.Orgs {
		if snap.Orgs[i].ID == orgID {
			name, rate = snap.Orgs[i].Name, snap.Orgs[i].CostPerMin
		}
	}
	series, err := a.cfg.Store.Balances(a.cfg.Now().Add(-spendWindow), orgID)
	if err != nil || len(series) != 1 || rate <= 0 {
		return name, minutes
	}
	s := series[0]
	spend, err := s.Spend(s.From, s.To)
	if err != nil || spend <= 0 {
		return name, minutes
	}
	minutes = int(math.Ceil(spend/rate/10)) * 10
	return name, min(max(minutes, 10), a.cfg.MaxTopupMinutes)
}

// SubmitTopUp reads a top-up modal's submission: the org, the alert it
// came from (whose channel gets the preview), and the minutes; bad is the
// error to show under the input.
func SubmitTopUp(metadata string, values map[string]map[string]slack.BlockAction) (orgID string, at Thread, minutes int, bad map[string]string) {
	parts := append(strings.Fields(metadata), "", "", "")
	orgID, at = parts[0], Thread{Channel: parts[1], TS: parts[2]}
	n, err := strconv.Atoi(strings.TrimSpace(values[topUpBlockID][topUpInputID].Value))
	if err != nil || n < 1 {
		return orgID, at, 0, map[string]string{topUpBlockID: "Give a whole number of minutes, 1 or more."}
	}
	return orgID, at, n, nil
}

// TopUpPreview is the /topup preview for a modal's submission; the
// action's record goes to the thread of the alert at.
func (a *Actions) TopUpPreview(ctx context.Context, u User, orgID string, minutes int, at Thread) render.Message {
	return a.handle(ctx, u, "/topup", fmt.Sprintf("%s %d", orgID, minutes), at)
}

// PendingID returns the confirm button's action_id and the confirmation
// ID of a preview, for a console that types "confirm" instead of clicking.
func PendingID(m render.Message) (actionID, id string, ok bool) {
	for _, b := range m.Blocks {
		ab, isActions := b.(*slack.ActionBlock)
		if !isActions || ab.Elements == nil {
			continue
		}
		for _, e := range ab.Elements.ElementSet {
			if btn, isButton := e.(*slack.ButtonBlockElement); isButton && btn.ActionID != render.CancelActionID {
				return btn.ActionID, btn.Value, true
			}
		}
	}
	return "", "", false
}

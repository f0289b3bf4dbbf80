package bot

import (
	"context"
	"strconv"
	"time"

	"github.com/resellerbot/resellerbot/bot/render"
)

// OrgDetails answers a click on an org_details button or menu
// (render.ActionOrgDetails) with the /org card of the org the click names,
// ephemeral to the clicker, in as many parts as /org would send. Register it
// with HandleClick; it runs after the click was acknowledged, so the card
// may take its time.
func (a *App) OrgDetails(ctx context.Context, c Click) {
	log := a.log.With("user", c.UserID, "action_id", c.ActionID, "value", c.Value)
	if c.ResponseURL == "" {
		log.Warn("a details click without a response_url; nowhere to answer")
		return
	}
	// The value came from Slack: only a number is looked up, so a forged
	// one cannot turn into a search.
	id, err := strconv.ParseInt(c.Value, 10, 64)
	msgs := []render.Message{{Text: "That button names no org."}}
	if err == nil && id > 0 {
		msgs = a.commands.Handle("/org", strconv.FormatInt(id, 10))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, m := range msgs {
		if err := a.Respond(ctx, c.ResponseURL, m, false); err != nil {
			log.Error("answering a details click", "error", err)
			return
		}
	}
}

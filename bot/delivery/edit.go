package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/store"
)

// Editor is a Sender that can replace a message it delivered, so that an
// episode's message shows its current state.
type Editor interface {
	// Edit replaces the message whose receipt is receipt with m. A
	// *SendError with ParentGone set means the message cannot be edited.
	Edit(ctx context.Context, m render.Message, receipt string) error
}

// editEpisodes edits the stale messages of episodes, paced: it returns how
// long to wait when the next edit is not due yet.
func (d *Deliverer) editEpisodes(ctx context.Context) (time.Duration, error) {
	for {
		stale, err := d.cfg.Store.StaleEpisodes(staleBatch)
		if err != nil || len(stale) == 0 {
			return 0, err
		}
		if wait, err := d.editSome(ctx, stale); wait > 0 || err != nil {
			return wait, err
		}
		if len(stale) < staleBatch {
			return 0, nil
		}
	}
}

// staleBatch is how many stale episodes editEpisodes reads at a time.
const staleBatch = 64

// editSome edits stale episodes' messages in order until one is not due.
func (d *Deliverer) editSome(ctx context.Context, stale []store.Episode) (time.Duration, error) {
	for i := range stale {
		ep := &stale[i]
		sender := d.sender(ep.Channel)
		editor, canEdit := sender.(Editor)
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if !canEdit || ep.Receipt == "" || ep.InDigest {
			// Nothing to edit: a receiver that cannot edit, an opening
			// that was never delivered, or a digest about many orgs, whose
			// thread has this episode's news instead.
			if err := d.cfg.Store.MarkEpisodeShown(ep.Key, ep.Version, ""); err != nil {
				return 0, err
			}
			continue
		}
		now := d.cfg.Now()
		if wait := d.nextEdit.Sub(now); wait > 0 {
			return wait, nil
		}
		d.nextEdit = now.Add(time.Minute / time.Duration(d.cfg.EditsPerMinute))
		if err := d.edit(ctx, sender, editor, ep, now); err != nil {
			var se *SendError
			if errors.As(err, &se) && se.RetryAfter > 0 {
				// chat.update's limit is its own: edits wait it out, new
				// alerts need not (see Run).
				d.nextEdit = now.Add(se.RetryAfter)
				return se.RetryAfter, nil
			}
			return 0, err
		}
	}
	return 0, nil
}

// edit brings one episode's message up to date, posting it anew when the
// old one cannot be edited.
func (d *Deliverer) edit(ctx context.Context, sender Sender, editor Editor, ep *store.Episode, now time.Time) error {
	log := d.cfg.Logger.With("episode", ep.Key)
	msg, err := episodeMessage(ep, now)
	if err != nil {
		// A record that cannot be read cannot be shown; retrying would
		// hold up every other edit.
		log.Error("dropping the edit of an unreadable episode", "error", err)
		return d.cfg.Store.MarkEpisodeShown(ep.Key, ep.Version, "")
	}
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	err = editor.Edit(sendCtx, msg, ep.Receipt)
	var se *SendError
	if errors.As(err, &se) && se.Rejected {
		err = editor.Edit(sendCtx, msg.TextOnly(), ep.Receipt)
	}
	receipt := ""
	if errors.As(err, &se) && se.ParentGone {
		log.Info("the episode's message cannot be edited; posting its update as a new message", "error", err)
		receipt, err = sender.Send(sendCtx, msg, "")
	}
	if d.cfg.OnSend != nil {
		d.cfg.OnSend(err)
	}
	if errors.As(err, &se) && se.Rejected {
		log.Error("receiver refused an episode's message even as plain text; leaving it as it was", "error", err)
		err = nil
	}
	if err != nil {
		if errors.As(err, &se) && se.RetryAfter > 0 {
			log.Warn("rate limited; waiting as asked", "retry_after", se.RetryAfter)
		} else {
			log.Warn("editing an episode's message failed; will retry", "error", err)
		}
		return err
	}
	return d.cfg.Store.MarkEpisodeShown(ep.Key, ep.Version, receipt)
}

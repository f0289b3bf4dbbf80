package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/store"
)

// Sender delivers rendered messages somewhere people read them: a Slack
// channel, or the demo's console.
type Sender interface {
	// Send delivers m, as a reply in the thread of the message whose
	// receipt is replyTo when replyTo is not empty, and returns the new
	// message's receipt (for Slack, its ts).
	Send(ctx context.Context, m render.Message, replyTo string) (receipt string, err error)
}

// Finder is a Sender that can tell whether a message it may have delivered
// before a crash did arrive, so it is not posted twice. Messages carry their
// Key (render.Message.Key) for this.
type Finder interface {
	// Find looks for a message with key delivered since the given time, in
	// the thread of replyTo if that is not empty, and returns its receipt.
	Find(ctx context.Context, key string, since time.Time, replyTo string) (receipt string, found bool, err error)
}

// SendError is the receiver's answer refusing a message: it did not
// arrive, and the fields say whether and when to try again. Any other error
// from Send (a timeout, a broken connection) means the message may or may
// not have arrived; it is retried with backoff, after a Finder looks for it.
type SendError struct {
	Err error
	// RetryAfter is the receiver's explicit request to wait (HTTP 429).
	RetryAfter time.Duration
	// Permanent means retrying soon will not help until someone acts: a
	// revoked token, a missing channel. Reason says what is wrong, and Hint
	// what to do.
	Permanent bool
	Reason    Reason
	Hint      string
	// Rejected means the receiver refuses this message's content (for
	// Slack, invalid_blocks): the Deliverer falls back to plain text.
	Rejected bool
	// ParentGone means the message to edit or reply to cannot be (deleted,
	// too old, its thread locked, replies refused there): the Deliverer
	// posts a new message instead, at the top level, which becomes the
	// episode's when it was one's.
	ParentGone bool
	// Unknown means the receiver refused the message for a reason the
	// Sender does not know. It may concern this message alone, so the
	// Deliverer retries it only so often (Config.RefusalLimit) before it
	// parks it and goes on with the next.
	Unknown bool
}

// Error is the receiver's answer, with the hint when there is one.
func (e *SendError) Error() string {
	if e.Hint != "" {
		return e.Err.Error() + " (" + e.Hint + ")"
	}
	return e.Err.Error()
}

// Unwrap returns the receiver's answer as the Sender got it.
func (e *SendError) Unwrap() error { return e.Err }

// Reason says what a receiver's permanent refusal is about, so that the
// code that knows the configuration can say which setting to fix: a
// Sender knows the receiver's words for the problem, not the names of the
// keys that configured it.
type Reason int

const (
	// ReasonOther is any refusal not named below.
	ReasonOther Reason = iota
	// ReasonNotInChannel: the bot is not a member of the channel.
	ReasonNotInChannel
	// ReasonChannelNotFound: no channel has the configured ID, or the bot
	// cannot see it.
	ReasonChannelNotFound
	// ReasonChannelArchived: the channel is archived.
	ReasonChannelArchived
	// ReasonBadToken: the receiver refused the credentials as invalid,
	// revoked or expired.
	ReasonBadToken
	// ReasonMissingScope: the credentials lack a permission the call needs.
	ReasonMissingScope
	// ReasonReadOnlyChannel: the channel lets only some members post, and
	// the bot is not one of them.
	ReasonReadOnlyChannel
)

// String names the reason, for logs and tests.
func (r Reason) String() string {
	switch r {
	case ReasonNotInChannel:
		return "not in channel"
	case ReasonChannelNotFound:
		return "channel not found"
	case ReasonChannelArchived:
		return "channel archived"
	case ReasonBadToken:
		return "bad token"
	case ReasonMissingScope:
		return "missing scope"
	case ReasonReadOnlyChannel:
		return "read-only channel"
	}
	return "other"
}

// Config wires a Deliverer.
type Config struct {
	Store  *store.Store
	Sender Sender
	Now    func() time.Time
	Logger *slog.Logger
	// Backoff is the first wait after a transient failure, doubling up to
	// MaxBackoff; defaults 1s and 5m.
	Backoff, MaxBackoff time.Duration
	// OnSend, if set, is told the outcome of every attempt: nil error for a
	// delivered message, or the error.
	OnSend func(err error)
	// RefusalLimit is how many times in a row the receiver may refuse a
	// message for a reason the Sender does not know (SendError.Unknown)
	// before the message is parked in the store, so that it does not hold
	// up the messages behind it; default 5.
	RefusalLimit int
	// SenderFor, if set, returns the Sender for a channel that routing
	// named (see PlanRouted); Sender is the default channel's.
	SenderFor func(channel string) Sender
	// EditsPerMinute paces the edits of episodes' messages; default 40,
	// within chat.update's rate tier (Tier 3, about 50 a minute).
	EditsPerMinute int
}

// Deliverer drains the outbox in order, at least once: a message leaves the
// outbox only after the receiver accepted it, or, refused for good, when it
// is parked in the store. It honours Retry-After, backs off on transient
// errors, and keeps messages queued through permanent ones, saying once what
// an operator must fix.
type Deliverer struct {
	cfg  Config
	kick chan struct{}
	// lastProblem is the last permanent problem logged, so it is logged
	// once rather than at every retry.
	lastProblem string
	// refused counts the consecutive refusals for unknown reasons of the
	// message at the head of the outbox, which is the one retried.
	refused struct {
		id uint64
		n  int
	}
	// nextEdit is when the next edit may go out (see EditsPerMinute).
	nextEdit time.Time
	// senders are the routed channels' Senders, made once each.
	senders map[string]Sender
}

// sender returns the Sender for channel ("" the default).
func (d *Deliverer) sender(channel string) Sender {
	if channel == "" || d.cfg.SenderFor == nil {
		return d.cfg.Sender
	}
	if s, ok := d.senders[channel]; ok {
		return s
	}
	if d.senders == nil {
		d.senders = map[string]Sender{}
	}
	s := d.cfg.SenderFor(channel)
	d.senders[channel] = s
	return s
}

// sendTimeout bounds one delivery attempt. It is below the bot's shutdown
// grace, so a send in flight at shutdown completes and is recorded.
const sendTimeout = 5 * time.Second

// New returns a Deliverer.
func New(cfg Config) *Deliverer {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.RefusalLimit <= 0 {
		cfg.RefusalLimit = 5
	}
	if cfg.EditsPerMinute <= 0 {
		cfg.EditsPerMinute = 40
	}
	return &Deliverer{cfg: cfg, kick: make(chan struct{}, 1)}
}

// Kick wakes the Deliverer to drain new messages now.
func (d *Deliverer) Kick() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// Run drains the outbox until ctx ends, whenever kicked and, after a
// failure, when the failure's wait is over; a kick never cuts a wait short,
// so a 429's Retry-After is always honoured. It first puts back in the
// outbox the messages parked before, so a restart tries them again. It
// returns ctx's error.
func (d *Deliverer) Run(ctx context.Context) error {
	if n, err := d.cfg.Store.Unpark(); err != nil {
		d.cfg.Logger.Error("cannot retry the parked alerts", "error", err)
	} else if n > 0 {
		d.cfg.Logger.Info("retrying alerts parked before the restart", "messages", n)
	}
	failures := 0
	var retry <-chan time.Time
	// editsOnly is set while retry is only the edits' turn, which new
	// messages need not wait for.
	editsOnly := false
	for {
		if retry == nil {
			wait, err := d.Drain(ctx)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				failures++
				if wait <= 0 {
					wait = d.backoff(failures)
				}
				retry = time.After(wait)
				var se *SendError
				if !errors.As(err, &se) && err.Error() != d.lastProblem {
					// Not Slack's answer (those are logged as they come) but
					// the store's: a full disk, a damaged record.
					d.cfg.Logger.Error("delivery stopped; retrying", "error", err, "in", wait.Round(time.Second))
					d.lastProblem = err.Error()
				}
			} else {
				failures = 0
				if wait > 0 {
					// Edits are waiting for their turn.
					retry, editsOnly = time.After(wait), true
				}
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.kick:
			// New messages wait behind a failed one anyway, but not
			// behind edits waiting for their turn.
			if editsOnly {
				retry, editsOnly = nil, false
			}
		case <-retry:
			retry, editsOnly = nil, false
		}
	}
}

func (d *Deliverer) backoff(failures int) time.Duration {
	b := d.cfg.Backoff << min(failures-1, 20)
	if b <= 0 || b > d.cfg.MaxBackoff {
		b = d.cfg.MaxBackoff
	}
	return b/2 + rand.N(b/2+1)
}

// Drain delivers pending messages in order until the outbox is empty or a
// send fails, then edits the episodes' messages that are stale, as fast as
// EditsPerMinute allows. On failure it returns the error and how long the
// receiver asked to wait (zero: use backoff); later messages wait their
// turn, so the channel never shows them out of order. The one exception is
// a message the receiver keeps refusing for itself: it is parked, and the
// next goes out. With no error, a wait above zero says when the next edit
// may go out.
func (d *Deliverer) Drain(ctx context.Context) (time.Duration, error) {
	for {
		pending, err := d.cfg.Store.Pending(64)
		if err != nil {
			return 0, err
		}
		if len(pending) == 0 {
			if d.lastProblem != "" {
				d.cfg.Logger.Info("delivery recovered")
				d.lastProblem = ""
			}
			return d.editEpisodes(ctx)
		}
		for _, m := range pending {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if err := d.deliver(ctx, m); err != nil {
				var se *SendError
				if errors.As(err, &se) {
					return se.RetryAfter, err
				}
				return 0, err
			}
		}
	}
}

func (d *Deliverer) deliver(ctx context.Context, m store.Message) error {
	log := d.cfg.Logger.With("message", m.ID)
	out, err := decode(m.Body, d.cfg.Now())
	if err != nil {
		// A message that cannot be read can never be sent; keeping it
		// would block every alert behind it.
		log.Error("dropping unreadable outbox message", "error", err)
		return d.cfg.Store.MarkSent(m.ID, "", d.cfg.Now())
	}
	var replyTo string
	if m.ReplyTo != 0 {
		// A parent that was never delivered or whose receipt expired:
		// post at the top level rather than not at all.
		replyTo, _ = d.cfg.Store.Receipt(m.ReplyTo)
	}
	if out.episode != "" {
		// Likewise an episode whose message is unknown.
		if ep, err := d.cfg.Store.Episode(out.episode); err == nil {
			replyTo = ep.Receipt
		}
	}
	msg := out.msg
	msg.Broadcast = out.broadcast && replyTo != ""
	sender := d.sender(out.channel)
	msg.Key = d.cfg.Store.ID() + "/" + strconv.FormatUint(m.ID, 10)
	if m.InFlight {
		// A process died while sending this: look before sending again.
		if receipt, found := d.find(ctx, log, sender, msg.Key, m, replyTo); found {
			log.Info("alert was delivered before the restart; not sending it again", "receipt", receipt)
			return d.cfg.Store.MarkSent(m.ID, receipt, d.cfg.Now())
		}
		// A lookup cut short by shutdown proves nothing; the next process
		// looks again rather than post what may already be there.
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := d.cfg.Store.MarkInFlight(m.ID); err != nil {
		return err
	}
	// A send in flight is not cancelled by shutdown: cancelling it after
	// Slack accepted the message but before we marked it would post it
	// again after the restart. It gets sendTimeout instead.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	var se *SendError
	replaced := false
	// send posts m in its thread, or at the top level when the thread is
	// gone or refuses replies: an alert out of its thread beats none. The
	// new message then becomes the episode's.
	send := func(m render.Message) (string, error) {
		receipt, err := sender.Send(sendCtx, m, replyTo)
		if errors.As(err, &se) && se.ParentGone && replyTo != "" {
			log.Warn("the thread to reply in is gone or refuses replies; posting it at the top level", "error", err)
			replyTo, msg.Broadcast, replaced = "", false, out.episode != ""
			m.Broadcast = false
			receipt, err = sender.Send(sendCtx, m, "")
		}
		return receipt, err
	}
	receipt, err := send(msg)
	if errors.As(err, &se) && se.Rejected {
		log.Warn("receiver rejected the message's layout; sending it as plain text", "error", err)
		receipt, err = send(msg.TextOnly())
		if errors.As(err, &se) && se.Rejected {
			// Refused whatever its form, it would hold up every alert
			// behind it for ever.
			log.Error("receiver refused an alert even as plain text; dropping it from the queue and parking it so later alerts are not held up",
				"error", err, "alert", msg.Text)
			if d.cfg.OnSend != nil {
				d.cfg.OnSend(err)
			}
			return d.cfg.Store.Park(m.ID, err.Error())
		}
	}
	if d.cfg.OnSend != nil {
		d.cfg.OnSend(err)
	}
	if err != nil {
		if code, park := d.refusedTooOften(m.ID, err); park {
			log.Error("receiver keeps refusing an alert for a reason the bot does not know; parked it so later alerts go on",
				"code", code, "attempts", d.cfg.RefusalLimit)
			return d.cfg.Store.Park(m.ID, err.Error())
		}
		d.failed(log, m, err)
		return err
	}
	if err := d.cfg.Store.MarkSentEpisodes(m.ID, receipt, d.cfg.Now(), out.opens...); err != nil {
		// Delivered but not marked: it will be sent again. At least once.
		return fmt.Errorf("delivered but not recorded: %w", err)
	}
	if replaced {
		// The new message stands for the episode from now on; its next
		// edit makes it show the whole episode.
		if _, err := d.cfg.Store.UpdateEpisode(out.episode, func(ep *store.Episode) bool {
			ep.Receipt, ep.InDigest = receipt, false
			return true
		}); err != nil {
			log.Warn("could not record the episode's new message", "error", err)
		}
	}
	log.Info("alert delivered", "events", out.events, "part", out.part, "parts", out.parts)
	return nil
}

// refusedTooOften counts err against message id when it is a refusal for
// an unknown reason, and reports whether id has now reached the limit,
// with the receiver's answer.
func (d *Deliverer) refusedTooOften(id uint64, err error) (code error, park bool) {
	var se *SendError
	if !errors.As(err, &se) || !se.Unknown {
		d.refused.n = 0
		return nil, false
	}
	if d.refused.id != id {
		d.refused.id, d.refused.n = id, 0
	}
	d.refused.n++
	return se.Err, d.refused.n >= d.cfg.RefusalLimit
}

// find asks the Sender, if it can, whether the message arrived. An error
// means "don't know": the message is sent again, at least once.
func (d *Deliverer) find(ctx context.Context, log *slog.Logger, sender Sender, key string, m store.Message, replyTo string) (string, bool) {
	finder, ok := sender.(Finder)
	if !ok {
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	// Slack's clock and ours may differ; look a little further back.
	receipt, found, err := finder.Find(ctx, key, m.Enqueued.Add(-time.Hour), replyTo)
	if err != nil {
		log.Warn("could not check whether an interrupted delivery arrived; sending it again", "error", err)
		return "", false
	}
	return receipt, found
}

func (d *Deliverer) failed(log *slog.Logger, m store.Message, err error) {
	// A *SendError is the receiver's answer: the message did not arrive.
	// Anything else (a timeout, a broken connection) leaves it unknown, so
	// the message stays in flight and the next attempt looks first.
	var answered *SendError
	if markErr := d.cfg.Store.MarkFailed(m.ID, err.Error(), !errors.As(err, &answered)); markErr != nil {
		log.Error("recording a failed delivery", "error", markErr)
	}
	var se *SendError
	switch {
	case errors.As(err, &se) && se.Permanent:
		if problem := err.Error(); problem != d.lastProblem {
			log.Error("cannot deliver alerts; they stay queued until this is fixed", "error", err)
			d.lastProblem = problem
		}
	case errors.As(err, &se) && se.RetryAfter > 0:
		log.Warn("rate limited; waiting as asked", "retry_after", se.RetryAfter)
	default:
		log.Warn("delivery failed; will retry", "attempts", m.Attempts+1, "error", err)
	}
}

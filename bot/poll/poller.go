package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

// Fetcher fetches the reseller's current state; *omni.Client is one.
type Fetcher interface {
	Organizations(ctx context.Context) (*omni.Snapshot, error)
}

// Config wires a Poller.
type Config struct {
	Fetcher Fetcher
	Store   *store.Store
	Rules   alerts.Rules
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
	// OnPoll, if set, is called after every poll that was stored (not for
	// dry runs), from the polling goroutine.
	OnPoll func(Result)
	// Channels, if set, routes each event to channels (see
	// delivery.PlanRouted); none, or nil Channels, is the default channel.
	Channels func(*alerts.Event) []string
	// TopUp offers the topup_open button on low-balance episodes: actions
	// are on.
	TopUp bool
	// MaxRetryAfter caps how long a 429's Retry-After keeps polls from
	// asking the API; default DefaultMaxRetryAfter. Callers set it to at
	// least their poll interval. A vendor asking for a week must not
	// silence monitoring for a week.
	MaxRetryAfter time.Duration
}

// DefaultMaxRetryAfter is PollerConfig.MaxRetryAfter's default.
const DefaultMaxRetryAfter = 15 * time.Minute

// ErrWaiting is the error of a poll skipped because the API asked, with a
// 429's Retry-After, not to be asked yet. A skipped poll counts as a failed
// one towards an outage notice: the channel learns that monitoring paused.
var ErrWaiting = errors.New("poll skipped as the API asked")

// Poller runs poll cycles: fetch, evaluate, store. A failed fetch is never
// diffed: it only counts towards an outage notice, so an outage can never
// look like every org was removed.
type Poller struct {
	cfg Config
	// mu makes polls run one at a time, whoever calls; it guards the
	// fields below.
	mu sync.Mutex
	// prev caches the latest stored snapshot, saving a store read per poll.
	prev *omni.Snapshot
	// notBefore is when the API said, with a 429's Retry-After, it may be
	// asked again; polls before then are skipped.
	notBefore time.Time
	// lastFailure is the last failed poll's error, so a failure repeated
	// poll after poll is logged once, not at every poll.
	lastFailure string
	// waitCause is the 429 that set notBefore: polls skipped for it are
	// that problem still, not news for the log, and say why they skipped.
	waitCause error
	// window is the burn window's spend, ending at prev.
	window *spendWindow
}

// Result says what one poll did.
type Result struct {
	// At is when the poll ended.
	At time.Time
	// Snapshot is the fetched snapshot; nil when the fetch failed.
	Snapshot *omni.Snapshot
	// Events are what the poll found to announce.
	Events []alerts.Event
	// State is the alert state after the poll.
	State alerts.State
	// Spend is each org's spend over the burn window, for forecasts; nil
	// when the forecast is off or there is no history yet.
	Spend map[int64]alerts.Spend
	// ChangedOrgs counts orgs the poll found added, removed or changed
	// (zero for dry runs and failed polls).
	ChangedOrgs int
	// MessageIDs are the outbox IDs of the messages queued for delivery.
	MessageIDs []uint64
	// Duration is how long the poll took.
	Duration time.Duration
	// Err is the fetch error of a failed poll.
	Err error
	// Skipped is true when the poll did not ask the API at all, because
	// the API asked to wait (429 Retry-After) until RetryAt.
	Skipped bool
	RetryAt time.Time
}

// New returns a Poller.
func New(cfg Config) *Poller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return &Poller{cfg: cfg}
}

// Latest returns the stored snapshot (nil before the first successful poll)
// and alert state, for answering commands before the next poll. It waits
// for a poll in flight.
func (p *Poller) Latest() (*omni.Snapshot, alerts.State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	snap, err := p.latest()
	if err != nil {
		return nil, alerts.State{}, err
	}
	st, err := p.state()
	return snap, st, err
}

func (p *Poller) latest() (*omni.Snapshot, error) {
	if p.prev != nil {
		return p.prev, nil
	}
	snap, err := p.cfg.Store.Latest()
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p.prev = snap
	return snap, nil
}

func (p *Poller) state() (alerts.State, error) {
	raw, err := p.cfg.Store.State()
	if err != nil || raw == nil {
		return alerts.State{}, err
	}
	var st alerts.State
	if err := json.Unmarshal(raw, &st); err != nil {
		return alerts.State{}, fmt.Errorf("poll: stored alert state: %w", err)
	}
	return st, nil
}

// Poll runs one cycle and stores its outcome, events included, in one
// transaction. It returns the fetch error of a failed poll after storing
// that failure. If ctx ends during the fetch (shutdown), nothing is stored:
// an abandoned poll is not an API failure.
func (p *Poller) Poll(ctx context.Context) (Result, error) {
	return p.poll(ctx, pollStored)
}

// problem names what is wrong in a failed poll, so that the same problem
// seen again (with other attempt counts or details) is not logged again:
// the kind and status of an API error, else the error's text.
func problem(err error) string {
	var apiErr *omni.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("%v/%d", apiErr.Kind, apiErr.Status)
	}
	return err.Error()
}

// problem is problem(res.Err), except that a poll skipped for a 429 is the
// 429's problem still.
func (p *Poller) problem(res Result) string {
	if res.Skipped {
		return problem(p.waitCause)
	}
	return problem(res.Err)
}

// PollOnce is Poll for a one-off run (the poll command): a failed fetch
// stores nothing, since there is no run of polls for it to count towards.
func (p *Poller) PollOnce(ctx context.Context) (Result, error) {
	return p.poll(ctx, pollOnce)
}

// DryRun fetches and evaluates like Poll but stores nothing.
func (p *Poller) DryRun(ctx context.Context) (Result, error) {
	return p.poll(ctx, dryRun)
}

type pollMode int

const (
	pollStored pollMode = iota
	pollOnce
	dryRun
)

func (p *Poller) poll(ctx context.Context, mode pollMode) (Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	res, err := p.pollLocked(ctx, mode)
	if err == nil || err == res.Err || errors.Is(err, context.Canceled) || mode == dryRun {
		return res, err
	}
	// The store failed (a full disk, a damaged record): nothing of this
	// poll was kept, so the next poll finds the same changes again. Say so
	// loudly, and let OnPoll count it as a failed poll.
	p.cfg.Logger.Error("poll could not be stored; the next poll tries again", "error", err)
	res.Snapshot, res.Err = nil, err
	if p.cfg.OnPoll != nil && mode == pollStored {
		p.cfg.OnPoll(res)
	}
	return res, err
}

func (p *Poller) pollLocked(ctx context.Context, mode pollMode) (Result, error) {
	start := p.cfg.Now()
	log := p.cfg.Logger
	prev, err := p.latest()
	if err != nil {
		return Result{}, err
	}
	st, err := p.state()
	if err != nil {
		return Result{}, err
	}

	var res Result
	if mode == pollStored && start.Before(p.notBefore) {
		res = Result{At: start, Skipped: true, RetryAt: p.notBefore,
			Err: fmt.Errorf("%w, until %s: %w", ErrWaiting, p.notBefore.UTC().Format(time.RFC3339), p.waitCause)}
	} else {
		snap, err := p.cfg.Fetcher.Organizations(ctx)
		res = Result{At: p.cfg.Now(), Snapshot: snap, Err: err}
	}
	snap, fetchErr := res.Snapshot, res.Err
	// Cancelled means shut down: the poll is abandoned, not failed. A
	// deadline that passed means the API was too slow: a failure like any.
	if fetchErr != nil && errors.Is(ctx.Err(), context.Canceled) {
		return res, fmt.Errorf("poll abandoned: %w", context.Cause(ctx))
	}
	var apiErr *omni.APIError
	if !res.Skipped && errors.As(fetchErr, &apiErr) && apiErr.RetryAfter > 0 && mode == pollStored {
		wait := apiErr.RetryAfter
		if wait > p.cfg.MaxRetryAfter {
			log.Warn("the API asked to wait longer than polls may pause; asking again sooner",
				"retry_after", wait, "waiting", p.cfg.MaxRetryAfter)
			wait = p.cfg.MaxRetryAfter
		}
		p.notBefore = res.At.Add(wait)
		p.waitCause = fetchErr
	}

	var commit store.Commit
	var window *spendWindow
	if fetchErr != nil {
		res.Events, res.State = alerts.Failed(st, fetchErr.Error(), p.cfg.Rules, res.At)
		commit = store.Commit{At: res.At}
	} else {
		base, err := p.baseline(prev, st)
		if err != nil {
			return res, err
		}
		if res.Spend, window, err = p.spend(prev, snap); err != nil {
			return res, err
		}
		res.Events, res.State = alerts.EvaluateSpend(base, snap, st, p.cfg.Rules, snap.PolledAt, res.Spend)
		commit = store.Commit{At: res.At, Snapshot: snap}
	}
	if mode == dryRun || (mode == pollOnce && fetchErr != nil) {
		res.Duration = p.cfg.Now().Sub(start)
		return res, fetchErr
	}

	commit.State, err = json.Marshal(res.State)
	if err != nil {
		return res, fmt.Errorf("poll: encode alert state: %w", err)
	}
	polledAt := res.At
	if snap != nil {
		polledAt = snap.PolledAt
	}
	open, err := p.openEpisodes(res.Events)
	if err != nil {
		return res, err
	}
	if commit.Messages, commit.Episodes, err = delivery.PlanRouted(res.Events, polledAt, open, p.cfg.Channels, p.cfg.TopUp); err != nil {
		return res, err
	}
	written, err := p.cfg.Store.Commit(commit)
	if err != nil {
		// Nothing was stored: the next poll sees the same change again, so
		// nothing is lost, only late.
		return res, err
	}
	res.ChangedOrgs, res.MessageIDs = written.ChangedOrgs, written.IDs
	res.Duration = p.cfg.Now().Sub(start)
	if snap != nil {
		p.prev = snap
		p.window = window
	}

	attrs := []any{"duration", res.Duration.Round(time.Millisecond), "events", len(res.Events), "messages", len(res.MessageIDs)}
	switch {
	case fetchErr == nil:
		if p.lastFailure != "" {
			log.Info("poll recovered", "after_failures", st.Failures)
			p.lastFailure = ""
		}
		log.Info("poll", append(attrs, "orgs", len(snap.Orgs), "users", snap.UserCount(), "changed_orgs", res.ChangedOrgs)...)
	case p.problem(res) != p.lastFailure:
		// Said once for each new problem; repeats go to debug.
		log.Warn("poll failed", append(attrs, "failures", res.State.Failures, "error", fetchErr)...)
		p.lastFailure = p.problem(res)
	default:
		log.Debug("poll failed again", append(attrs, "failures", res.State.Failures, "error", fetchErr)...)
	}
	if snap != nil && snap.Duplicates > 0 {
		log.Warn("the API listed some orgs or users twice; the first of each was kept", "duplicates", snap.Duplicates)
	}
	logUnidentified(log, snap)
	if p.cfg.OnPoll != nil {
		p.cfg.OnPoll(res)
	}
	return res, fetchErr
}

// baseline is what a poll is compared with: the latest snapshot, with the
// orgs and users whose removal the last poll held put back as the last full
// poll had them (alerts.Baseline), so that what changed in them meanwhile is
// announced. Without history that far back they are only not announced as
// added.
func (p *Poller) baseline(prev *omni.Snapshot, st alerts.State) (*omni.Snapshot, error) {
	if prev == nil || len(st.Held) == 0 || st.HeldFrom.IsZero() {
		return prev, nil
	}
	before, err := p.cfg.Store.At(st.HeldFrom)
	if errors.Is(err, store.ErrNotFound) {
		p.cfg.Logger.Warn("history does not reach back to the last full poll; orgs that come back are not compared with it",
			"held_from", st.HeldFrom)
		return prev, nil
	}
	if err != nil {
		return nil, err
	}
	return alerts.Baseline(prev, before, st), nil
}

// openEpisodes returns the episodes not yet ended, by key, when any of
// events belongs to one.
func (p *Poller) openEpisodes(events []alerts.Event) (map[string]store.Episode, error) {
	need := false
	for i := range events {
		if events[i].Episode() != "" {
			need = true
			break
		}
	}
	if !need {
		return nil, nil
	}
	eps, err := p.cfg.Store.Episodes(func(ep *store.Episode) bool { return ep.Ended.IsZero() })
	if err != nil {
		return nil, err
	}
	open := make(map[string]store.Episode, len(eps))
	for _, ep := range eps {
		open[ep.Key] = ep
	}
	return open, nil
}

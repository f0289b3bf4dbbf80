package daily

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/resellerbot/resellerbot/bot/delivery"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/store"
)

// MaxLate is how late a digest missed while the bot was down may still be
// sent at start-up; a later one would arrive in the evening and is skipped.
const MaxLate = 12 * time.Hour

// Schedule is when the digest is due: a time of day in a zone. Daylight
// saving moves it with the zone's clocks: 09:00 stays 09:00 local.
type Schedule struct {
	Hour, Minute int
	Location     *time.Location
}

// Last is the latest time the digest was due at or before t.
func (s Schedule) Last(t time.Time) time.Time {
	local := t.In(s.Location)
	y, m, d := local.Date()
	due := time.Date(y, m, d, s.Hour, s.Minute, 0, 0, s.Location)
	if due.After(t) {
		due = time.Date(y, m, d-1, s.Hour, s.Minute, 0, 0, s.Location)
	}
	return due
}

// day names the local date a digest was due on: "2026-12-01".
func (s Schedule) day(due time.Time) string { return due.In(s.Location).Format(time.DateOnly) }

// Outbox is where digests are queued once a day; *store.Store is one.
type Outbox interface {
	DigestDay() (string, error)
	EnqueueDigest(day string, msgs []store.Outgoing, at time.Time) ([]uint64, error)
}

// Poster queues the digest in the outbox when it is due, once a day
// whatever restarts: the outbox delivers it.
type Poster struct {
	Builder  *Builder
	Outbox   Outbox
	Schedule Schedule
	// Channel is where the digest goes; "" is the alert channel.
	Channel string
	// Queued, if set, is called after a digest was queued, to start its
	// delivery.
	Queued func()
	// Charts, if set, shares the reseller's chart in each digest's thread.
	Charts *ChartPoster
	Logger *slog.Logger
}

// Post queues the digest due at due, built as of now, unless that day's
// was queued already.
func (p *Poster) Post(ctx context.Context, due, now time.Time) error {
	day := p.Schedule.day(due)
	if last, err := p.Outbox.DigestDay(); err != nil {
		return err
	} else if last >= day {
		return nil
	}
	o, err := p.Builder.Overview(now)
	if err != nil {
		return err
	}
	if o.Snapshot == nil {
		// Nothing to sum up; the next day's will have data.
		p.logger().Warn("daily digest skipped: no poll has finished yet", "day", day)
		return nil
	}
	m := render.DailyDigest(o)
	m.Channel = p.Channel
	out, err := delivery.Encode(m)
	if err != nil {
		return err
	}
	ids, err := p.Outbox.EnqueueDigest(day, []store.Outgoing{out}, now)
	if err != nil || len(ids) == 0 {
		return err
	}
	p.logger().Info("daily digest queued", "day", day, "channel", p.Channel)
	if p.Queued != nil {
		p.Queued()
	}
	if p.Charts != nil {
		go p.Charts.after(ctx, p.Builder, ids[0], now, p.logger())
	}
	return nil
}

// CatchUp is the start-up check: a digest missed while the bot was down
// is queued if less than MaxLate late, and skipped otherwise.
func (p *Poster) CatchUp(ctx context.Context, now time.Time) error {
	due := p.Schedule.Last(now)
	last, err := p.Outbox.DigestDay()
	if err != nil || last >= p.Schedule.day(due) {
		return err
	}
	if late := now.Sub(due); late >= MaxLate {
		p.logger().Warn("daily digest missed while the bot was down; skipping it as too late",
			"day", p.Schedule.day(due), "late", late.Round(time.Minute).String())
		return nil
	}
	return p.Post(ctx, due, now)
}

func (p *Poster) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}

// Start catches up on a missed digest, then queues one every day at the
// schedule's time with a gocron daily job, until ctx ends or stop is
// called. clock is the scheduler's clock (nil: the real one); tests pass a
// fake.
func (p *Poster) Start(ctx context.Context, clock clockwork.Clock) (stop func() error, err error) {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if err := p.CatchUp(ctx, clock.Now()); err != nil {
		p.logger().Error("catching up on the daily digest", "error", err)
	}
	s, err := gocron.NewScheduler(gocron.WithLocation(p.Schedule.Location), gocron.WithClock(clock))
	if err != nil {
		return nil, fmt.Errorf("daily digest scheduler: %w", err)
	}
	_, err = s.NewJob(
		gocron.DailyJob(1, gocron.NewAtTimes(gocron.NewAtTime(uint(p.Schedule.Hour), uint(p.Schedule.Minute), 0))),
		gocron.NewTask(func() {
			now := clock.Now()
			if err := p.Post(ctx, p.Schedule.Last(now), now); err != nil {
				p.logger().Error("queueing the daily digest", "error", err)
			}
		}),
		gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithContext(ctx),
		gocron.WithName("daily digest"),
	)
	if err != nil {
		s.Shutdown()
		return nil, fmt.Errorf("daily digest scheduler: %w", err)
	}
	s.Start()
	return s.Shutdown, nil
}

// Show is /digest: the digest as of now, for the asker alone.
func (b *Builder) Show(now func() time.Time) func() []render.Message {
	return func() []render.Message {
		m, err := b.Digest(now())
		if err != nil {
			return []render.Message{render.DigestUnavailable(err)}
		}
		return []render.Message{m}
	}
}

package poll

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
	"github.com/resellerbot/resellerbot/store"
)

type pollerFixture struct {
	api    *omnitest.Server
	store  *store.Store
	path   string
	client *omni.Client
}

func newPollerFixture(t *testing.T) *pollerFixture {
	t.Helper()
	api := omnitest.NewServer(nil)
	t.Cleanup(api.Close)
	client, err := omni.NewClient(api.URL, omnitest.DefaultAPIKey, omni.WithRetry(1, time.Millisecond, time.Millisecond),
		omni.WithTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	f := &pollerFixture{api: api, client: client, path: filepath.Join(t.TempDir(), "bot.db")}
	f.reopen(t)
	return f
}

// reopen closes and reopens the store, as a restart would.
func (f *pollerFixture) reopen(t *testing.T) {
	t.Helper()
	if f.store != nil {
		f.store.Close()
	}
	st, err := store.Open(f.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.store = st
	t.Cleanup(func() { st.Close() })
}

func (f *pollerFixture) poller() *Poller {
	rules := alerts.DefaultRules()
	rules.FailuresBeforeNotice = 2
	return New(Config{Fetcher: f.client, Store: f.store, Rules: rules, Logger: slog.New(slog.DiscardHandler)})
}

func kinds(events []alerts.Event) []alerts.Kind {
	var ks []alerts.Kind
	for _, e := range events {
		ks = append(ks, e.Kind)
	}
	return ks
}

func TestPollerStoresEachPollOnce(t *testing.T) {
	f := newPollerFixture(t)
	p := f.poller()
	ctx := context.Background()

	res, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(res.Events); len(got) != 1 || got[0] != alerts.LowBalance {
		t.Fatalf("first poll: %v, want only the low balance (a baseline)", got)
	}
	if n, _ := f.store.OutboxLen(); n != 1 || len(res.MessageIDs) != 1 {
		t.Errorf("outbox holds %d, result says %d", n, len(res.MessageIDs))
	}

	t.Run("an unchanged poll announces nothing", func(t *testing.T) {
		res, err := p.Poll(ctx)
		if err != nil || len(res.Events) != 0 || res.ChangedOrgs != 0 {
			t.Errorf("%v, %v, %d changed", kinds(res.Events), err, res.ChangedOrgs)
		}
	})
	t.Run("a restart neither repeats nor forgets", func(t *testing.T) {
		f.reopen(t)
		p := f.poller()
		f.api.AddUser(4001, omnitest.User{ID: 77, Name: "New", Email: "new@x.example"})
		res, err := p.Poll(ctx)
		if got := kinds(res.Events); err != nil || len(got) != 1 || got[0] != alerts.NewUser {
			t.Errorf("after a restart: %v, %v", got, err)
		}
	})
}

func TestAFailedPollIsNeverDiffed(t *testing.T) {
	f := newPollerFixture(t)
	p := f.poller()
	ctx := context.Background()
	if _, err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	faults := []omnitest.Fault{
		{Status: http.StatusInternalServerError},
		{Status: http.StatusOK, Body: []byte(`{"success": true, "organizations": [`)},
		{Status: http.StatusOK, Body: []byte(`{"success": false, "error": "maintenance"}`)},
		{Status: http.StatusOK, Body: []byte(`<html>oops</html>`), ContentType: "text/html"},
	}
	var events []alerts.Event
	for _, fault := range faults {
		fault.Times = 1
		f.api.Fail(fault)
		res, err := p.Poll(ctx)
		if err == nil {
			t.Fatalf("fault %+v did not fail the poll", fault)
		}
		events = append(events, res.Events...)
	}
	if got := kinds(events); len(got) != 1 || got[0] != alerts.APIOutage {
		t.Errorf("events during the outage: %v, want one outage notice", got)
	}
	res, err := p.Poll(ctx)
	if got := kinds(res.Events); err != nil || len(got) != 1 || got[0] != alerts.APIRecovered {
		t.Errorf("after the outage: %v, %v, want only the recovery", got, err)
	}
	latest, _ := f.store.Latest()
	if len(latest.Orgs) != 2 {
		t.Errorf("the stored snapshot has %d orgs", len(latest.Orgs))
	}
}

func TestPollOnceAndDryRunStoreNothingOnFailure(t *testing.T) {
	f := newPollerFixture(t)
	p := f.poller()
	ctx := context.Background()
	f.api.Fail(omnitest.Fault{Status: http.StatusBadGateway, Times: 1})
	if _, err := p.PollOnce(ctx); err == nil {
		t.Fatal("PollOnce succeeded against a 502")
	}
	if st, _ := f.store.State(); st != nil {
		t.Errorf("a failed one-off poll stored state %s", st)
	}
	res, err := p.DryRun(ctx)
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("dry run: %v, %v", kinds(res.Events), err)
	}
	if _, err := f.store.Latest(); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a dry run stored a snapshot: %v", err)
	}
	if n, _ := f.store.OutboxLen(); n != 0 {
		t.Errorf("a dry run queued %d messages", n)
	}
}

func TestAnAbandonedPollIsNotAFailure(t *testing.T) {
	f := newPollerFixture(t)
	p := f.poller()
	f.api.Fail(omnitest.Fault{Hang: true})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(50 * time.Millisecond)
		cancel()
	}()
	if _, err := p.Poll(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Poll = %v, want context.Canceled", err)
	}
	if st, _ := f.store.State(); st != nil {
		t.Errorf("an abandoned poll stored state %s", st)
	}
}

func TestChangesWhileAMassRemovalIsHeldAreAnnounced(t *testing.T) {
	f := newPollerFixture(t)
	p := f.poller()
	ctx := context.Background()
	f.api.AddOrg(omnitest.Org{ID: 5001, Name: "Gamma", CostPerMin: 0.1, Balance: 1000, CurrencySymbol: "$",
		Users: []omnitest.User{{ID: 501, Name: "Gus", Email: "gus@gamma.example", IsActive: true}}})
	f.api.AddOrg(omnitest.Org{ID: 5002, Name: "Delta", CostPerMin: 0.1, Balance: 1000, CurrencySymbol: "$",
		Users: []omnitest.User{{ID: 502, Name: "Dee", Email: "dee@delta.example", IsActive: true}}})
	if _, err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	full := f.api.Snapshot()

	// The vendor answers with one org of four: the removals are held.
	f.api.Update(func(pl *omnitest.Payload) { pl.Orgs = pl.Orgs[1:2] })
	res, err := p.Poll(ctx)
	if got := kinds(res.Events); err != nil || len(got) != 1 || got[0] != alerts.MassRemovalHeld {
		t.Fatalf("on the partial poll: %v, %v", got, err)
	}

	// The orgs come back, changed while they were missing.
	f.api.Update(func(pl *omnitest.Payload) { pl.Orgs = full.Clone().Orgs })
	f.api.AddUser(5001, omnitest.User{ID: 503, Name: "Gail", Email: "gail@gamma.example", IsActive: true})
	f.api.SetCostPerMin(5002, 0.2)
	f.api.SetFlag(4001, 1110, "is_bots_menu_access", false)
	res, err = p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := kinds(res.Events)
	want := []alerts.Kind{alerts.PermissionChange, alerts.NewUser, alerts.LimitsChanged}
	if !slices.Equal(got, want) {
		t.Errorf("after the orgs came back: %v, want %v", got, want)
	}
}

func TestALongRetryAfterPausesMonitoringVisibly(t *testing.T) {
	f := newPollerFixture(t)
	now := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	rules := alerts.DefaultRules()
	rules.FailuresBeforeNotice = 3
	p := New(Config{Fetcher: f.client, Store: f.store, Rules: rules, Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return now }, MaxRetryAfter: 15 * time.Minute})
	ctx := context.Background()
	if _, err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	f.api.Fail(omnitest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "604800", Times: 1})
	var events []alerts.Event
	for i := range 3 {
		now = now.Add(5 * time.Minute)
		res, err := p.Poll(ctx)
		if err == nil {
			t.Fatalf("poll %d during the wait succeeded", i+1)
		}
		if i > 0 && (!res.Skipped || !errors.Is(err, ErrWaiting)) {
			t.Errorf("poll %d: skipped %v, error %v; want a skip that counts as a failure", i+1, res.Skipped, err)
		}
		events = append(events, res.Events...)
	}
	if got := kinds(events); len(got) != 1 || got[0] != alerts.APIOutage {
		t.Fatalf("after a 429 and two skipped polls: %v, want one outage notice", got)
	}
	if !strings.Contains(events[0].Detail, "HTTP 429") {
		t.Errorf("the notice does not say why: %q", events[0].Detail)
	}
	requests := f.api.Requests()

	t.Run("the API is asked again after the cap, not after a week", func(t *testing.T) {
		now = now.Add(10 * time.Minute)
		res, err := p.Poll(ctx)
		if err != nil || res.Skipped || f.api.Requests() == requests {
			t.Fatalf("16 minutes after the 429: skipped %v, error %v, requests %d → %d", res.Skipped, err, requests, f.api.Requests())
		}
		if got := kinds(res.Events); len(got) != 1 || got[0] != alerts.APIRecovered {
			t.Errorf("on asking again: %v, want the recovery", got)
		}
	})
}

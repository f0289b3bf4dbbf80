package render_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/bot/render"
	"github.com/resellerbot/resellerbot/bot/render/rendertest"
)

func TestADigestKeepsEachOrgsLinesTogether(t *testing.T) {
	events := rendertest.Burst(30)
	// Shuffle orgs: the plan must regroup them.
	events[0], events[29] = events[29], events[0]
	batches := render.Batches(events, now)
	if len(batches) != 1 {
		t.Fatalf("%d batches", len(batches))
	}
	plain := batches[0].Render(now).Plain
	for i := range 10 {
		name := fmt.Sprintf("Customer Org %04d Ltd", i)
		if n := strings.Count(plain, name); n != 1 {
			t.Errorf("%s is named %d times in the digest, want once:\n%s", name, n, plain)
		}
	}
}

func BenchmarkRenderDigest(b *testing.B) {
	batches := render.Batches(rendertest.Burst(1000), now)
	b.ReportAllocs()
	for b.Loop() {
		for i := range batches {
			batches[i].Render(now)
		}
	}
	b.ReportMetric(float64(len(batches)), "messages")
}

// TestADigestKeepsOrgsWithoutAnIDApartAndNamed: an org the API listed with
// id 0 is not reseller-wide, and two such orgs are not one: each is named
// over its own lines, and the reseller-wide event has no heading.
func TestADigestKeepsOrgsWithoutAnIDApartAndNamed(t *testing.T) {
	events := rendertest.Burst(6)
	scope := alerts.Event{Kind: alerts.ScopeChanged, At: now,
		Changes: []alerts.Change{{Field: "is_bulk_call_access", Old: "off", New: "on"}}}
	zeroA, zeroB := events[0], events[3]
	zeroA.Org = rendertest.Org(0, "Zero Alpha Ltd")
	zeroB.Org = rendertest.Org(0, "Zero Beta Ltd")
	// Interleaved, as an engine sorting by id alone would leave them.
	events = append([]alerts.Event{zeroA, scope, zeroB, zeroA}, events...)
	batches := render.Batches(events, now)
	if len(batches) != 1 {
		t.Fatalf("%d batches", len(batches))
	}
	plain := batches[0].Render(now).Plain
	for _, name := range []string{"Zero Alpha Ltd", "Zero Beta Ltd"} {
		if n := strings.Count(plain, name); n != 1 {
			t.Errorf("%s is named %d times in the digest, want once over its lines:\n%s", name, n, plain)
		}
	}
	if !strings.Contains(plain, "Zero Alpha Ltd (0)\n⚠️ Low balance: $0.00 left, no calls left\n⚠️ Low balance: $0.00 left, no calls left\n \n") {
		t.Errorf("Zero Alpha Ltd's two alerts are not together under its name:\n%s", plain)
	}
	if !strings.HasPrefix(plain[strings.Index(plain, "\n1 scope change"):], "\n1 scope change, 5 low balance, 2 new users, 2 permission changes\n🔐 Reseller scope changed") {
		t.Errorf("the reseller-wide event does not come first, under no org's name:\n%s", plain)
	}
}

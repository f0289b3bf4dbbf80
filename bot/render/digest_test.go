package render_test

import (
	"fmt"
	"strings"
	"testing"

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

package omni_test

import (
	"bytes"
	"testing"

	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// BenchmarkDecodeStd5000x10 is BenchmarkDecode5000x10 with decodeStd, the
// encoding/json decoder Decode replaced, for the ratio between the two.
func BenchmarkDecodeStd5000x10(b *testing.B) {
	body := omnitest.Synthetic(benchOrgs, benchUsersPerOrg, benchSeed).AppendJSON(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		snap, err := decodeStd(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Orgs) != benchOrgs {
			b.Fatalf("%d orgs, want %d", len(snap.Orgs), benchOrgs)
		}
	}
}

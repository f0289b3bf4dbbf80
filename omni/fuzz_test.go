package omni_test

import (
	"testing"
)

// FuzzDecode holds Decode to decodeStd on any input: Decode never panics,
// every error is an *omni.APIError of kind ErrMalformed or ErrVendor, and
// Decode succeeds exactly when decodeStd does, with an equal snapshot (see
// compareDecoders for the one deliberate difference).
//
// The seed corpus is quirkBodies plus testdata/fuzz/FuzzDecode: the
// vendor's fixture, a small synthetic payload, truncations and garbage.
// Inputs the fuzzer found worth keeping are kept there too.
func FuzzDecode(f *testing.F) {
	for _, b := range quirkBodies() {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareDecoders(t, data)
	})
}

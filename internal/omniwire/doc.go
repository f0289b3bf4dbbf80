// Package omniwire is the reseller payload as encoding/json types: the
// tolerant wire types omni decoded with before its streaming decoder, kept
// as the reference that decoder is held to and as what other JSON libraries
// decode in the benchmarks of bench/decoders.
//
// It is for tests and benchmarks only: the bot decodes with omni.Decode. It
// sits under internal/ because nothing outside this repository should use
// it; bench/decoders, a module of its own, may still import it, since Go
// decides by import path, and its path lies under the repository's root.
//
// A field the vendor adds is one field here (in Org, say), one line in the
// conversion to omni's types beside it, one entry in omni's decoder, and one
// in the fake (omni/omnitest) and in the store's record codec.
package omniwire

// Package decoders compares JSON decoders on the reseller payload: the
// hand-written streaming decoder that omni.Decode is, encoding/json (what
// omni used before), github.com/goccy/go-json, github.com/bytedance/sonic
// and, under GOEXPERIMENT=jsonv2, encoding/json/v2.
//
// It is a module of its own so that the libraries it compares never enter
// the bot's go.mod. Everything is in the benchmarks (go test -bench .);
// this file holds the types they decode into.
//
// Two shapes are decoded with each library:
//
//   - wire: the tolerant wire types omni used with encoding/json (phone
//     false or a string, dates without a zone, numbers as strings, …),
//     internal/omniwire's, which need the library to call UnmarshalJSON
//     methods, converted to an omni.Snapshot. This gives the same Snapshot
//     as omni.Decode, which the tests check, so it is the fair comparison.
//   - plain: plain Go types the library decodes natively (any for the
//     fields whose JSON type varies, map[string]bool for the menus), with
//     no conversion. It is not equivalent (it tolerates nothing and keeps
//     strings as they come) and only shows the library's best case on this
//     payload.
package decoders

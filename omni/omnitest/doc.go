// Package omnitest is a fake of OmniDimension's reseller endpoint,
// GET {base_url}/reseller/organizations, for tests, benchmarks and the demo
// command.
//
// It is a real HTTP peer (built on net/http/httptest) that serves the real
// payload shape with the vendor's quirks: phone is false or a string,
// timestamps are nullable and carry no zone, access_level is false or a
// string or number, money is a JSON number, unknown fields come and go, and
// child orgs may carry a plaintext api_key. Tests mutate the state between
// polls (balances, users, menu flags) and queue faults (error statuses,
// Retry-After, delays, hangs, truncated bodies) to drive a client through
// every path it must handle.
//
// The wire model (Payload, Reseller, Org, User) mirrors the vendor JSON
// field for field. Each type lists its members once (codec.go), and that
// list both writes the JSON, with hand-written appends because benchmarks
// serve thousands of orgs on every poll, and reads it back losslessly.
package omnitest

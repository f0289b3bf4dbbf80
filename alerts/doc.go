// Package alerts decides what support staff must be told. It compares the
// previous snapshot of a reseller with the current one, under the alert state
// carried from earlier polls, and returns the events to announce and the new
// state.
//
// The package is pure: no I/O, no clock, no randomness. Callers pass the time
// of the poll, persist the returned State, and deliver the returned events.
// Given the same inputs it returns the same events in the same order.
package alerts

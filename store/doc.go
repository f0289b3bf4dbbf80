// Package store keeps resellerbot's state in one bbolt file: the latest
// snapshot of the reseller, a bounded history of earlier ones, the alert
// state, and the outbox of messages not yet delivered.
//
// Everything one poll changes is written in one transaction, so a crash
// leaves either the whole poll or none of it. The alert state and outbox
// messages are opaque bytes to this package: it remembers, others decide.
package store

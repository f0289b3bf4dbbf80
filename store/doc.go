// Package store keeps resellerbot's state in one bbolt file: the latest
// snapshot of the reseller, a bounded history of earlier ones, the alert
// state, the outbox of messages not yet delivered (and those parked after
// Slack kept refusing them), the daily digest's marker and poll counts
// (daily.go), the balance history's series (trend.go), and the
// confirmations and audit log of actions taken from Slack (actions.go).
//
// Everything one poll changes is written in one transaction, so a crash
// leaves either the whole poll or none of it. The alert state and outbox
// messages are opaque bytes to this package: it remembers, others decide.
package store

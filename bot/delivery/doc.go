// Package delivery turns a poll's alerts into outbox messages and delivers
// them: Plan renders them (package render) for the store to queue in the
// poll's own transaction, and a Deliverer drains the outbox in order, at
// least once, through a Sender such as Slack or the console, honouring rate
// limits, backing off on failures, and looking before it posts again what a
// crash may have delivered already. A message the receiver keeps refusing
// for itself, not for the channel, never holds up the others: sent as plain
// text, out of its thread, or at last parked in the store, to be tried again
// at the next start.
package delivery

// Package delivery turns a poll's alerts into outbox messages and delivers
// them: Plan renders them (package render) for the store to queue in the
// poll's own transaction, and a Deliverer drains the outbox in order, at
// least once, through a Sender such as Slack or the console, honouring rate
// limits, backing off on failures, and looking before it posts again what a
// crash may have delivered already. A message the receiver keeps refusing
// for itself, not for the channel, never holds up the others: sent as plain
// text, out of its thread, or at last parked in the store, to be tried again
// at the next start.
//
// Alerts with a beginning and an end are episodes (alerts.Event.Episode):
// PlanEpisodes and PlanRouted give each one message, whose receipt the
// store's episode record learns when it is delivered; reminders and the end
// go to its thread, and the Deliverer edits the message (an Editor) from the
// record after the outbox is empty, paced within chat.update's rate tier and
// coalesced, one edit per episode however often it changed. A message that
// can no longer be edited or replied to is replaced by a new one. PlanRouted
// also routes alerts to channels, each with its own digests and episodes.
package delivery

// Package render writes everything the bot shows: alert cards and digests,
// the message of an alert episode (its latest state, with its snooze menu
// and ack button, whose action_ids are a stable contract), and the answers
// to /orgs, /org and /snoozes. Each is built once as a small model of a
// Slack message and written out twice, as Block Kit for Slack and as plain
// text for the console, within Slack's limits. Text that came from the API is
// escaped on the way out, so an org named "<!channel>" pings nobody.
//
// The package does no I/O and keeps no state: callers hand it the events,
// snapshot and clock reading a message is about.
package render

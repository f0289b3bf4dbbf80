// Command resellerbot is a Slack chat-ops bot for OmniDimension resellers:
// it answers /orgs and /org from the latest poll of the reseller API and
// posts low-balance, new-user and permission-change alerts to a channel,
// and lets the people allowed act on them from Slack. It only parses
// subcommands and wires the packages together; see ARCHITECTURE.md.
//
// Usage:
//
//	resellerbot demo                              # no tokens needed
//	resellerbot run   --config FILE               # the bot
//	resellerbot poll  --config FILE [--dry-run] [--json]
//	resellerbot check --config FILE
//	resellerbot audit --config FILE [--json]
//	resellerbot version
package main

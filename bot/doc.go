// Package bot is the bot's side of Slack: the socket-mode App that answers
// slash commands through package commands and routes button clicks by
// action_id; Episodes, which does what the buttons on an alert episode's
// message do (snooze, ack) and answers /snoozes and /unsnooze; the
// SlackSender that posts, edits and finds alert messages for package
// delivery; and the Console that stands in for all of them in the demo,
// where typed "snooze beta 1d" or "ack 4002" do what the buttons do.
// Polling, rendering and delivery live in the packages below it.
package bot

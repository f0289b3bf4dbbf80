// Package bot is the bot's side of Slack: the socket-mode App that answers
// slash commands (and, in time, button clicks) through package commands,
// the SlackSender that posts and finds alert messages for package delivery,
// and the Console that stands in for both in the demo. Polling, rendering
// and delivery live in the packages below it.
package bot

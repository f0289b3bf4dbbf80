// Package slacktest provides a fake Slack — Web API plus Socket Mode — for
// tests, in the spirit of net/http/httptest.
//
// NewServer starts a local HTTP server that the real slack-go clients talk
// to without modification:
//
//	s := slacktest.NewServer()
//	defer s.Close()
//	api := slack.New(s.BotToken(),
//		slack.OptionAPIURL(s.APIURL()),
//		slack.OptionAppLevelToken(s.AppToken()))
//	client := socketmode.New(api)
//	go client.RunContext(ctx) // and drain client.Events
//
// The server answers the Web API methods the bot uses (auth.test,
// apps.connections.open, chat.postMessage, chat.postEphemeral, chat.update,
// chat.delete, conversations.info, conversations.join, conversations.history,
// conversations.replies), checks tokens the way Slack does, enforces Slack's
// message limits so tests catch violations, records every call and accepted
// message (with its metadata, which the history methods give back), and
// serves a Socket Mode WebSocket that sends hello, pings regularly and
// delivers slash-command envelopes (see Server.SlashCommand).
//
// Faults (rate limits, Slack errors, HTTP errors, dropped sockets, requested
// disconnects) can be injected to exercise the bot's error handling, and
// OnMessage lets a test act between Slack accepting a message and the
// sender hearing of it.
//
// Everything is safe for concurrent use.
package slacktest

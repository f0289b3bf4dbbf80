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
// It checks tokens the way Slack does, enforces Slack's limits so tests
// catch what the real Slack would refuse, records every call, and keeps
// what the bot made for tests to assert on:
//
//   - Messages (chat.postMessage, chat.postEphemeral, chat.update,
//     chat.delete, chat.scheduleMessage): thread replies, with
//     reply_broadcast showing in the channel too; every edit, with the
//     versions it replaced (Message.History); deletion, after which
//     updates fail with message_not_found and replies with
//     thread_not_found, as on Slack. conversations.history and
//     conversations.replies read them back, metadata included; Thread and
//     Messages return them to the test.
//   - Users (users.info): WithUsers and SetUser declare members, bots and
//     guests (is_restricted, is_ultra_restricted); unknown IDs are
//     user_not_found, and UserInfoCalls counts lookups so a cache can be
//     tested.
//   - Views: views.open (only with a trigger_id the fake issued, once,
//     within TriggerLifetime), views.update and views.publish (a Home tab
//     per user), each checked for Slack's shape and 100-block limit; see
//     Views and HomeView.
//   - Files: the external upload flow slack-go's UploadFileContext drives
//     (files.getUploadURLExternal, the POST to the upload_url,
//     files.completeUploadExternal), which keeps the bytes (Files) and
//     shares the file in the channel as a message with files.
//
// Over Socket Mode the server says hello, pings regularly, and delivers
// what users do, each as Slack's envelope, waiting for the bot's ack:
// SlashCommand, BlockAction (a click on a button, select or overflow of a
// message or view, with a response_url the fake serves and a trigger_id),
// ViewSubmission (a modal submitted, whose ack's response_action acts on
// the modal) and AppHomeOpened (an events_api event). An envelope whose
// socket dies unacknowledged is redelivered, and Redeliver sends one again
// as Slack may, so tests can check that a duplicate acts once; Unacked
// lists those never acknowledged, and Delivery.AckedInTime tells whether
// an ack beat Slack's 3-second deadline. A response_url POST replaces or
// deletes the message clicked, posts for everyone (in a thread), or
// answers the user alone, as its fields say.
//
// Faults can be injected to exercise the bot's error handling: rate limits
// with Retry-After (RateLimit, or RateLimitChannel for one channel), Slack
// errors for a method (FailMethod) or for one channel or message
// (FailMessage: cant_update_message, thread_locked and the like), HTTP
// errors, dropped sockets and requested disconnects. OnMessage lets a test
// act between Slack accepting a message and the sender hearing of it.
//
// Everything is safe for concurrent use.
package slacktest

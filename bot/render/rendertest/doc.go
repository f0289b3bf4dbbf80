// Package rendertest holds what the tests of packages that render or carry
// messages share: a check that a message is within Slack's limits and
// pings nobody, and sample data to render. It is imported only by tests.
package rendertest

// Package chart draws the bot's PNG charts from balance history: the
// reseller's total balance with its spend per day, and one org's balance
// with its top-ups marked.
//
// The charts are meant for a phone in Slack: large type, two series at
// most, money on the axes with the currency symbol, dates in the reader's
// time zone. Each function returns the PNG's bytes, ready to upload, or
// ErrNoData when the history is too short to draw anything worth showing.
package chart

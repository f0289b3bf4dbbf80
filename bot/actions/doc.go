// Package actions lets the people allowed change things at the vendor from
// Slack: top up and revert an org's credit, set its concurrency, switch a
// user's menus and set their expiry. Each change is previewed, happens only
// on a confirm click, happens at most once however often the click or its
// envelope arrives, and is audited. A money call whose answer was lost is
// looked up in the vendor's credit logs rather than retried.
package actions

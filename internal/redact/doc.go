// Package redact removes secrets from text before it leaves the process: log
// lines, error messages, the outage notice, /readyz and command output.
//
// A secret is replaced wherever it stands, written out as it is or with some
// of its characters escaped as a JSON or HTML encoder writes them
// ("omni\/sk…", "\u002b", "&#x2F;"), since the text redacted is often a
// response that echoed the secret back.
package redact

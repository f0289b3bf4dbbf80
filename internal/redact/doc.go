// Package redact removes secrets from text before it leaves the process: log
// lines, error messages, the outage notice, /readyz and command output.
package redact

// Package omni talks to OmniDimension's reseller API. Its main endpoint,
// GET {base_url}/reseller/organizations, lists every child organization of
// a reseller with its balance, limits and users; the others move credit
// (Transfer, Revert, previewed by PreviewTransfer and PreviewRevert, and
// recorded in CreditLogs), set limits, menus and expiry dates, and add
// users.
//
// The package decodes the vendor's payload tolerantly (phone may be false,
// timestamps come without a zone, fields appear without notice) into a
// Snapshot that holds no credentials, and reports failures as errors a caller
// can tell apart with errors.Is and errors.As. A call that moves money is
// never sent twice: when its outcome is uncertain it fails with
// ErrOutcomeUnknown, for the caller to reconcile against the credit logs.
//
// Decode is a streaming decoder written for this payload: scan.go and
// scanstr.go tokenize, fields.go lists each object's fields, objects.go and
// response.go read the objects, loose.go and time.go the fields' values. A
// field the vendor adds is a name in fields.go and a case in objects.go;
// the reference decoder the tests hold Decode to reads it through
// internal/omniwire.
package omni

// Package poll runs the bot's poll cycle: fetch the reseller from the
// vendor, evaluate it with package alerts against the stored snapshot and
// alert state, and commit the snapshot, the new state and the planned
// messages to the store in one transaction, before anything is posted.
//
// A failed fetch is never diffed: it counts toward an outage notice, so an
// outage can never look like every org was removed. A 429's Retry-After is
// honoured up to a cap, and polls skipped for it count as failures. Orgs
// that return after a held mass removal are compared with the last poll
// that had them (alerts.Baseline). The spend over the burn window is kept
// in memory between polls and rebuilt from the store's history at start.
package poll

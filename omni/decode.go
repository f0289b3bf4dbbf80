package omni

import "io"

// Decode reads one response body of GET /reseller/organizations from r and
// returns it as a normalized Snapshot (PolledAt left zero).
//
// It reads the stream through a 64 KiB buffer straight into the Snapshot, so
// memory never holds the whole body. It tolerates the payload's quirks: phone
// false or a string, timestamps without a zone (read as UTC) or null,
// access_level false, a string or a number, numbers sent as strings, and
// unknown fields, which are skipped. Fields that hold credentials are never
// decoded.
//
// A body with "success": false yields an *APIError of kind ErrVendor; any
// other body that is not the documented JSON yields kind ErrMalformed. When
// r fails, the error wraps r's error.
//
// An org without an id (0, null, "" or missing) is left out and named in
// Snapshot.Unidentified.
func Decode(r io.Reader) (*Snapshot, error) {
	snap, err := decodeFast(r)
	if err != nil {
		return nil, err
	}
	// The decoder skips Normalize for a list already in order, which an
	// id-less org at its head would pass for.
	snap.dropUnidentified()
	return snap, nil
}

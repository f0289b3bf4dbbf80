package omni

import (
	"errors"
	"io"
)

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

// decodeFast is Decode: a decoder written for this one payload, on top of
// scanner. It reads the body once, in order, straight into a Snapshot,
// allocating only what the Snapshot keeps, and accepts exactly what
// decodeStd (the encoding/json decoder it replaced, kept in
// decode_std_test.go as the reference the fuzzer holds it to) accepts, with
// the same result, including encoding/json's own rules: keys matched to
// fields case-insensitively, the last of repeated keys winning, null leaving
// a value as it was, nesting limited to maxDepth per value.
//
// Two differences are deliberate. Strings are always cleaned of invalid
// UTF-8 (each bad byte becomes U+FFFD, as encoding/json does), while
// decodeStd kept the bytes of a string without escapes as they came. And a
// repeated "users" key replaces the earlier array, where encoding/json
// merges the two element by element.
func decodeFast(r io.Reader) (*Snapshot, error) {
	d := &decoder{s: scanner{r: r, buf: make([]byte, scanBufSize)}}
	snap, err := d.top()
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			return nil, err
		}
		return nil, &APIError{Kind: ErrMalformed, Err: err}
	}
	return snap, nil
}

type decoder struct {
	s scanner
	// Hints: the field each object type most likely has next, so that a
	// key in the vendor's usual order costs one comparison.
	resellerHint, orgHint, userHint, flagHint, scopeHint int

	slab     []User // Org.Users are cut from here
	slabNext int
	intern   map[string]string
	key      []byte      // scratch: an unknown flag's key
	extra    []extraFlag // scratch: an object's unknown flags

	// While users decodes an array, the users' strings go to arena, and
	// fixups say where: one allocation for all the strings of an org's
	// users rather than one per string.
	arena  []byte
	fixups []fixup
	inArr  bool // users is decoding: strings go to the arena
	userAt int  // the index of the user being decoded
}

// fixup is a string of a user that waits in the arena: arena[off:off+n]
// goes to the field (userName, userEmail or userPhone) of users[user].
type fixup struct {
	user   int32
	field  uint8
	off, n int32
}

package omnitest

import (
	"bytes"
	"encoding/json"
)

// UnmarshalJSON decodes a vendor response into p, so that Fixture can read
// the example and tests can serve a recorded real payload. Decoding is
// lossless with respect to AppendJSON: unknown fields, known fields with an
// unexpected type or null, totals that disagree with the data, and known
// fields that are missing all land in the Extra maps (as values or as
// Omitted{}), so re-encoding yields the same JSON semantically. Numbers in
// Extra are kept as json.Number.
func (p *Payload) UnmarshalJSON(data []byte) error { return decode(data, p) }

// UnmarshalJSON decodes a "reseller_organization" object; see
// Payload.UnmarshalJSON.
func (r *Reseller) UnmarshalJSON(data []byte) error { return decode(data, r) }

// UnmarshalJSON decodes one element of "organizations"; see
// Payload.UnmarshalJSON.
func (o *Org) UnmarshalJSON(data []byte) error { return decode(data, o) }

// UnmarshalJSON decodes one element of an org's "users": phone false
// becomes "", null dates become "", access_level false becomes nil; see
// Payload.UnmarshalJSON.
func (u *User) UnmarshalJSON(data []byte) error { return decode(data, u) }

// decodeAny decodes a JSON value into any, keeping numbers as json.Number
// so that they re-encode exactly.
func decodeAny(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return json.RawMessage(append([]byte(nil), raw...))
	}
	return v
}

func isNumber(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}

// decNumber decodes a number, and refuses a string holding one.
func decNumber[T int | int64 | float64](raw []byte, dst *T) bool {
	return isNumber(raw) && json.Unmarshal(raw, dst) == nil
}

func decBool(raw []byte, dst *bool) bool {
	switch string(raw) {
	case "true":
		*dst = true
		return true
	case "false":
		*dst = false
		return true
	}
	return false
}

func decString(raw []byte, dst *string) bool {
	return len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, dst) == nil
}

// decNullString decodes a nullable string; "" is refused because it would
// re-encode as null.
func decNullString(raw []byte, dst *string) bool {
	if string(raw) == "null" {
		*dst = ""
		return true
	}
	return decString(raw, dst) && *dst != ""
}

// decJSON decodes an object or an array (open is '{' or '['), and leaves
// dst zero when it refuses one.
func decJSON[T any](raw []byte, open byte, dst *T) bool {
	if len(raw) == 0 || raw[0] != open {
		return false
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var zero T
		*dst = zero
		return false
	}
	return true
}

// decScope decodes {"dashboard_menu_access": {...}}; anything else is
// refused and kept whole as an override.
func decScope(raw []byte, dst *map[string]bool) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || len(fields) != 1 {
		return false
	}
	menus, ok := fields["dashboard_menu_access"]
	return ok && decJSON(menus, '{', dst)
}

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
func (p *Payload) UnmarshalJSON(data []byte) error {
	fields, err := splitObject(data)
	if err != nil || fields == nil {
		return err
	}
	var out Payload
	var d extraFields
	for k, raw := range fields {
		ok := true
		switch k {
		case "success":
			ok = decBool(raw, &out.Success)
		case "reseller_organization":
			ok = decObject(raw, &out.Reseller)
		case "organizations":
			ok = decArray(raw, &out.Orgs)
		case "reseller_access_control":
			ok = decAccessControl(raw, &out.ResellerMenus)
		case "total_organizations", "total_users_across_orgs":
			continue // checked below, once the data they count is known
		default:
			ok = false
		}
		if !ok {
			d.keep(k, raw)
		}
	}
	d.total(fields, "total_organizations", len(out.Orgs))
	d.total(fields, "total_users_across_orgs", out.UserCount())
	for _, k := range [...]string{"success", "reseller_organization", "organizations",
		"total_organizations", "total_users_across_orgs", "reseller_access_control"} {
		d.omitMissing(fields, k)
	}
	out.Extra = d.m
	*p = out
	return nil
}

// UnmarshalJSON decodes a "reseller_organization" object; see
// Payload.UnmarshalJSON.
func (r *Reseller) UnmarshalJSON(data []byte) error {
	fields, err := splitObject(data)
	if err != nil || fields == nil {
		return err
	}
	var out Reseller
	var d extraFields
	for k, raw := range fields {
		ok := true
		switch k {
		case "id":
			ok = decInt64(raw, &out.ID)
		case "name":
			ok = decString(raw, &out.Name)
		case "concurrent_call_limit":
			ok = decInt(raw, &out.ConcurrentCallLimit)
		default:
			ok = false
		}
		if !ok {
			d.keep(k, raw)
		}
	}
	for _, k := range [...]string{"id", "name", "concurrent_call_limit"} {
		d.omitMissing(fields, k)
	}
	out.Extra = d.m
	*r = out
	return nil
}

// UnmarshalJSON decodes one element of "organizations"; see
// Payload.UnmarshalJSON.
func (o *Org) UnmarshalJSON(data []byte) error {
	fields, err := splitObject(data)
	if err != nil || fields == nil {
		return err
	}
	var out Org
	var d extraFields
	for k, raw := range fields {
		ok := true
		switch k {
		case "id":
			ok = decInt64(raw, &out.ID)
		case "name":
			ok = decString(raw, &out.Name)
		case "cost_per_min":
			ok = decFloat(raw, &out.CostPerMin)
		case "org_balance":
			ok = decFloat(raw, &out.Balance)
		case "reseller_org_balance_currency_symbol":
			ok = decString(raw, &out.CurrencySymbol)
		case "concurrent_call_limit":
			ok = decInt(raw, &out.ConcurrentCallLimit)
		case "org_user_currency_symbol":
			ok = decString(raw, &out.UserCurrencySymbol)
		case "timezone":
			ok = decString(raw, &out.Timezone)
		case "created_date":
			ok = decNullString(raw, &out.CreatedDate)
		case "api_key":
			ok = decString(raw, &out.APIKey) && out.APIKey != ""
		case "users":
			ok = decArray(raw, &out.Users)
		case "total_users":
			continue
		default:
			ok = false
		}
		if !ok {
			d.keep(k, raw)
		}
	}
	d.total(fields, "total_users", len(out.Users))
	for _, k := range [...]string{"id", "name", "cost_per_min", "org_balance",
		"reseller_org_balance_currency_symbol", "concurrent_call_limit",
		"org_user_currency_symbol", "timezone", "created_date", "total_users", "users"} {
		d.omitMissing(fields, k)
	}
	out.Extra = d.m
	*o = out
	return nil
}

// UnmarshalJSON decodes one element of an org's "users": phone false
// becomes "", null dates become "", access_level false becomes nil; see
// Payload.UnmarshalJSON.
func (u *User) UnmarshalJSON(data []byte) error {
	fields, err := splitObject(data)
	if err != nil || fields == nil {
		return err
	}
	var out User
	var d extraFields
	for k, raw := range fields {
		ok := true
		switch k {
		case "id":
			ok = decInt64(raw, &out.ID)
		case "name":
			ok = decString(raw, &out.Name)
		case "email":
			ok = decString(raw, &out.Email)
		case "phone":
			if string(raw) != "false" {
				ok = decString(raw, &out.Phone) && out.Phone != ""
			}
		case "login_date":
			ok = decNullString(raw, &out.LoginDate)
		case "is_active":
			ok = decBool(raw, &out.IsActive)
		case "expiry_date":
			ok = decNullString(raw, &out.ExpiryDate)
		case "access_level":
			switch string(raw) {
			case "false":
			case "null":
				ok = false
			default:
				out.AccessLevel = decodeAny(raw)
			}
		case "dashboard_menu_access":
			ok = decMenus(raw, &out.Menus)
		default:
			ok = false
		}
		if !ok {
			d.keep(k, raw)
		}
	}
	for _, k := range [...]string{"id", "name", "email", "phone", "login_date",
		"is_active", "expiry_date", "access_level", "dashboard_menu_access"} {
		d.omitMissing(fields, k)
	}
	out.Extra = d.m
	*u = out
	return nil
}

// extraFields collects what a decoder could not map to a typed field.
type extraFields struct{ m map[string]any }

func (d *extraFields) set(k string, v any) {
	if d.m == nil {
		d.m = make(map[string]any)
	}
	d.m[k] = v
}

// keep stores a raw member as an Extra value.
func (d *extraFields) keep(k string, raw json.RawMessage) { d.set(k, decodeAny(raw)) }

// omitMissing records that the known field k was absent.
func (d *extraFields) omitMissing(fields map[string]json.RawMessage, k string) {
	if _, ok := fields[k]; !ok {
		d.set(k, Omitted{})
	}
}

// total keeps a count the vendor sent when it disagrees with the data,
// since the encoder would otherwise compute the consistent value.
func (d *extraFields) total(fields map[string]json.RawMessage, k string, want int) {
	raw, ok := fields[k]
	if !ok {
		return
	}
	var n int
	if !decInt(raw, &n) || n != want {
		d.keep(k, raw)
	}
}

// splitObject splits a JSON object into its members; null gives nil.
func splitObject(data []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	return fields, nil
}

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

func decInt64(raw []byte, dst *int64) bool {
	return isNumber(raw) && json.Unmarshal(raw, dst) == nil
}

func decInt(raw []byte, dst *int) bool {
	return isNumber(raw) && json.Unmarshal(raw, dst) == nil
}

func decFloat(raw []byte, dst *float64) bool {
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

func decObject[T any](raw []byte, dst *T) bool {
	return len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, dst) == nil
}

func decArray[T any](raw []byte, dst *[]T) bool {
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		*dst = nil
		return false
	}
	return true
}

func decMenus(raw []byte, dst *map[string]bool) bool {
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		*dst = nil
		return false
	}
	return true
}

// decAccessControl decodes {"dashboard_menu_access": {...}}; anything else
// is refused and kept whole as an override.
func decAccessControl(raw []byte, dst *map[string]bool) bool {
	fields, err := splitObject(raw)
	if err != nil || fields == nil || len(fields) != 1 {
		return false
	}
	menus, ok := fields["dashboard_menu_access"]
	return ok && decMenus(menus, dst)
}

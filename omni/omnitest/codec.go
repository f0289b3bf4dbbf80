package omnitest

import (
	"encoding/json"
	"strconv"
)

// Each object type of the payload lists its members once, in the vendor's
// order, in a fields method, and a codec walks that list either way: to
// write the object (AppendJSON and the MarshalJSON methods) or to read one
// (the UnmarshalJSON methods). A field the vendor adds is a struct field
// and one line in fields.

func (p *Payload) fields(c *codec) {
	c.bool("success", &p.Success)
	object(c, "reseller_organization", &p.Reseller)
	array(c, "organizations", &p.Orgs)
	c.total("total_organizations", len(p.Orgs))
	c.total("total_users_across_orgs", p.UserCount())
	c.scope("reseller_access_control", &p.ResellerMenus)
}

func (r *Reseller) fields(c *codec) {
	c.int64("id", &r.ID)
	c.string("name", &r.Name)
	c.int("concurrent_call_limit", &r.ConcurrentCallLimit)
}

func (o *Org) fields(c *codec) {
	c.int64("id", &o.ID)
	c.string("name", &o.Name)
	c.float("cost_per_min", &o.CostPerMin)
	c.float("org_balance", &o.Balance)
	c.string("reseller_org_balance_currency_symbol", &o.CurrencySymbol)
	c.int("concurrent_call_limit", &o.ConcurrentCallLimit)
	c.string("org_user_currency_symbol", &o.UserCurrencySymbol)
	c.string("timezone", &o.Timezone)
	c.nullString("created_date", &o.CreatedDate)
	c.optionalString("api_key", &o.APIKey)
	c.total("total_users", len(o.Users))
	array(c, "users", &o.Users)
}

func (u *User) fields(c *codec) {
	c.int64("id", &u.ID)
	c.string("name", &u.Name)
	c.string("email", &u.Email)
	c.falseString("phone", &u.Phone)
	c.nullString("login_date", &u.LoginDate)
	c.bool("is_active", &u.IsActive)
	c.nullString("expiry_date", &u.ExpiryDate)
	c.falseAny("access_level", &u.AccessLevel)
	c.menus("dashboard_menu_access", &u.Menus)
}

func (p *Payload) extra() *map[string]any  { return &p.Extra }
func (r *Reseller) extra() *map[string]any { return &r.Extra }
func (o *Org) extra() *map[string]any      { return &o.Extra }
func (u *User) extra() *map[string]any     { return &u.Extra }

// member is what the object types have in common for the codec.
type member interface {
	fields(*codec)
	extra() *map[string]any
}

// codecMode is what a codec does with the members it is shown.
type codecMode uint8

const (
	// encoding writes each member to w.
	encoding codecMode = iota
	// decoding reads each member from left, keeping in kept what does not
	// fit the typed field.
	decoding
	// checkingTotals reads the totals, once the data they count is read.
	checkingTotals
)

// codec writes or reads the members of one object.
type codec struct {
	mode codecMode
	w    objectWriter
	left map[string]json.RawMessage // the members not read yet
	kept extraFields
}

// decode reads the JSON object data into v: its known members into their
// fields, everything else into its Extra (see Payload.UnmarshalJSON). A
// null leaves v as it is.
func decode[T any, P interface {
	*T
	member
}](data []byte, v P) error {
	var left map[string]json.RawMessage
	if err := json.Unmarshal(data, &left); err != nil || left == nil {
		return err
	}
	var out T
	c := codec{mode: decoding, left: left}
	P(&out).fields(&c)
	c.mode = checkingTotals
	P(&out).fields(&c)
	for k, raw := range c.left {
		c.kept.keep(k, raw)
	}
	*P(&out).extra() = c.kept.m
	*v = out
	return nil
}

// take removes the member k from what is left to read and returns it; a
// known member the object lacks is kept as Omitted, unless optional says
// that its absence is the field's zero value.
func (c *codec) take(k string, optional bool) (json.RawMessage, bool) {
	raw, ok := c.left[k]
	if !ok {
		if !optional {
			c.kept.set(k, Omitted{})
		}
		return nil, false
	}
	delete(c.left, k)
	return raw, true
}

// put starts writing the member k and reports whether to write its typed
// value: when encoding, and Extra does not override it.
func (c *codec) put(k string) bool { return c.mode == encoding && c.w.field(k) }

// get reads the member k with dec, keeping it in Extra when dec refuses
// it: a wrong type or a null, which the field could not hold. The caller
// calls it when decoding only, which spares encoding making dec.
func (c *codec) get(k string, optional bool, dec func(json.RawMessage) bool) {
	if raw, ok := c.take(k, optional); ok && !dec(raw) {
		c.kept.keep(k, raw)
	}
}

func (c *codec) bool(k string, v *bool) {
	if c.put(k) {
		c.w.dst = strconv.AppendBool(c.w.dst, *v)
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decBool(raw, v) })
	}
}

func (c *codec) int64(k string, v *int64) {
	if c.put(k) {
		c.w.dst = strconv.AppendInt(c.w.dst, *v, 10)
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decNumber(raw, v) })
	}
}

func (c *codec) int(k string, v *int) {
	if c.put(k) {
		c.w.dst = strconv.AppendInt(c.w.dst, int64(*v), 10)
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decNumber(raw, v) })
	}
}

func (c *codec) float(k string, v *float64) {
	if c.put(k) {
		c.w.dst = appendFloat(c.w.dst, *v)
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decNumber(raw, v) })
	}
}

func (c *codec) string(k string, v *string) {
	if c.put(k) {
		c.w.dst = appendString(c.w.dst, *v)
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decString(raw, v) })
	}
}

// nullString is a string sent as null when "", such as a date.
func (c *codec) nullString(k string, v *string) {
	if c.put(k) {
		c.w.dst = appendNullString(c.w.dst, *v)
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decNullString(raw, v) })
	}
}

// falseString is a string sent as false when "", as the vendor sends a
// phone.
func (c *codec) falseString(k string, v *string) {
	if c.put(k) {
		if *v == "" {
			c.w.dst = append(c.w.dst, "false"...)
		} else {
			c.w.dst = appendString(c.w.dst, *v)
		}
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool {
			// "" would be sent back as false.
			return string(raw) == "false" || decString(raw, v) && *v != ""
		})
	}
}

// optionalString is a string left out when "", as a child org's api_key.
func (c *codec) optionalString(k string, v *string) {
	if (*v != "" || c.w.has(k)) && c.put(k) {
		c.w.dst = appendString(c.w.dst, *v)
	} else if c.mode == decoding {
		c.get(k, true, func(raw json.RawMessage) bool { return decString(raw, v) && *v != "" })
	}
}

// falseAny is a value sent as false when nil, as the vendor sends an
// access_level: a string, a number or true otherwise.
func (c *codec) falseAny(k string, v *any) {
	if c.put(k) {
		if *v == nil {
			c.w.dst = append(c.w.dst, "false"...)
		} else {
			c.w.dst = appendAny(c.w.dst, *v)
		}
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool {
			switch string(raw) {
			case "false":
			case "null":
				return false // nil would be sent back as false
			default:
				*v = decodeAny(raw)
			}
			return true
		})
	}
}

// menus is a dashboard_menu_access object.
func (c *codec) menus(k string, v *map[string]bool) {
	if c.put(k) {
		c.w.dst = appendMenus(c.w.dst, *v)
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decJSON(raw, '{', v) })
	}
}

// scope is reseller_access_control: {"dashboard_menu_access": {...}}.
func (c *codec) scope(k string, v *map[string]bool) {
	if c.put(k) {
		c.w.dst = append(c.w.dst, `{"dashboard_menu_access":`...)
		c.w.dst = appendMenus(c.w.dst, *v)
		c.w.dst = append(c.w.dst, '}')
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decScope(raw, v) })
	}
}

// total is a count of what the object holds, n: always sent as n, and
// kept in Extra when the vendor's disagrees, so that it is sent back.
func (c *codec) total(k string, n int) {
	switch c.mode {
	case encoding:
		if c.w.field(k) {
			c.w.dst = strconv.AppendInt(c.w.dst, int64(n), 10)
		}
	case decoding:
		// Only the absence is known yet: n counts data not read.
		if _, ok := c.left[k]; !ok {
			c.kept.set(k, Omitted{})
		}
	case checkingTotals:
		if raw, ok := c.take(k, true); ok {
			if got := 0; !decNumber(raw, &got) || got != n {
				c.kept.keep(k, raw)
			}
		}
	}
}

// object is the member k, an object of one of the payload's types.
func object[T any, P interface {
	*T
	member
	appendJSON([]byte) []byte
}](c *codec, k string, v P) {
	if c.put(k) {
		c.w.dst = v.appendJSON(c.w.dst)
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decJSON(raw, '{', (*T)(v)) })
	}
}

// array is the member k, an array of objects of one of the payload's types.
func array[T any, P interface {
	*T
	member
	appendJSON([]byte) []byte
}](c *codec, k string, v *[]T) {
	if c.put(k) {
		c.w.dst = append(c.w.dst, '[')
		for i := range *v {
			if i > 0 {
				c.w.dst = append(c.w.dst, ',')
			}
			c.w.dst = P(&(*v)[i]).appendJSON(c.w.dst)
		}
		c.w.dst = append(c.w.dst, ']')
	} else if c.mode == decoding {
		c.get(k, false, func(raw json.RawMessage) bool { return decJSON(raw, '[', v) })
	}
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

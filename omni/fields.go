package omni

import (
	"unicode"
	"unicode/utf8"
)

// fieldSet lists the keys of one object type of the payload.
type fieldSet struct {
	names  []string
	quoted []string // `"name":`, compared with the input in one go
	folded []string // as foldKey folds them
}

func newFieldSet(names ...string) *fieldSet {
	f := &fieldSet{names: names}
	for _, n := range names {
		f.quoted = append(f.quoted, `"`+n+`":`)
		f.folded = append(f.folded, string(foldKey(nil, []byte(n))))
	}
	return f
}

// The object types, their fields in the order the vendor sends them, and
// constants for their indexes.
var (
	resellerFields = newFieldSet("id", "name", "concurrent_call_limit")
	orgFields      = newFieldSet("id", "name", "cost_per_min", "org_balance",
		"reseller_org_balance_currency_symbol", "concurrent_call_limit",
		"org_user_currency_symbol", "timezone", "created_date", "users")
	userFields = newFieldSet("id", "name", "email", "phone", "login_date",
		"is_active", "expiry_date", "access_level", "dashboard_menu_access")
	scopeFields = newFieldSet("dashboard_menu_access")
	flagFields  = func() *fieldSet {
		var names []string
		for _, f := range knownFlags {
			names = append(names, f.Key)
		}
		f := newFieldSet(names...)
		f.folded = nil // map keys match exactly
		return f
	}()
)

const scopeMenus = 0

const (
	resellerID = iota
	resellerName
	resellerLimit
)

const (
	orgID = iota
	orgName
	orgCost
	orgBalance
	orgBalanceCurrency
	orgLimit
	orgUserCurrency
	orgTimezone
	orgCreated
	orgUsers
)

const (
	userID = iota
	userName
	userEmail
	userPhone
	userLogin
	userActive
	userExpiry
	userAccess
	userMenus
)

// foldKey appends k folded as encoding/json folds keys to match fields
// case-insensitively: ASCII letters upper-cased, other runes replaced by
// the smallest rune of their Unicode fold set.
func foldKey(dst, k []byte) []byte {
	for i := 0; i < len(k); {
		if c := k[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(k[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		dst = utf8.AppendRune(dst, r)
		i += n
	}
	return dst
}

// next moves to the next member of an object whose '{' has been consumed,
// and returns the index of its field in fs as field does. It returns false
// after consuming the closing '}'. first says whether no member came yet.
func (d *decoder) next(fs *fieldSet, hint *int, first bool) (int, bool, error) {
	// Fast path: the expected key, right after the comma.
	s := &d.s
	if p := s.pos; first || (p < s.end && s.buf[p] == ',') {
		if !first {
			p++
		}
		if i, ok := fs.expected(s, p, hint); ok {
			return i, true, nil
		}
	}
	more, err := s.member(first)
	if err != nil || !more {
		return 0, false, err
	}
	i, err := d.field(fs, hint, false)
	return i, err == nil, err
}

// expected consumes the key *hint names, with its colon, if it stands at
// p, and reports its index.
func (fs *fieldSet) expected(s *scanner, p int, hint *int) (int, bool) {
	h := *hint
	q := fs.quoted[h]
	e := p + len(q)
	if e > s.end || string(s.buf[p:e]) != q {
		return 0, false
	}
	s.pos = e
	fs.found(hint, h)
	return h, true
}

// found moves *hint past field i, to the field the vendor sends next.
func (fs *fieldSet) found(hint *int, i int) {
	if *hint = i + 1; *hint == len(fs.names) {
		*hint = 0
	}
}

// field consumes a key and its colon and returns the index of the field it
// names in fs, or -1. *hint is the field expected, and is moved past the
// one found. For -1, the key's text is left in d.key when keep is set.
func (d *decoder) field(fs *fieldSet, hint *int, keep bool) (int, error) {
	s := &d.s
	if i, ok := fs.expected(s, s.pos, hint); ok {
		return i, nil
	}
	k, err := s.str(strText)
	if err != nil {
		return 0, err
	}
	idx := index(fs.names, k)
	if idx < 0 && fs.folded != nil && needsFold(k) {
		var arr [64]byte
		idx = index(fs.folded, foldKey(arr[:0], k))
	}
	if idx >= 0 {
		fs.found(hint, idx)
	} else if keep {
		d.key = append(d.key[:0], k...)
	}
	return idx, s.expect(':', "after object key")
}

// index returns the index of k in names, or -1. (Unlike slices.Index, it
// compares without converting k to a string.)
func index(names []string, k []byte) int {
	for i, name := range names {
		if string(k) == name {
			return i
		}
	}
	return -1
}

// needsFold reports whether k could match a field only case-insensitively:
// the names are lower-case ASCII, so k must hold another byte.
func needsFold(k []byte) bool {
	for _, c := range k {
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}

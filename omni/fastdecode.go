package omni

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

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

// valueError is a value of the wrong type for its field; field is the path
// below the value that decodeStd's caller named ("users.login_date").
type valueError struct {
	field string
	what  string // "a string of 9 bytes", "object"
	where string // which element, when the path does not say: "users[3]"
}

func (e *valueError) Error() string {
	var b strings.Builder
	if e.field != "" {
		b.WriteString("field ")
		b.WriteString(e.field)
		b.WriteString(": ")
	}
	b.WriteString("cannot use ")
	b.WriteString(e.what)
	if e.where != "" {
		b.WriteString(" (")
		b.WriteString(e.where)
		b.WriteString(")")
	}
	return b.String()
}

// inField puts a field's name in front of the path of a type error.
func inField(err error, name string) error {
	if te, ok := err.(*valueError); ok {
		if te.field == "" {
			te.field = name
		} else {
			te.field = name + "." + te.field
		}
	}
	return err
}

// kindOf names a value by its first byte, for errors about values that
// are not read.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '"':
		return "string"
	}
	return "number"
}

func isValueStart(c byte) bool {
	switch c {
	case '{', '[', '"', 't', 'f', 'n', '-':
		return true
	}
	return '0' <= c && c <= '9'
}

// badValue is the error for a value of the wrong type starting with c, or
// for a byte that starts no value at all.
func (d *decoder) badValue(c byte) error {
	if !isValueStart(c) {
		return d.s.invalidChar("looking for beginning of value")
	}
	switch c {
	case '"':
		b, err := d.s.str(strRaw)
		if err != nil {
			return err
		}
		return &valueError{what: fmt.Sprintf("a string of %d bytes", len(b))}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		b, err := d.s.number()
		if err != nil {
			return err
		}
		return &valueError{what: "number " + trim(string(b), 24)}
	}
	return &valueError{what: kindOf(c)}
}

// member moves to the next member of an object whose '{' has been
// consumed. It returns false after consuming the closing '}'; otherwise the
// key's opening quote is next.
func (s *scanner) member(first bool) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == '}' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.invalidChar("after object key:value pair")
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return false, err
		}
	}
	if c != '"' {
		return false, s.invalidChar("looking for beginning of object key string")
	}
	return true, nil
}

// element moves to the next element of an array whose '[' has been
// consumed. It returns false after consuming the closing ']'.
func (s *scanner) element(first bool) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	if c == ']' {
		s.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, s.invalidChar("after array element")
		}
		s.pos++
		if c, err = s.peek(); err != nil {
			return false, err
		}
		if c == ']' {
			return false, s.invalidChar("looking for beginning of value")
		}
	}
	return true, nil
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
		h := *hint
		q := fs.quoted[h]
		if e := p + len(q); e <= s.end && string(s.buf[p:e]) == q {
			s.pos = e
			if *hint = h + 1; *hint == len(fs.names) {
				*hint = 0
			}
			return h, true, nil
		}
	}
	more, err := s.member(first)
	if err != nil || !more {
		return 0, false, err
	}
	i, err := d.field(fs, hint, false)
	return i, err == nil, err
}

// field consumes a key and its colon and returns the index of the field it
// names in fs, or -1. *hint is the field expected, and is moved past the
// one found. For -1, the key's text is left in d.key when keep is set.
func (d *decoder) field(fs *fieldSet, hint *int, keep bool) (int, error) {
	s := &d.s
	if h := *hint; h < len(fs.quoted) {
		q := fs.quoted[h]
		if e := s.pos + len(q); e <= s.end && string(s.buf[s.pos:e]) == q {
			s.pos = e
			if *hint = h + 1; *hint == len(fs.names) {
				*hint = 0
			}
			return h, nil
		}
	}
	k, err := s.str(strText)
	if err != nil {
		return 0, err
	}
	idx := -1
	for i, name := range fs.names {
		if string(k) == name {
			idx = i
			break
		}
	}
	if idx < 0 && fs.folded != nil && needsFold(k) {
		var arr [64]byte
		folded := foldKey(arr[:0], k)
		for i, name := range fs.folded {
			if string(folded) == name {
				idx = i
				break
			}
		}
	}
	if idx >= 0 {
		if *hint = idx + 1; *hint == len(fs.names) {
			*hint = 0
		}
	} else if keep {
		d.key = append(d.key[:0], k...)
	}
	return idx, s.expect(':', "after object key")
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

// top decodes the response object.
func (d *decoder) top() (*Snapshot, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		if s.rerr == io.EOF {
			return nil, errors.New("the response is empty")
		}
		return nil, err
	}
	if c != '{' {
		if !isValueStart(c) || c == '}' || c == ']' {
			return nil, s.invalidChar("looking for beginning of value")
		}
		return nil, fmt.Errorf(`the response: want "{", got %s`, describeStart(c))
	}
	s.pos++
	var (
		snap       Snapshot
		success    bool
		sawSuccess bool
		sawOrgs    bool
		vendor     [len(vendorKeys)][]byte
	)
	for first := true; ; first = false {
		more, err := s.member(first)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		kb, err := s.str(strText)
		if err != nil {
			return nil, err
		}
		key := string(kb)
		if err := s.expect(':', "after object key"); err != nil {
			return nil, err
		}
		switch key {
		case "success":
			sawSuccess = true
			success, err = d.looseBool()
		case "reseller_organization":
			err = d.reseller(&snap.Reseller)
		case "organizations":
			sawOrgs = true
			if snap.Orgs, err = d.orgs(); err != nil {
				return nil, err
			}
		case "reseller_access_control":
			err = d.scope(&snap.Scope, &snap.HasScope)
		case "total_organizations":
			var n int64
			n, err = d.looseInt()
			snap.TotalOrgs = int(n)
		case "total_users_across_orgs":
			var n int64
			n, err = d.looseInt()
			snap.TotalUsers = int(n)
		case vendorKeys[0], vendorKeys[1], vendorKeys[2], vendorKeys[3]:
			i := slices.Index(vendorKeys[:], key)
			if _, err = s.peek(); err == nil {
				s.startCapture()
				err = s.skip(0)
				vendor[i] = bytes.Clone(s.endCapture())
			}
		default:
			err = s.skip(0)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
	}
	if eof, err := s.atEOF(); err != nil {
		return nil, fmt.Errorf("after the response object: %w", err)
	} else if !eof {
		return nil, errors.New("unexpected data after the response object")
	}
	if sawSuccess && !success {
		return nil, vendorFailure(&vendor)
	}
	if !sawOrgs {
		return nil, errors.New(`no "organizations" in the response`)
	}
	if !normalized(&snap) {
		snap.Normalize()
	}
	if err := snap.checkTotals(); err != nil {
		return nil, err
	}
	return &snap, nil
}

// normalized reports whether Normalize would leave s as it is: orgs and
// each org's users in increasing order of ID, as the vendor sends them.
func normalized(s *Snapshot) bool {
	for i := range s.Orgs {
		if i > 0 && s.Orgs[i].ID <= s.Orgs[i-1].ID {
			return false
		}
		users := s.Orgs[i].Users
		for j := 1; j < len(users); j++ {
			if users[j].ID <= users[j-1].ID {
				return false
			}
		}
	}
	return true
}

// vendorKeys are the fields that may explain "success": false, in the
// order vendorMessage prefers them.
var vendorKeys = [...]string{"error_description", "error", "message", "detail"}

// vendorFailure is the error for "success": false, explained by the raw
// values of the vendorKeys the response held (nil for those it did not).
func vendorFailure(raw *[len(vendorKeys)][]byte) *APIError {
	var body bytes.Buffer
	body.WriteByte('{')
	for i, k := range vendorKeys {
		if raw[i] != nil {
			if body.Len() > 1 {
				body.WriteByte(',')
			}
			fmt.Fprintf(&body, "%q:%s", k, raw[i])
		}
	}
	body.WriteByte('}')
	msg := vendorMessage(body.Bytes())
	if msg == "" {
		msg = `"success": false without a reason`
	}
	return &APIError{Kind: ErrVendor, Message: msg}
}

// describeStart names a value by its first byte, as decodeStd's
// describeToken names a token.
func describeStart(c byte) string {
	switch c {
	case '{', '[':
		return strconv.Quote(string(c))
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func (d *decoder) reseller(r *Reseller) error {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case 'n':
		*r = Reseller{}
		return s.literal("null")
	case '{':
	default:
		return d.badValue(c)
	}
	s.pos++
	var v Reseller
	for first := true; ; first = false {
		more, err := s.member(first)
		if err != nil || !more {
			*r = v
			return err
		}
		i, err := d.field(resellerFields, &d.resellerHint, false)
		if err != nil {
			return err
		}
		var n int64
		switch i {
		case resellerID:
			n, err = d.looseInt()
			v.ID = n
			err = inField(err, "id")
		case resellerName:
			err = inField(d.looseString(&v.Name, false), "name")
		case resellerLimit:
			n, err = d.looseInt()
			v.ConcurrentCallLimit = int(n)
			err = inField(err, "concurrent_call_limit")
		default:
			err = s.skip(1)
		}
		if err != nil {
			return err
		}
	}
}

// scope decodes reseller_access_control; has reports whether it held a
// dashboard_menu_access object (the last one, if repeated).
func (d *decoder) scope(f *Flags, has *bool) error {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case 'n':
		*f, *has = Flags{}, false
		return s.literal("null")
	case '{':
	default:
		return d.badValue(c)
	}
	s.pos++
	var v Flags
	seen := false
	for first := true; ; first = false {
		more, err := s.member(first)
		if err != nil || !more {
			*f, *has = v, seen
			return err
		}
		i, err := d.field(scopeFields, &d.scopeHint, false)
		if err != nil {
			return err
		}
		if i == 0 {
			var c byte
			if c, err = s.peek(); err != nil {
				return err
			}
			seen = c == '{'
			err = inField(d.flags(&v), "dashboard_menu_access")
		} else {
			err = s.skip(1)
		}
		if err != nil {
			return err
		}
	}
}

// orgs decodes the organizations array.
func (d *decoder) orgs() ([]Org, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	switch c {
	case '[':
	default:
		if !isValueStart(c) {
			return nil, s.invalidChar("looking for beginning of value")
		}
		// null too: a list that is not there is no answer, and treating it
		// as an empty one would announce every org removed.
		return nil, fmt.Errorf("want an array, got %s", describeStart(c))
	}
	s.pos++
	var orgs []Org
	for i := 0; ; i++ {
		more, err := s.element(i == 0)
		if err != nil {
			return nil, fmt.Errorf("organizations[%d]: %w", i, err)
		}
		if !more {
			return orgs, nil
		}
		orgs = append(orgs, Org{})
		if err := d.org(&orgs[i]); err != nil {
			return nil, fmt.Errorf("organizations[%d]: %w", i, err)
		}
	}
}

// org decodes one organization into o, which is zero. A null org is an
// error, not an org with ID 0.
func (d *decoder) org(o *Org) error {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case 'n':
		return errors.New("want an object, got null")
	case '{':
	default:
		return d.badValue(c)
	}
	s.pos++
	var balanceCurrency, userCurrency string
	for first := true; ; first = false {
		i, more, err := d.next(orgFields, &d.orgHint, first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		var n int64
		switch i {
		case orgID:
			n, err = d.looseInt()
			o.ID = n
			err = inField(err, "id")
		case orgName:
			err = inField(d.looseString(&o.Name, false), "name")
		case orgCost:
			o.CostPerMin, err = d.looseFloat()
			err = inField(err, "cost_per_min")
		case orgBalance:
			o.Balance, err = d.looseFloat()
			err = inField(err, "org_balance")
		case orgBalanceCurrency:
			err = inField(d.looseString(&balanceCurrency, true), "reseller_org_balance_currency_symbol")
		case orgLimit:
			n, err = d.looseInt()
			o.ConcurrentCallLimit = int(n)
			err = inField(err, "concurrent_call_limit")
		case orgUserCurrency:
			err = inField(d.looseString(&userCurrency, true), "org_user_currency_symbol")
		case orgTimezone:
			err = inField(d.looseString(&o.Timezone, true), "timezone")
		case orgCreated:
			o.Created, err = d.looseTime()
			err = inField(err, "created_date")
		case orgUsers:
			// A repeated "users" replaces the earlier one, like any other
			// repeated key (encoding/json would merge them element by
			// element; no sane payload repeats the key).
			o.Users, err = d.users()
			err = inField(err, "users")
		default:
			err = s.skip(1)
		}
		if err != nil {
			return err
		}
	}
	o.Currency = balanceCurrency
	if o.Currency == "" {
		o.Currency = userCurrency
	}
	return nil
}

// users decodes an org's users array into a new slice, or nil when there
// are none. The users are decoded in place in a slab that many orgs share;
// each org's slice has a capacity of its length, so appending to one org's
// users copies rather than overwrites the next org's.
func (d *decoder) users() ([]User, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	switch c {
	case 'n':
		return nil, s.literal("null")
	case '[':
	default:
		return nil, d.badValue(c)
	}
	s.pos++
	if len(d.slab) < 16 {
		d.slabNext = min(max(d.slabNext*2, 64), 1024)
		d.slab = make([]User, d.slabNext)
	}
	users := d.slab[:0]
	d.inArr = true
	d.arena = d.arena[:0]
	d.fixups = d.fixups[:0]
	defer func() { d.inArr = false }()
	for i := 0; ; i++ {
		more, err := s.element(i == 0)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		users = append(users, User{}) // past the slab, append moves them
		d.userAt = i
		if err := d.user(&users[i]); err != nil {
			if te, ok := err.(*valueError); ok && te.where == "" {
				te.where = fmt.Sprintf("users[%d]", i)
			}
			return nil, err
		}
	}
	if len(d.fixups) > 0 {
		all := string(d.arena)
		for _, f := range d.fixups {
			v := all[f.off : f.off+f.n]
			u := &users[f.user]
			switch f.field {
			case userName:
				u.Name = v
			case userEmail:
				u.Email = v
			case userPhone:
				u.Phone = v
			}
		}
	}
	n := len(users)
	if n == 0 {
		return nil, nil
	}
	if unsafe.SliceData(users) == unsafe.SliceData(d.slab) {
		d.slab = d.slab[n:]
	} else {
		d.slab = users[n:cap(users)]
	}
	return users[:n:n], nil
}

// user decodes one user into u, keeping the fields the JSON lacks.
func (d *decoder) user(u *User) error {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case 'n':
		return errors.New("want an object, got null")
	case '{':
	default:
		return d.badValue(c)
	}
	s.pos++
	for first := true; ; first = false {
		i, more, err := d.next(userFields, &d.userHint, first)
		if err != nil || !more {
			return err
		}
		switch i {
		case userID:
			u.ID, err = d.looseInt()
			err = inField(err, "id")
		case userName:
			err = inField(d.userString(&u.Name, userName), "name")
		case userEmail:
			err = inField(d.userString(&u.Email, userEmail), "email")
		case userPhone:
			err = inField(d.userString(&u.Phone, userPhone), "phone")
		case userLogin:
			u.LastLogin, err = d.looseTime()
			err = inField(err, "login_date")
		case userActive:
			u.Active, err = d.looseBool()
			err = inField(err, "is_active")
		case userExpiry:
			u.Expiry, err = d.looseTime()
			err = inField(err, "expiry_date")
		case userAccess:
			err = inField(d.looseString(&u.AccessLevel, true), "access_level")
		case userMenus:
			err = inField(d.flags(&u.Menus), "dashboard_menu_access")
		default:
			err = s.skip(3)
		}
		if err != nil {
			return err
		}
	}
}

// extraFlag is an unknown flag as read, before repeats are resolved.
type extraFlag struct {
	key string
	on  bool
}

// flags decodes a dashboard_menu_access object as omniwire.MenuFlags does:
// null or an object of flags to anything looseBool accepts; the last of a
// repeated key wins.
func (d *decoder) flags(f *Flags) error {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	switch c {
	case 'n':
		*f = Flags{}
		return s.literal("null")
	case '{':
	default:
		return d.badValue(c)
	}
	s.pos++
	var known uint32
	d.extra = d.extra[:0]
	for first := true; ; first = false {
		// Fast path: a run of expected flags, true or false, without
		// spaces; locals and no branch on the value, which is random.
		{
			buf, p, h := s.buf[:s.end], s.pos, d.flagHint
			for {
				q := p
				if !first {
					if q >= len(buf) || buf[q] != ',' {
						break
					}
					q++
				}
				key := flagFields.quoted[h]
				e := q + len(key)
				if e+5 > len(buf) || string(buf[q:e]) != key {
					break
				}
				v := binary.LittleEndian.Uint32(buf[e:])
				isTrue := v == 't'|'r'<<8|'u'<<16|'e'<<24
				if !isTrue && (v != 'f'|'a'<<8|'l'<<16|'s'<<24 || buf[e+4] != 'e') {
					break
				}
				var t uint32
				if isTrue {
					t = 1
				}
				bit := uint32(1) << h
				known = known&^bit | bit&-t
				p = e + 5 - int(t)
				if h++; h == len(flagFields.names) {
					h = 0
				}
				first = false
			}
			s.pos, d.flagHint = p, h
		}
		more, err := s.member(first)
		if err != nil {
			return err
		}
		if !more {
			break
		}
		i, err := d.field(flagFields, &d.flagHint, true)
		if err != nil {
			return err
		}
		on, err := d.looseBool()
		if err != nil {
			if te, ok := err.(*valueError); ok {
				if i >= 0 {
					te.field = flagFields.names[i]
				} else {
					te.field = string(d.key)
				}
			}
			return err
		}
		if i >= 0 {
			if on {
				known |= 1 << i
			} else {
				known &^= 1 << i
			}
		} else {
			d.extra = append(d.extra, extraFlag{d.internBytes(d.key), on})
		}
	}
	*f = Flags{known: known}
	if len(d.extra) > 0 {
		// The last value of each key wins; keep the keys that are on.
		slices.SortStableFunc(d.extra, func(a, b extraFlag) int { return strings.Compare(a.key, b.key) })
		for i, e := range d.extra {
			if e.on && (i+1 == len(d.extra) || d.extra[i+1].key != e.key) {
				f.extra = append(f.extra, e.key)
			}
		}
	}
	return nil
}

func (d *decoder) internBytes(b []byte) string {
	if len(b) > 32 {
		return string(b)
	}
	if v, ok := d.intern[string(b)]; ok {
		return v
	}
	v := string(b)
	if d.intern == nil {
		d.intern = make(map[string]string)
	}
	if len(d.intern) < 1024 {
		d.intern[v] = v
	}
	return v
}

// looseString reads what decodeStd's looseString accepts.
func (d *decoder) looseString(dst *string, intern bool) error {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	var b []byte
	switch c {
	case '"':
		b, err = s.str(strText)
	case 'n':
		*dst = ""
		return s.literal("null")
	case 'f':
		*dst = ""
		return s.literal("false")
	case 't':
		*dst = "true"
		return s.literal("true")
	case '{', '[':
		return d.badValue(c)
	default:
		if c != '-' && (c < '0' || c > '9') {
			return d.badValue(c)
		}
		b, err = s.number()
	}
	if err != nil {
		return err
	}
	if intern {
		*dst = d.internBytes(b)
	} else {
		*dst = string(b)
	}
	return nil
}

// userString is looseString for a user's name, email or phone: while users
// decodes an array, a string goes to the arena; whatever else the field
// holds is set at once, and drops a fixup for the field still pending.
func (d *decoder) userString(dst *string, field uint8) error {
	if !d.inArr {
		return d.looseString(dst, false)
	}
	// A fixup for this field of this user would overwrite what comes now.
	for k := len(d.fixups) - 1; k >= 0 && d.fixups[k].user == int32(d.userAt); k-- {
		if d.fixups[k].field == field {
			d.fixups = slices.Delete(d.fixups, k, k+1)
			break
		}
	}
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return err
	}
	var b []byte
	switch {
	case c == '"':
		b, err = s.str(strText)
	case c == '-' || ('0' <= c && c <= '9'):
		b, err = s.number()
	default:
		return d.looseString(dst, false)
	}
	if err != nil {
		return err
	}
	if len(b) == 0 {
		*dst = ""
		return nil
	}
	if len(d.arena)+len(b) > math.MaxInt32 {
		*dst = string(b)
		return nil
	}
	d.fixups = append(d.fixups, fixup{user: int32(d.userAt), field: field, off: int32(len(d.arena)), n: int32(len(b))})
	d.arena = append(d.arena, b...)
	return nil
}

// text returns b as a string without copying, for parsing only: the
// result must not outlive the next read.
func text(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// looseScalar reads the text that looseInt and looseFloat parse: a number,
// or the trimmed raw contents of a string. null reads as "".
func (d *decoder) looseScalar() (t string, isString bool, err error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return "", false, err
	}
	switch {
	case c == '-' || ('0' <= c && c <= '9'):
		b, err := s.number()
		return text(b), false, err
	case c == '"':
		b, err := s.str(strRaw)
		return strings.TrimSpace(text(b)), true, err
	case c == 'n':
		return "", false, s.literal("null")
	}
	return "", false, d.badValue(c)
}

// looseInt reads what decodeStd's looseInt accepts: an integer, an
// integral float, a numeric string, or null.
func (d *decoder) looseInt() (int64, error) {
	t, isString, err := d.looseScalar()
	if err != nil || t == "" {
		return 0, err
	}
	// The common case: a short run of digits.
	if len(t) <= 18 {
		i := 0
		if t[0] == '-' {
			i = 1
		}
		var n int64
		j := i
		for ; j < len(t) && '0' <= t[j] && t[j] <= '9'; j++ {
			n = n*10 + int64(t[j]-'0')
		}
		if j == len(t) && j > i {
			if i == 1 {
				n = -n
			}
			return n, nil
		}
	}
	if isString && t == "null" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, scalarError(t, isString)
	}
	return int64(f), nil
}

// looseFloat reads what decodeStd's looseFloat accepts: a number, a
// numeric string, or null.
func (d *decoder) looseFloat() (float64, error) {
	t, isString, err := d.looseScalar()
	if err != nil || t == "" || (isString && t == "null") {
		return 0, err
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, scalarError(t, isString)
	}
	return f, nil
}

func scalarError(t string, isString bool) error {
	if isString {
		return &valueError{what: fmt.Sprintf("a string of %d bytes", len(t))}
	}
	return &valueError{what: "number " + trim(t, 24)}
}

// looseBool reads what decodeStd's looseBool accepts: true, false, null,
// 0 or 1, and (in any case) "true", "false", "yes", "no", "null", "1",
// "0" or "". A string with an escape is never accepted, as decodeStd
// compares the raw text.
func (d *decoder) looseBool() (bool, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	switch c {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	case 'n':
		return false, s.literal("null")
	case '"':
		b, err := s.str(strRaw)
		if err != nil {
			return false, err
		}
		switch {
		case asciiFold(b, "true"), asciiFold(b, "1"), asciiFold(b, "yes"):
			return true, nil
		case asciiFold(b, "false"), asciiFold(b, "0"), asciiFold(b, "null"), len(b) == 0, asciiFold(b, "no"):
			return false, nil
		}
		return false, &valueError{what: fmt.Sprintf("a string of %d bytes", len(b))}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		b, err := s.number()
		if err != nil {
			return false, err
		}
		switch string(b) {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
		return false, &valueError{what: "number " + trim(string(b), 24)}
	}
	return false, d.badValue(c)
}

// asciiFold reports whether b is word (lower-case ASCII) in any case. No
// other rune lower-cases to one of the letters the words use, so this is
// strings.ToLower(string(b)) == word.
func asciiFold(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != word[i] {
			return false
		}
	}
	return true
}

// timeLayouts are tried in order after the vendor's own format. The vendor
// sends Python's isoformat() without a zone; the others cover the formats it
// could plausibly switch to.
var timeLayouts = [...]string{
	"2006-01-02T15:04:05.999999999",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02",
}

// looseTime reads what decodeStd's looseTime accepts: null, false, "" and
// a timestamp in one of timeLayouts, returned in UTC.
func (d *decoder) looseTime() (time.Time, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return time.Time{}, err
	}
	switch c {
	case 'n':
		return time.Time{}, s.literal("null")
	case 'f':
		return time.Time{}, s.literal("false")
	case '"':
	default:
		return time.Time{}, d.badValue(c)
	}
	b, err := s.str(strText)
	if err != nil {
		return time.Time{}, err
	}
	t := strings.TrimSpace(text(b))
	if t == "" {
		return time.Time{}, nil
	}
	if v, ok := parseNaiveTime(t); ok {
		return v, nil
	}
	// t points into the read buffer, and time.Parse may keep parts of its
	// input (in zone names, in errors): give it a copy.
	if v, ok := ParseTime(strings.Clone(t)); ok {
		return v, nil
	}
	return time.Time{}, &valueError{what: fmt.Sprintf("a string of %d bytes", len(b))}
}

// ParseTime reads a timestamp in one of the layouts Decode accepts, in the
// order it tries them: the vendor's own, Python's isoformat() without a
// zone (read as UTC), then the formats it could plausibly switch to
// (RFC 3339, a space for the T, a date alone). The result is in UTC.
func ParseTime(s string) (time.Time, bool) {
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseNaiveTime parses the vendor's usual timestamp,
// 2006-01-02T15:04:05 with an optional fraction, as time.Parse does with
// timeLayouts[0]. It reports false for anything else, valid or not, which
// the caller hands to time.Parse.
func parseNaiveTime(t string) (time.Time, bool) {
	if len(t) < 19 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(t[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if day > 28 && day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	nsec := 0
	if len(t) > 19 {
		if t[19] != '.' || len(t) == 20 {
			return time.Time{}, false
		}
		// As time.Parse: any number of digits, the tenth on ignored.
		digits := 0
		for i := 20; i < len(t); i++ {
			c := t[i]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			if digits < 9 {
				nsec = nsec*10 + int(c-'0')
				digits++
			}
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	// time.Date(…, time.UTC) without its generality: days from the civil
	// date (Howard Hinnant's algorithm), then time.Unix, in UTC.
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := int64(month+9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	secs := days*86400 + int64(hour*3600+minute*60+sec)
	return time.Unix(secs, int64(nsec)).UTC(), true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return time.Date(2001, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

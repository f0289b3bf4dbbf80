package omni

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unsafe"
)

// The object decoders: one method per object type of the payload, each
// reading the fields its fieldSet lists (fields.go) with the loose readers
// (loose.go). A field the vendor adds is a name in the fieldSet and a case
// here.

// open consumes the '{' or '[' (as open says) that starts the value next,
// and reports true; for a null it consumes the null and reports false. Any
// other value is an error.
func (d *decoder) open(open byte) (bool, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return false, err
	}
	switch c {
	case open:
		s.pos++
		return true, nil
	case 'n':
		return false, s.literal("null")
	}
	return false, d.badValue(c)
}

// errNull is the error for a null org or user, which is no org with ID 0.
var errNull = errors.New("want an object, got null")

// inFieldOf names the field i of fs in front of the path of a type error
// (see inField); i is -1 for a field fs does not list.
func inFieldOf(err error, fs *fieldSet, i int) error {
	if err != nil && i >= 0 {
		return inField(err, fs.names[i])
	}
	return err
}

// object reads the object that comes next, member by member: read reads
// the value of each, given the index of its field in fs, or -1 for a field
// fs does not list, which read skips. A null is errNull.
func (d *decoder) object(fs *fieldSet, hint *int, read func(i int) error) error {
	if ok, err := d.open('{'); !ok {
		return cmp.Or(err, errNull)
	}
	for first := true; ; first = false {
		i, more, err := d.next(fs, hint, first)
		if err != nil || !more {
			return err
		}
		if err := read(i); err != nil {
			return inFieldOf(err, fs, i)
		}
	}
}

// orNull is err, or nil for errNull: for an object that may be null.
func orNull(err error) error {
	if err == errNull {
		return nil
	}
	return err
}

// reseller decodes reseller_organization into r, whole: a repeated key, or
// null, replaces what r held.
func (d *decoder) reseller(r *Reseller) error {
	*r = Reseller{}
	return orNull(d.object(resellerFields, &d.resellerHint, func(i int) (err error) {
		var n int64
		switch i {
		case resellerID:
			r.ID, err = d.looseInt()
		case resellerName:
			err = d.looseString(&r.Name, false)
		case resellerLimit:
			n, err = d.looseInt()
			r.ConcurrentCallLimit = int(n)
		default:
			err = d.s.skip(1)
		}
		return err
	}))
}

// scope decodes reseller_access_control into f, whole, as reseller does;
// has reports whether it held a dashboard_menu_access object (the last
// one, if repeated).
func (d *decoder) scope(f *Flags, has *bool) error {
	*f, *has = Flags{}, false
	return orNull(d.object(scopeFields, &d.scopeHint, func(i int) error {
		if i != scopeMenus {
			return d.s.skip(1)
		}
		c, err := d.s.peek()
		if err != nil {
			return err
		}
		*has = c == '{'
		return d.flags(f)
	}))
}

// orgs decodes the organizations array.
func (d *decoder) orgs() ([]Org, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return nil, err
	}
	if c != '[' {
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

// org decodes one organization into o, which is zero.
func (d *decoder) org(o *Org) error {
	var balanceCurrency, userCurrency string
	err := d.object(orgFields, &d.orgHint, func(i int) (err error) {
		var n int64
		switch i {
		case orgID:
			o.ID, err = d.looseInt()
		case orgName:
			err = d.looseString(&o.Name, false)
		case orgCost:
			o.CostPerMin, err = d.looseFloat()
		case orgBalance:
			o.Balance, err = d.looseFloat()
		case orgBalanceCurrency:
			err = d.looseString(&balanceCurrency, true)
		case orgLimit:
			n, err = d.looseInt()
			o.ConcurrentCallLimit = int(n)
		case orgUserCurrency:
			err = d.looseString(&userCurrency, true)
		case orgTimezone:
			err = d.looseString(&o.Timezone, true)
		case orgCreated:
			o.Created, err = d.looseTime()
		case orgUsers:
			// A repeated "users" replaces the earlier one, like any other
			// repeated key (encoding/json would merge them element by
			// element; no sane payload repeats the key).
			o.Users, err = d.users()
		default:
			err = d.s.skip(1)
		}
		return err
	})
	// The vendor names the currency twice; the balance's wins.
	o.Currency = cmp.Or(balanceCurrency, userCurrency)
	return err
}

// users decodes an org's users array into a new slice, or nil when there
// are none. The users are decoded in place in a slab that many orgs share;
// each org's slice has a capacity of its length, so appending to one org's
// users copies rather than overwrites the next org's.
func (d *decoder) users() ([]User, error) {
	s := &d.s
	if ok, err := d.open('['); !ok {
		return nil, err
	}
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
	return d.object(userFields, &d.userHint, func(i int) (err error) {
		switch i {
		case userID:
			u.ID, err = d.looseInt()
		case userName:
			err = d.userString(&u.Name, userName)
		case userEmail:
			err = d.userString(&u.Email, userEmail)
		case userPhone:
			err = d.userString(&u.Phone, userPhone)
		case userLogin:
			u.LastLogin, err = d.looseTime()
		case userActive:
			u.Active, err = d.looseBool()
		case userExpiry:
			u.Expiry, err = d.looseTime()
		case userAccess:
			err = d.looseString(&u.AccessLevel, true)
		case userMenus:
			err = d.flags(&u.Menus)
		default:
			err = d.s.skip(3)
		}
		return err
	})
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
	*f = Flags{}
	if ok, err := d.open('{'); !ok {
		return err
	}
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

// internBytes returns b as a string, the same string for the same short
// bytes: flag keys and currencies repeat in every org.
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

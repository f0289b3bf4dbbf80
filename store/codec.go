package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/resellerbot/resellerbot/omni"
)

// Records are stored in a compact binary form: varints for integers, eight
// bytes for floats, length-prefixed strings, seconds and nanoseconds for
// times. An org with ten users takes about a tenth of its JSON. The
// encoding is deterministic, so equal orgs encode to equal bytes and a poll
// can find what changed by comparing bytes.

var errCorrupt = errors.New("corrupt record")

type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) float(v float64)  { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// time writes a presence byte, then seconds and nanoseconds: UnixNano
// covers only the years 1678 to 2262, and "never expires" often comes as
// 9999-12-31.
func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.varint(t.Unix())
	e.uvarint(uint64(t.Nanosecond()))
}

func (e *encoder) flags(f omni.Flags) {
	e.uvarint(uint64(f.KnownBits()))
	extra := f.Extra()
	e.uvarint(uint64(len(extra)))
	for _, k := range extra {
		e.str(k)
	}
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

// took consumes the n bytes a varint reader found, or fails when it found
// none (n ≤ 0).
func (d *decoder) took(n int) bool {
	if n <= 0 {
		d.fail()
		return false
	}
	d.b = d.b[n:]
	return true
}

// next consumes and returns the next n bytes, or fails when fewer are
// left.
func (d *decoder) next(n uint64) ([]byte, bool) {
	if n > uint64(len(d.b)) {
		d.fail()
		return nil, false
	}
	b := d.b[:n:n]
	d.b = d.b[n:]
	return b, true
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if !d.took(n) {
		return 0
	}
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if !d.took(n) {
		return 0
	}
	return v
}

func (d *decoder) float() float64 {
	b, ok := d.next(8)
	if !ok {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// str copies the string out: bbolt's memory is valid only inside a
// transaction.
func (d *decoder) str() string {
	b, _ := d.next(d.uvarint())
	return string(b)
}

func (d *decoder) bool() bool {
	b, ok := d.next(1)
	return ok && b[0] != 0
}

func (d *decoder) time() time.Time {
	if !d.bool() {
		return time.Time{}
	}
	sec, nsec := d.varint(), d.uvarint()
	if nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *decoder) flags() omni.Flags {
	known := d.uvarint()
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return omni.Flags{}
	}
	var extra []string
	for range n {
		extra = append(extra, d.str())
	}
	return omni.FlagsFrom(uint32(known), extra)
}

// count reads a length that must fit in what is left, at min bytes an item,
// so a corrupt length cannot make the decoder allocate gigabytes.
func (d *decoder) count(min int) int {
	n := d.uvarint()
	if n > uint64(len(d.b)/min) {
		d.fail()
		return 0
	}
	return int(n)
}

func appendOrg(dst []byte, o *omni.Org) []byte {
	e := encoder{b: dst}
	e.varint(o.ID)
	e.str(o.Name)
	e.float(o.CostPerMin)
	e.float(o.Balance)
	e.str(o.Currency)
	e.varint(int64(o.ConcurrentCallLimit))
	e.str(o.Timezone)
	e.time(o.Created)
	e.uvarint(uint64(len(o.Users)))
	for i := range o.Users {
		u := &o.Users[i]
		e.varint(u.ID)
		e.str(u.Name)
		e.str(u.Email)
		e.str(u.Phone)
		e.time(u.LastLogin)
		e.bool(u.Active)
		e.time(u.Expiry)
		e.str(u.AccessLevel)
		e.flags(u.Menus)
	}
	return e.b
}

// minUserSize is the fewest bytes a user record can take: one for the id,
// each of the four strings, each time and the active flag, and two for the
// flags.
const minUserSize = 10

func decodeOrg(b []byte) (omni.Org, error) {
	d := decoder{b: b}
	o := omni.Org{
		ID:                  d.varint(),
		Name:                d.str(),
		CostPerMin:          d.float(),
		Balance:             d.float(),
		Currency:            d.str(),
		ConcurrentCallLimit: int(d.varint()),
		Timezone:            d.str(),
		Created:             d.time(),
	}
	if n := d.count(minUserSize); n > 0 {
		o.Users = make([]omni.User, n)
		for i := range o.Users {
			o.Users[i] = omni.User{
				ID:          d.varint(),
				Name:        d.str(),
				Email:       d.str(),
				Phone:       d.str(),
				LastLogin:   d.time(),
				Active:      d.bool(),
				Expiry:      d.time(),
				AccessLevel: d.str(),
				Menus:       d.flags(),
			}
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return omni.Org{}, fmt.Errorf("org record: %w", d.err)
	}
	return o, nil
}

// header is the part of a snapshot that is not an org.
func appendHeader(dst []byte, s *omni.Snapshot) []byte {
	e := encoder{b: dst}
	e.varint(s.Reseller.ID)
	e.str(s.Reseller.Name)
	e.varint(int64(s.Reseller.ConcurrentCallLimit))
	e.bool(s.HasScope)
	e.flags(s.Scope)
	e.varint(int64(s.TotalOrgs))
	e.varint(int64(s.TotalUsers))
	return e.b
}

func decodeHeader(b []byte, s *omni.Snapshot) error {
	d := decoder{b: b}
	s.Reseller.ID = d.varint()
	s.Reseller.Name = d.str()
	s.Reseller.ConcurrentCallLimit = int(d.varint())
	s.HasScope = d.bool()
	s.Scope = d.flags()
	s.TotalOrgs = int(d.varint())
	s.TotalUsers = int(d.varint())
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	if d.err != nil {
		return fmt.Errorf("snapshot header: %w", d.err)
	}
	return nil
}

// A delta lists what one poll replaced, so that history can be rebuilt
// backwards from the latest snapshot: for each org that changed, its record
// before the poll (or a tombstone if the poll added it), and the header
// before the poll if it changed.
const (
	deltaOrg      = 1 // id, previous record
	deltaOrgAdded = 2 // id: the org did not exist before
	deltaHeader   = 3 // previous header
)

type deltaEntry struct {
	kind byte
	id   int64
	old  []byte
}

func appendDelta(dst []byte, entries []deltaEntry) []byte {
	e := encoder{b: dst}
	for _, en := range entries {
		e.b = append(e.b, en.kind)
		e.varint(en.id)
		e.uvarint(uint64(len(en.old)))
		e.b = append(e.b, en.old...)
	}
	return e.b
}

func decodeDelta(b []byte) ([]deltaEntry, error) {
	d := decoder{b: b}
	var entries []deltaEntry
	for len(d.b) > 0 && d.err == nil {
		kind := d.b[0]
		d.b = d.b[1:]
		id := d.varint()
		old, ok := d.next(d.uvarint())
		if !ok || kind < deltaOrg || kind > deltaHeader {
			d.fail()
			break
		}
		entries = append(entries, deltaEntry{kind: kind, id: id, old: old})
	}
	if d.err != nil {
		return nil, fmt.Errorf("history delta: %w", d.err)
	}
	return entries, nil
}

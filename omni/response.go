package omni

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

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

// describeStart names a value by its first byte, as the reference decoder
// names a token.
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

package omni_test

// The encoding/json decoder that Decode had before its streaming decoder,
// kept as the reference the differential tests and the fuzzer hold Decode
// to, and for the benchmark that chose between them. It lives in a test
// file: the bot never runs it. Its types are internal/omniwire's, which
// bench/decoders feeds to other JSON libraries.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/resellerbot/resellerbot/internal/omniwire"
	"github.com/resellerbot/resellerbot/omni"
)

// decodeStd is Decode as it was with encoding/json: a token walk of the top
// level, and one Decode per org into the wire types.
func decodeStd(r io.Reader) (*omni.Snapshot, error) {
	dec := json.NewDecoder(r)
	snap, err := decodeTop(dec)
	if err != nil {
		var apiErr *omni.APIError
		if errors.As(err, &apiErr) {
			return nil, err
		}
		return nil, &omni.APIError{Kind: omni.ErrMalformed, Err: err}
	}
	return snap, nil
}

// reference is an org as the reference decodes it: a null user told from
// an empty one, and menus that a repeated key replaces, as Decode has them.
type reference = omniwire.Org[*omniwire.User[omniwire.MenuFlags]]

func decodeTop(dec *json.Decoder) (*omni.Snapshot, error) {
	if err := expectDelim(dec, '{', "the response"); err != nil {
		return nil, err
	}
	var (
		snap       omni.Snapshot
		success    omniwire.LooseBool
		sawSuccess bool
		sawOrgs    bool
		vendor     [len(omni.VendorKeys)][]byte
	)
	for dec.More() {
		key, err := objectKey(dec)
		if err != nil {
			return nil, err
		}
		switch key {
		case "success":
			sawSuccess = true
			err = dec.Decode(&success)
		case "reseller_organization":
			var w omniwire.Reseller
			if err = dec.Decode(&w); err == nil {
				snap.Reseller = w.Reseller()
			}
		case "organizations":
			sawOrgs = true
			snap.Orgs, err = decodeOrgs(dec)
		case "reseller_access_control":
			var w omniwire.AccessControl[omniwire.MenuFlags]
			if err = dec.Decode(&w); err == nil {
				snap.Scope, snap.HasScope = w.Menus.Flags(), w.Menus.Present()
			}
		case "total_organizations":
			var n omniwire.LooseInt
			err = dec.Decode(&n)
			snap.TotalOrgs = int(n)
		case "total_users_across_orgs":
			var n omniwire.LooseInt
			err = dec.Decode(&n)
			snap.TotalUsers = int(n)
		default:
			if i := slices.Index(omni.VendorKeys[:], key); i >= 0 {
				var raw json.RawMessage
				if err = dec.Decode(&raw); err == nil {
					vendor[i] = raw
				}
				break
			}
			err = dec.Decode(&skip{})
		}
		if err != nil {
			if key == "organizations" {
				return nil, err
			}
			return nil, fieldError(key, err)
		}
	}
	if err := expectDelim(dec, '}', "the response"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the response object")
	}
	if sawSuccess && !bool(success) {
		return nil, omni.VendorFailure(&vendor)
	}
	if !sawOrgs {
		return nil, errors.New(`no "organizations" in the response`)
	}
	snap.Normalize()
	if err := omni.CheckTotals(&snap); err != nil {
		return nil, err
	}
	return &snap, nil
}

// decodeOrgs streams the organizations array one element at a time.
func decodeOrgs(dec *json.Decoder) ([]omni.Org, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("want an array, got %s", describeToken(tok))
	}
	var orgs []omni.Org
	for i := 0; dec.More(); i++ {
		// A fresh value each time: encoding/json merges into what is there,
		// so reusing one would leak fields from the previous org.
		var w *reference
		if err := dec.Decode(&w); err != nil {
			return nil, fieldError(fmt.Sprintf("organizations[%d]", i), err)
		}
		org, err := w.Org()
		if err != nil {
			return nil, fmt.Errorf("organizations[%d]: %w", i, err)
		}
		orgs = append(orgs, org)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return orgs, nil
}

func expectDelim(dec *json.Decoder, want json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return fmt.Errorf("%s is empty", what)
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%s: want %q, got %s", what, string(want), describeToken(tok))
	}
	return nil
}

func objectKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("want an object key, got %s", describeToken(tok))
	}
	return key, nil
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return strconv.Quote(string(v))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// fieldError puts the JSON path in front of a decoding error, so that
// "organizations[12]: field users.login_date: …" says where the payload went
// wrong.
func fieldError(path string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s: field %s: cannot use %s", path, te.Field, te.Value)
	}
	return fmt.Errorf("%s: %w", path, err)
}

// skip discards a value of any type.
type skip struct{}

func (*skip) UnmarshalJSON([]byte) error { return nil }

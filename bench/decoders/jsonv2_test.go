//go:build goexperiment.jsonv2

package decoders

import (
	"encoding/json/jsontext"
	jsonv2 "encoding/json/v2"
	"errors"
	"io"

	"github.com/resellerbot/resellerbot/omni"
)

// Under GOEXPERIMENT=jsonv2, encoding/json/v2 joins the comparison. It
// calls the wire types' UnmarshalJSON methods (v1's interface) as
// encoding/json does. Note that under the experiment encoding/json itself
// runs on the v2 implementation, so its numbers change too.
func init() {
	libs = append(libs, lib{
		name: "encoding-json-v2",
		unmarshal: func(b []byte, v any) error {
			// v1's case-insensitive field names, as omni's decoder had.
			return jsonv2.Unmarshal(b, v, jsonv2.MatchCaseInsensitiveNames(true))
		},
		stream: streamV2,
	})
}

// streamV2 is streamStd with encoding/json/v2: jsontext reads tokens, and
// each org is unmarshaled from the stream, so memory holds one org's JSON
// at a time.
func streamV2(r io.Reader) (*omni.Snapshot, error) {
	dec := jsontext.NewDecoder(r)
	opts := jsonv2.MatchCaseInsensitiveNames(true)
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	var resp Response
	for dec.PeekKind() == '"' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		switch tok.String() {
		case "organizations":
			if _, err := dec.ReadToken(); err != nil {
				return nil, err
			}
			for dec.PeekKind() != ']' {
				var o WireOrg
				if err := jsonv2.UnmarshalDecode(dec, &o, opts); err != nil {
					return nil, err
				}
				resp.Orgs = append(resp.Orgs, o)
			}
			_, err = dec.ReadToken()
		case "success":
			err = jsonv2.UnmarshalDecode(dec, &resp.Success, opts)
		case "reseller_organization":
			err = jsonv2.UnmarshalDecode(dec, &resp.Reseller, opts)
		case "reseller_access_control":
			err = jsonv2.UnmarshalDecode(dec, &resp.AccessControl, opts)
		case "total_organizations":
			err = jsonv2.UnmarshalDecode(dec, &resp.TotalOrgs, opts)
		case "total_users_across_orgs":
			err = jsonv2.UnmarshalDecode(dec, &resp.TotalUsers, opts)
		default:
			err = dec.SkipValue()
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	if !resp.Success {
		return nil, errors.New("success is false")
	}
	return resp.Snapshot()
}

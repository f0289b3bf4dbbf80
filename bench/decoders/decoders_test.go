package decoders

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// The payload of the issue: 5,000 orgs of 10 users, about 39.5 MB.
const benchOrgs, benchUsersPerOrg, benchSeed = 5000, 10, 1

var payload = sync.OnceValue(func() []byte {
	return omnitest.Synthetic(benchOrgs, benchUsersPerOrg, benchSeed).AppendJSON(nil)
})

// lib is one JSON library, by its Unmarshal.
type lib struct {
	name      string
	unmarshal func([]byte, any) error
	// stream, if set, decodes from a reader org by org, as omni's old
	// decoder did with encoding/json.
	stream func(io.Reader) (*omni.Snapshot, error)
}

// libs are the libraries compared; a file built with GOEXPERIMENT=jsonv2
// adds encoding/json/v2.
var libs = []lib{
	{name: "encoding-json", unmarshal: json.Unmarshal, stream: streamStd},
	{name: "goccy-go-json", unmarshal: gojson.Unmarshal},
	// sonic.ConfigDefault is sonic's fast configuration; ConfigStd adds
	// encoding/json's checks at some cost.
	{name: "sonic", unmarshal: sonic.ConfigDefault.Unmarshal},
}

// decodeWire decodes a whole body into wire types and converts it.
func decodeWire(l lib, body []byte) (*omni.Snapshot, error) {
	var r Response
	if err := l.unmarshal(body, &r); err != nil {
		return nil, err
	}
	return r.Snapshot()
}

// TestLibrariesAgree checks that every library's wire decode gives the
// Snapshot omni.Decode gives, on the fixture and the synthetic payload, so
// that the benchmarks compare equal work.
func TestLibrariesAgree(t *testing.T) {
	bodies := map[string][]byte{
		"fixture":   omnitest.FixtureJSON(),
		"synthetic": omnitest.Synthetic(300, 10, 2).AppendJSON(nil),
	}
	for name, body := range bodies {
		want, err := omni.Decode(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range libs {
			got, err := decodeWire(l, body)
			if err != nil {
				t.Fatalf("%s, %s: %v", l.name, name, err)
			}
			if ok, why := Equal(got, want); !ok {
				t.Errorf("%s, %s: differs from omni.Decode: %s", l.name, name, why)
			}
			if l.stream != nil {
				got, err := l.stream(bytes.NewReader(body))
				if err != nil {
					t.Fatalf("%s stream, %s: %v", l.name, name, err)
				}
				if ok, why := Equal(got, want); !ok {
					t.Errorf("%s stream, %s: differs from omni.Decode: %s", l.name, name, why)
				}
			}
			var p Plain
			if err := l.unmarshal(body, &p); err != nil {
				t.Errorf("%s plain, %s: %v", l.name, name, err)
			}
		}
	}
}

// BenchmarkDecode decodes the 5000×10 payload from memory with each
// decoder. The hand-written decoder reads through an io.Reader with a 64 KiB
// buffer; the libraries' Unmarshal needs the whole body as one []byte.
func BenchmarkDecode(b *testing.B) {
	body := payload()
	report := func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
	}
	b.Run("omni.Decode", func(b *testing.B) {
		report(b)
		for b.Loop() {
			snap, err := omni.Decode(bytes.NewReader(body))
			if err != nil || len(snap.Orgs) != benchOrgs {
				b.Fatal(err)
			}
		}
	})
	for _, l := range libs {
		b.Run(l.name+"/wire", func(b *testing.B) {
			report(b)
			for b.Loop() {
				snap, err := decodeWire(l, body)
				if err != nil || len(snap.Orgs) != benchOrgs {
					b.Fatal(err)
				}
			}
		})
		if l.stream != nil {
			b.Run(l.name+"/stream", func(b *testing.B) {
				report(b)
				for b.Loop() {
					snap, err := l.stream(bytes.NewReader(body))
					if err != nil || len(snap.Orgs) != benchOrgs {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(l.name+"/plain", func(b *testing.B) {
			report(b)
			for b.Loop() {
				var p Plain
				if err := l.unmarshal(body, &p); err != nil || len(p.Orgs) != benchOrgs {
					b.Fatal(err)
				}
			}
		})
	}
}

// streamStd is omni's previous decoder in short: a token walk of the top
// level and one Decode per org into wire types, so memory holds one org's
// JSON at a time. (It skips decodeStd's error reporting and vendor
// failures, which cost nothing on a good payload.)
func streamStd(r io.Reader) (*omni.Snapshot, error) {
	dec := json.NewDecoder(r)
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var resp Response
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch tok {
		case "organizations":
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			for dec.More() {
				var o WireOrg
				if err := dec.Decode(&o); err != nil {
					return nil, err
				}
				resp.Orgs = append(resp.Orgs, o)
			}
			_, err = dec.Token()
		case "success":
			err = dec.Decode(&resp.Success)
		case "reseller_organization":
			err = dec.Decode(&resp.Reseller)
		case "reseller_access_control":
			err = dec.Decode(&resp.AccessControl)
		case "total_organizations":
			err = dec.Decode(&resp.TotalOrgs)
		case "total_users_across_orgs":
			err = dec.Decode(&resp.TotalUsers)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if !resp.Success {
		return nil, errors.New("success is false")
	}
	return resp.Snapshot()
}

func ExampleEqual() {
	body := omnitest.FixtureJSON()
	a, _ := omni.Decode(bytes.NewReader(body))
	b, _ := decodeWire(libs[0], body)
	fmt.Println(Equal(a, b))
	// Output: true
}

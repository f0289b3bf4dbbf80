package omni_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// The tests here hold Decode (the hand-written decoder) to decodeStd (the
// encoding/json decoder it replaced): same success or failure, same kind of
// failure, same snapshot. compareDecoders lists the one deliberate
// difference.

// body wraps org JSON objects into a minimal valid response.
func body(orgs ...string) string {
	return `{"success":true,"reseller_organization":{"id":1,"name":"R","concurrent_call_limit":3},"organizations":[` +
		strings.Join(orgs, ",") + `],"total_organizations":` + fmt.Sprint(len(orgs)) + `}`
}

// withUser wraps a user JSON object into an org, and that into a response.
func withUser(user string) string {
	return body(`{"id":10,"name":"Org","cost_per_min":0.1,"org_balance":5,"users":[` + user + `]}`)
}

// quirkBodies are responses that exercise every rule of the payload and of
// encoding/json that Decode must follow. They seed the fuzzer too.
func quirkBodies() []string {
	var bodies []string
	add := func(b ...string) { bodies = append(bodies, b...) }

	// Top level.
	add(``, ` `, "\t\r\n", `null`, `[]`, `[1,2]`, `"x"`, `12`, `true`, `{}`, `{} `, `{}x`, `{}{}`, `{`, `{"`,
		`}`, `]`, `<html><body>oops</body></html>`, "\xef\xbb\xbf{}",
		`{"success":true}`, `{"success":true,"organizations":[]}`, `{"organizations":[]} {}`,
		`{"organizations":[]}   `, `{"organizations":null}`, `{"organizations":{"a":1}}`, `{"organizations":"x"}`,
		`{"organizations":5}`, `{"organizations":true}`, `{"organizations":tru}`, `{"organizations":[],}`,
		`{"organizations":[] "x":1}`, `{"organizations" []}`, `{organizations:[]}`, `{"organizations":[],"organizations":[{"id":1}]}`,
		`{"organizations":[{"id":1}],"organizations":null}`, `{"Organizations":[]}`, `{"organiz\u0061tions":[]}`,
		` { "organizations" : [ { "id" : 1 , "users" : [ { "id" : 2 } ] } ] } `)
	// Orgs.
	add(body(`null`), body(`{"id":1},null,{"id":2}`), body(`5`), body(`"x"`), body(`[]`), body(`{}`), body(`{"id":1},`),
		body(`{"id":1}{"id":2}`), body(`{"id":1,}`), body(`{"id":1 "name":"x"}`),
		body(`{"id":"77"}`), body(`{"id":" 77 "}`), body(`{"id":"7.0"}`), body(`{"id":7.0}`), body(`{"id":1e3}`),
		body(`{"id":"1e3"}`), body(`{"id":"0x10"}`), body(`{"id":9007199254740993}`), body(`{"id":1e20}`),
		body(`{"id":"-0"}`), body(`{"id":-0.0}`), body(`{"id":"+5"}`), body(`{"id":"null"}`), body(`{"id":""}`),
		body(`{"id":"  "}`), body(`{"id":"Infinity"}`), body(`{"id":"NaN"}`), body(`{"id":"1_000"}`), body(`{"id":1.5}`),
		body(`{"id":true}`), body(`{"id":{}}`), body(`{"id":[]}`), body(`{"id":"\u0031"}`), body(`{"id":01}`),
		body(`{"id":-}`), body(`{"id":1.}`), body(`{"id":1e}`), body(`{"id":.5}`), body(`{"id":99999999999999999999}`),
		body(`{"id":-9223372036854775808}`), body(`{"id":"9223372036854775808"}`),
		body(`{"id":1,"org_balance":"1234.50","cost_per_min":"0.09"}`), body(`{"id":1,"org_balance":"0x1p-2"}`),
		body(`{"id":1,"org_balance":"inf"}`), body(`{"id":1,"org_balance":1e400}`), body(`{"id":1,"org_balance":"-0"}`),
		body(`{"id":1,"org_balance":"1_000.5"}`), body(`{"id":1,"org_balance":null,"cost_per_min":"null"}`),
		body(`{"id":1,"org_balance":"\u0031"}`), body(`{"id":1,"org_balance":false}`), body(`{"id":1,"org_balance":"  2.5\n"}`),
		body(`{"id":1,"org_user_currency_symbol":"€"}`), body(`{"id":1,"reseller_org_balance_currency_symbol":"","org_user_currency_symbol":"£"}`),
		body(`{"id":1,"reseller_org_balance_currency_symbol":null,"org_user_currency_symbol":false}`),
		body(`{"id":1,"reseller_org_balance_currency_symbol":"$","org_user_currency_symbol":"€"}`),
		body(`{"id":1,"timezone":7,"concurrent_call_limit":"3","created_date":"2025-10-09T10:20:58.220633"}`),
		body(`{"id":3,"name":"C","users":[{"id":9},{"id":2},{"id":9,"name":"dup"}]}`, `{"id":1,"name":"A"}`, `{"id":3,"name":"C again"}`),
		body(`{"ID":1,"NAME":"x","Users":[{"Id":2,"EMAIL":"e","Dashboard_Menu_Access":{"is_leads_access":true}}]}`),
		body(`{"id":1,"nam\u0065":"escaped key"}`), body(`{"id":1,"na\u017fme":"no"}`),
		body(`{"id":1,"timezone":"UTC","users":[{"id":5,"name":"X"}]}`, `{"id":2}`),
		body(`{"id":1,"api_key":"sk-live-0123","users":[{"id":2,"api_key":"k","token":{"a":[1,{"b":null}]}}]}`),
		body(`{"id":1,"users":null}`), body(`{"id":1,"users":[]}`), body(`{"id":1,"users":{}}`), body(`{"id":1,"users":"x"}`),
		body(`{"id":1,"users":[1]}`), body(`{"id":1,"users":[[]]}`), body(`{"id":1,"users":[null]}`), body(`{"id":1,"users":[null,{"id":2}]}`),
		body(`{"id":1,"users":[{"id":1}],}`), body(`{"id":1,"users":[{"id":1},]}`),
		// A repeated "users" merges into the first, element by element.
		body(`{"id":1,"users":[{"id":1,"name":"A"},{"id":2}],"users":[{"id":3}]}`),
		body(`{"id":1,"users":[{"id":1,"name":"a"},{"id":2,"name":"b"}],"users":[{"id":5}],"users":[{},{}]}`),
		body(`{"id":1,"users":[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3}],"users":[],"users":[{"id":4}]}`),
		body(`{"id":1,"users":[{"id":1,"name":"a"}],"users":null,"users":[{"id":4}]}`),
		body(`{"id":1,"users":[{"id":1,"name":"a","phone":"1"}],"users":[{"phone":null},{"id":2},{"id":3}],"users":[null,null,null,null,{}]}`),
		body(`{"id":1,"users":[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5},{"id":6},{"id":7},{"id":8},{"id":9}],"users":[{},{}],"users":[{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}]}`),
		body(`{"id":1,"users":[{"id":1,"name":"a","name":null}]}`), body(`{"id":1,"users":[{"id":1,"name":null,"name":"b"}]}`),
		body(`{"id":1,"users":[{"id":1,"email":"a","email":"b","phone":false,"phone":"c"}]}`))
	// Users.
	for _, u := range []string{
		`{"id":1,"phone":false}`, `{"id":1,"phone":null}`, `{"id":1,"phone":true}`, `{"id":1,"phone":"+44 20 7946 0000"}`,
		`{"id":1,"phone":15551234567}`, `{"id":1,"phone":-1.5e3}`, `{"id":1,"phone":""}`, `{"id":1,"phone":{}}`, `{"id":1,"phone":[]}`,
		`{"id":1,"login_date":"2026-04-23T11:00:06.685330"}`, `{"id":1,"login_date":"2026-04-23T13:00:06+02:00"}`,
		`{"id":1,"login_date":"2026-04-23T11:00:06"}`, `{"id":1,"login_date":"2026-04-23 11:00:06.5"}`,
		`{"id":1,"login_date":"2026-04-23"}`, `{"id":1,"login_date":"2026-04-23 11:00:06+02:00"}`,
		`{"id":1,"login_date":"2026-04-23T11:00:06Z"}`, `{"id":1,"login_date":"2026-04-23T11:00:06.5Z"}`,
		`{"id":1,"login_date":null}`, `{"id":1,"login_date":false}`, `{"id":1,"login_date":true}`, `{"id":1,"login_date":""}`,
		`{"id":1,"login_date":"  "}`, `{"id":1,"login_date":" 2026-04-23T11:00:06 "}`, `{"id":1,"login_date":0}`,
		`{"id":1,"login_date":"yesterday"}`, `{"id":1,"login_date":"2026-02-30T00:00:00"}`, `{"id":1,"login_date":"2024-02-29T00:00:00"}`,
		`{"id":1,"login_date":"2023-02-29T00:00:00"}`, `{"id":1,"login_date":"2026-04-23T24:00:00"}`, `{"id":1,"login_date":"2026-04-23T23:60:00"}`,
		`{"id":1,"login_date":"2026-04-23T23:59:60"}`, `{"id":1,"login_date":"2026-13-01T00:00:00"}`, `{"id":1,"login_date":"2026-00-01T00:00:00"}`,
		`{"id":1,"login_date":"2026-04-00T00:00:00"}`, `{"id":1,"login_date":"2026-04-23T1:00:06"}`, `{"id":1,"login_date":"2026-04-23T11:00:06,5"}`,
		`{"id":1,"login_date":"2026-04-23T11:00:06."}`, `{"id":1,"login_date":"2026-04-23T11:00:06.1234567891234"}`,
		`{"id":1,"login_date":"\u0032026-04-23T11:00:06"}`, `{"id":1,"login_date":"0000-01-01T00:00:00"}`,
		`{"id":1,"login_date":"9999-12-31T23:59:59.999999999"}`, `{"id":1,"login_date":"1900-02-29T00:00:00"}`,
		`{"id":1,"login_date":"2000-02-29T00:00:00"}`, `{"id":1,"login_date":"2026-04-23t11:00:06"}`, `{"id":1,"login_date":"2026-04-23T11:00:06x"}`,
		`{"id":1,"expiry_date":"2027-01-01T00:00:00"}`, `{"id":1,"expiry_date":{}}`,
		`{"id":1,"access_level":false}`, `{"id":1,"access_level":"admin"}`, `{"id":1,"access_level":3}`, `{"id":1,"access_level":true}`,
		`{"id":1,"access_level":null}`, `{"id":1,"access_level":[1]}`,
		`{"id":1,"is_active":0}`, `{"id":1,"is_active":1}`, `{"id":1,"is_active":2}`, `{"id":1,"is_active":"true"}`, `{"id":1,"is_active":"TRUE"}`,
		`{"id":1,"is_active":"Yes"}`, `{"id":1,"is_active":"no"}`, `{"id":1,"is_active":"null"}`, `{"id":1,"is_active":""}`, `{"id":1,"is_active":"1"}`,
		`{"id":1,"is_active":"0"}`, `{"id":1,"is_active":"maybe"}`, `{"id":1,"is_active":"\u0074rue"}`, `{"id":1,"is_active":1.0}`,
		`{"id":1,"is_active":-0}`, `{"id":1,"is_active":null}`, `{"id":1,"is_active":{}}`, `{"id":1,"is_active":" true"}`,
		`{"id":1,"name":"N","nickname":{"a":[1,2,{"b":null}]},"tags":["x"],"score":1e9}`,
		`{"id":1,"dashboard_menu_access":{"is_bots_menu_access":true}}`,
		`{"id":1,"dashboard_menu_access":{"is_sms_campaign_access":true,"is_zeta_access":false}}`,
		`{"id":1,"dashboard_menu_access":{"is_omni_crm_access":true}}`, `{"id":1,"dashboard_menu_access":null}`,
		`{"id":1,"dashboard_menu_access":{}}`, `{"id":1,"dashboard_menu_access":[]}`, `{"id":1,"dashboard_menu_access":true}`,
		`{"id":1,"dashboard_menu_access":"x"}`, `{"id":1,"dashboard_menu_access":{"is_leads_access":{}}}`,
		`{"id":1,"dashboard_menu_access":{"is_leads_access":"yes","is_bots_menu_access":1,"is_workflow_access":"TRUE"}}`,
		`{"id":1,"dashboard_menu_access":{"is_leads_access":0,"is_bots_menu_access":"0","is_workflow_access":"","x":null}}`,
		`{"id":1,"dashboard_menu_access":{"is_leads_access":2}}`, `{"id":1,"dashboard_menu_access":{"is_leads_access":"maybe"}}`,
		`{"id":1,"dashboard_menu_access":{"x":true,"x":false}}`, `{"id":1,"dashboard_menu_access":{"x":false,"x":true}}`,
		`{"id":1,"dashboard_menu_access":{"is_bots_menu_access":true,"is_bots_menu_access":false}}`,
		`{"id":1,"dashboard_menu_access":{"a":true,"b":true,"a":false,"c":true}}`,
		`{"id":1,"dashboard_menu_access":{"is_leads\u005faccess":true,"IS_BOTS_MENU_ACCESS":true}}`,
		`{"id":1,"dashboard_menu_access":{"\u00e9t\u00e9":true,"\ud83d\ude00":true}}`,
		"{\"id\":1,\"dashboard_menu_access\":{\"bad\xffkey\":true}}",
		`{"id":1,"dashboard_menu_access":{"is_leads_access":true},"dashboard_menu_access":{"is_bots_menu_access":true}}`,
		`{"id":1,"dashboard_menu_access":{"is_leads_access" : true , "is_bots_menu_access" :false }}`,
		`{"id":1,"dashboard_menu_access":{"is_leads_access":tru}}`, `{"id":1,"dashboard_menu_access":{"is_leads_access":falsey}}`,
		`{"id":1,"dashboard_menu_access":{"is_leads_access":true,}}`, `{"id":1,"dashboard_menu_access":{"is_leads_access":true"x":1}}`,
		`{"id":"77"}`, `{"id":1,"name":"\u003c!channel\u003e \"Q\""}`,
		`{"id":1,"name":"\/\b\f\n\r\t\u0000\\"}`, `{"id":1,"name":"\ud83d\ude00 pair"}`, `{"id":1,"name":"\ud83d alone"}`,
		`{"id":1,"name":"\ude00 low"}`, `{"id":1,"name":"\ud83d\u0041"}`, `{"id":1,"name":"\ud83d\ud83d\ude00"}`,
		`{"id":1,"name":"\uD83D\uDE00"}`, `{"id":1,"name":"\x"}`, `{"id":1,"name":"\u12"}`, `{"id":1,"name":"\u12G4"}`,
		"{\"id\":1,\"name\":\"tab\there\"}", "{\"id\":1,\"name\":\"bad \xff byte\"}", "{\"id\":1,\"name\":\"bad \xff byte \\n escaped\"}",
		"{\"id\":1,\"name\":\"surrogate \xed\xa0\x80 in UTF-8\"}", "{\"id\":1,\"name\":\"overlong \xc0\xaf\"}",
		"{\"id\":1,\"name\":\"cut \xe2\x82\"}", "{\"id\":1,\"email\":\"Zoë Müller\"}",
		`{"id":1,"iſ_active":true,"dashboard_menu_acceſs":{"is_leads_access":true}}`,
		`{"id":1,"ID":2,"Id":3}`, `{"ıd":5}`,
	} {
		add(withUser(u))
	}
	// The reseller, its scope, totals and the vendor's failures.
	add(`{"reseller_organization":null,"organizations":[]}`, `{"reseller_organization":{"ID":"5","Name":7},"organizations":[]}`,
		`{"reseller_organization":[],"organizations":[]}`, `{"reseller_organization":"x","organizations":[]}`,
		`{"reseller_organization":{"id":1,"name":"A"},"reseller_organization":{"id":2},"organizations":[]}`,
		`{"reseller_access_control":null,"organizations":[]}`, `{"reseller_access_control":5,"organizations":[]}`,
		`{"reseller_access_control":{"DASHBOARD_MENU_ACCESS":{"is_bots_menu_access":true},"x":[]},"organizations":[]}`,
		`{"reseller_access_control":{"dashboard_menu_access":{"is_bots_menu_access":true}},"reseller_access_control":{},"organizations":[]}`,
		`{"reseller_access_control":{"dashboard_menu_access":null},"organizations":[]}`,
		`{"total_organizations":"12","total_users_across_orgs":1.0,"organizations":[]}`,
		`{"total_organizations":null,"organizations":[]}`, `{"total_organizations":"x","organizations":[]}`,
		`{"success":"no","organizations":[]}`, `{"success":0,"organizations":[]}`, `{"success":null,"organizations":[]}`,
		`{"success":"YES","organizations":[]}`, `{"success":"\u0074rue","organizations":[]}`, `{"success":2,"organizations":[]}`,
		`{"success":true,"success":false}`, `{"success":false,"success":true,"organizations":[]}`,
		`{"success":false}`, `{"success":false,"error":"Reseller disabled"}`,
		`{"success":false,"error":"forbidden","error_description":"Account suspended"}`,
		`{"success":false,"error":"same","message":"SAME"}`, `{"success":false,"error":{"code":1, "why" : [ "a" ]}}`,
		`{"success":false,"detail":[{"msg":"x"}]}`, `{"success":false,"message":"  "}`, `{"success":false,"error":null,"message":"m"}`,
		`{"success":false,"error":12,"detail":true}`, `{"success":false,"error":"a","error":"b"}`,
		`{"success":false,"error":"\u00e9\ud83d"}`, "{\"success\":false,\"error\":\"raw \xff\"}",
		`{"success":false,"error":"x","organizations":5}`, `{"success":false,"error":"x"} x`, `{"error":"x","organizations":[]}`,
		`{"success":false,"message":"`+strings.Repeat("long ", 1000)+`"}`,
		`{"x":{"y":[true,false,null,1,-1.5e-3,"s",{}]},"organizations":[]}`, `{"x":[1,2,],"organizations":[]}`,
		`{"x":{"a" 1},"organizations":[]}`, `{"x":{1:2},"organizations":[]}`, `{"x":[}],"organizations":[]}`,
		`{"x":nul,"organizations":[]}`, `{"x":"\q","organizations":[]}`, `{"x":"`+"\x01"+`","organizations":[]}`,
		`{"x":-01,"organizations":[]}`, `{"x":1.5e+,"organizations":[]}`, `{"x":0.1E-7,"organizations":[]}`)
	return bodies
}

// fixUTF8 replaces each byte of s that is not valid UTF-8 with U+FFFD, as
// encoding/json does when it unescapes a string.
func fixUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// compareDecoders decodes data with Decode and decodeStd and fails unless
// both fail with the same kind of error, or both succeed with equal
// snapshots. It returns Decode's result.
//
// The one deliberate difference: Decode replaces invalid UTF-8 in every
// string with U+FFFD, as encoding/json does when it unescapes a string,
// while decodeStd kept a string without escapes byte for byte (its unquote
// fast path). The comparison therefore cleans decodeStd's strings first.
func compareDecoders(t testing.TB, data []byte) (*omni.Snapshot, error) {
	t.Helper()
	got, err := omni.Decode(bytes.NewReader(data))
	want, wantErr := decodeStd(bytes.NewReader(data))
	if err != nil {
		var apiErr *omni.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("Decode(%q): error %T is not an *omni.APIError: %v", clip(data), err, err)
		}
		if apiErr.Kind != omni.ErrMalformed && apiErr.Kind != omni.ErrVendor {
			t.Fatalf("Decode(%q): error of kind %v: %v", clip(data), apiErr.Kind, err)
		}
		if got != nil {
			t.Fatalf("Decode(%q) returned a snapshot with error %v", clip(data), err)
		}
	}
	switch {
	case err != nil && wantErr == nil:
		t.Fatalf("Decode(%q) failed where decodeStd succeeds: %v", clip(data), err)
	case err == nil && wantErr != nil:
		t.Fatalf("Decode(%q) succeeded where decodeStd fails: %v", clip(data), wantErr)
	case err != nil:
		var a, b *omni.APIError
		errors.As(err, &a)
		errors.As(wantErr, &b)
		if a.Kind != b.Kind || a.Message != b.Message {
			t.Fatalf("Decode(%q) = %v; decodeStd: %v", clip(data), err, wantErr)
		}
		return nil, err
	}
	cleanStrings(want)
	if repeatsUsers(data) {
		// Deliberate: decodeStd merges a repeated "users" element by
		// element, as encoding/json does; Decode lets the last one win.
		return got, nil
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Decode(%q) differs from decodeStd:\n got %+v\nwant %+v", clip(data), got, want)
	}
	return got, nil
}

// repeatsUsers reports whether an org object in data has the key "users"
// (in any case, as encoding/json matches keys) more than once.
func repeatsUsers(data []byte) bool {
	type frame struct {
		obj, expectKey, org, orgs bool
		key                       string
		users                     int
	}
	var stack []*frame
	top := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	valueDone := func() {
		if f := top(); f != nil && f.obj {
			f.expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		parent := top()
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{obj: true, expectKey: true, org: parent != nil && parent.orgs})
			case '[':
				orgs := len(stack) == 1 && parent.obj && strings.EqualFold(parent.key, "organizations")
				stack = append(stack, &frame{orgs: orgs})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if parent != nil && parent.obj && parent.expectKey {
				parent.key, parent.expectKey = v, false
				if parent.org && strings.EqualFold(v, "users") {
					if parent.users++; parent.users > 1 {
						return true
					}
				}
				continue
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// cleanStrings applies fixUTF8 to the strings that decodeStd copies from
// the body.
func cleanStrings(s *omni.Snapshot) {
	s.Reseller.Name = fixUTF8(s.Reseller.Name)
	for i := range s.Orgs {
		o := &s.Orgs[i]
		o.Name, o.Currency, o.Timezone = fixUTF8(o.Name), fixUTF8(o.Currency), fixUTF8(o.Timezone)
		for j := range o.Users {
			u := &o.Users[j]
			u.Name, u.Email, u.Phone, u.AccessLevel = fixUTF8(u.Name), fixUTF8(u.Email), fixUTF8(u.Phone), fixUTF8(u.AccessLevel)
		}
	}
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

func TestDecodeMatchesStd(t *testing.T) {
	for _, b := range quirkBodies() {
		compareDecoders(t, []byte(b))
	}
}

func TestDecodeMatchesStdOnFixtureAndSynthetic(t *testing.T) {
	fixture := omnitest.FixtureJSON()
	if snap, err := compareDecoders(t, fixture); err != nil || len(snap.Orgs) != 2 {
		t.Fatalf("fixture: %v", err)
	}
	// Every truncation of the fixture fails, as it does for decodeStd.
	for n := range len(fixture) - 1 {
		compareDecoders(t, fixture[:n])
	}
	synth := omnitest.Synthetic(200, 10, 7).AppendJSON(nil)
	if snap, err := compareDecoders(t, synth); err != nil || len(snap.Orgs) != 200 || snap.UserCount() != 2000 {
		t.Fatalf("synthetic: %v", err)
	}
}

// TestDecodeReaders feeds bodies through readers that return little at a
// time, so that every token spans refills.
func TestDecodeReaders(t *testing.T) {
	bodies := append(quirkBodies(), string(omnitest.FixtureJSON()), string(omnitest.Synthetic(20, 5, 3).AppendJSON(nil)))
	readers := map[string]func(io.Reader) io.Reader{
		"one byte":  iotest.OneByteReader,
		"half":      iotest.HalfReader,
		"data+EOF":  iotest.DataErrReader,
		"one+EOF":   func(r io.Reader) io.Reader { return iotest.DataErrReader(iotest.OneByteReader(r)) },
		"zero runs": func(r io.Reader) io.Reader { return &stutterReader{r: r} },
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			for _, b := range bodies {
				want, wantErr := omni.Decode(strings.NewReader(b))
				got, err := omni.Decode(wrap(strings.NewReader(b)))
				if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
					t.Fatalf("%q: error %v, want %v", clip([]byte(b)), err, wantErr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%q: got %+v, want %+v", clip([]byte(b)), got, want)
				}
			}
		})
	}
}

// stutterReader returns one byte, then nothing (0, nil), in turn.
type stutterReader struct {
	r    io.Reader
	skip bool
}

func (s *stutterReader) Read(p []byte) (int, error) {
	s.skip = !s.skip
	if s.skip || len(p) == 0 {
		return 0, nil
	}
	return s.r.Read(p[:1])
}

// TestDecodeReaderErrors checks that a failing reader's error comes out of
// Decode, wrapped, so that the client can tell a broken connection from a
// bad payload.
func TestDecodeReaderErrors(t *testing.T) {
	errBoom := errors.New("connection reset by peer")
	full := omnitest.FixtureJSON()
	cuts := []int{0, 1, 5, 100, 400, 999, len(full) - 1}
	for _, n := range cuts {
		for name, r := range map[string]io.Reader{
			"then error":          io.MultiReader(bytes.NewReader(full[:n]), iotest.ErrReader(errBoom)),
			"one byte then error": io.MultiReader(iotest.OneByteReader(bytes.NewReader(full[:n])), iotest.ErrReader(errBoom)),
		} {
			_, err := omni.Decode(r)
			if !errors.Is(err, errBoom) || !errors.Is(err, omni.ErrMalformed) {
				t.Errorf("cut at %d, %s: error %v does not wrap the reader's error", n, name, err)
			}
		}
	}
	// A reader that fails at once.
	if _, err := omni.Decode(iotest.ErrReader(errBoom)); !errors.Is(err, errBoom) {
		t.Errorf("ErrReader: %v", err)
	}
	// iotest.TimeoutReader fails its second read with no data.
	if _, err := omni.Decode(iotest.TimeoutReader(iotest.OneByteReader(bytes.NewReader(full)))); !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("TimeoutReader: %v", err)
	}
	// After the whole object, an error is still an error: the body may
	// have gone on.
	if _, err := omni.Decode(io.MultiReader(bytes.NewReader(full), iotest.ErrReader(errBoom))); !errors.Is(err, errBoom) {
		t.Errorf("error after the object: %v", err)
	}
	// The end of the body in the middle of a value is io.ErrUnexpectedEOF.
	if _, err := omni.Decode(bytes.NewReader(full[:len(full)/2])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v", err)
	}
	// A reader that returns nothing forever is io.ErrNoProgress.
	if _, err := omni.Decode(&stutterReader{r: iotest.ErrReader(io.ErrNoProgress), skip: true}); err == nil {
		t.Error("a reader that never returns data decoded")
	}
}

// TestDecodeBufferBoundaries puts the end of the decoder's buffer at every
// byte of a body full of escapes, numbers and literals, by padding it with
// whitespace.
func TestDecodeBufferBoundaries(t *testing.T) {
	tail := withUser(`{"id":"12","name":"Zoë \u00e9\ud83d\ude00 \"q\" \\","email":"x@example.com","phone":15551234567,` +
		`"login_date":"2026-04-23T11:00:06.685330","is_active":"yes","expiry_date":null,"access_level":-1.5e3,` +
		"\"bad\":\"\xff\xfe\",\"dashboard_menu_access\":{\"is_leads_access\":true,\"is_x_access\":\"1\",\"is_bots_menu_access\":false}," +
		`"extra":[1,{"a":[null,true,false]},"\u0041"]}`)
	want, err := omni.Decode(strings.NewReader(tail))
	if err != nil {
		t.Fatal(err)
	}
	for shift := range len(tail) + 2 {
		pad := omni.ScanBufSize - len(tail) + shift
		b := strings.Repeat(" ", pad) + tail
		got, err := omni.Decode(strings.NewReader(b))
		if err != nil {
			t.Fatalf("boundary at byte %d: %v", len(tail)-shift, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("boundary at byte %d: got %+v, want %+v", len(tail)-shift, got, want)
		}
	}
}

// TestDecodeHugeTokens decodes strings and numbers far longer than the
// read buffer: a 10 MB name, and tokens of a few buffers compared with
// decodeStd.
func TestDecodeHugeTokens(t *testing.T) {
	huge := strings.Repeat("Acme é ", 10<<20/8)
	b := body(`{"id":1,"name":"` + huge + `","users":[{"id":2,"name":"` + huge[:1000] + `"}]}`)
	snap, err := omni.Decode(iotest.HalfReader(strings.NewReader(b)))
	if err != nil || snap.Orgs[0].Name != huge || snap.Orgs[0].Users[0].Name != huge[:1000] {
		t.Fatalf("10 MB name: %v", err)
	}
	name := strings.Repeat("Acme é ", 5*omni.ScanBufSize/8)
	escaped := strings.Repeat(`\u00e9\"`, omni.ScanBufSize/2)
	digits := strings.Repeat("1", 3*omni.ScanBufSize)
	for _, b := range []string{
		body(`{"id":1,"name":"` + name + `"}`),
		body(`{"id":1,"name":"` + escaped + `"}`),
		body(`{"id":1,"note":"` + name + `","users":[{"id":2,"phone":"` + name + `"}]}`),
		body(`{"id":1,"` + name + `":1}`),
		body(`{"id":1,"phone":` + digits + `}`),
		body(`{"id":1,"org_balance":0.` + digits + `}`),
		body(`{"id":1,"x":[` + strings.Repeat(`"a",`, omni.ScanBufSize/2) + `1]}`),
		`{"success":false,"error":"` + name + `"}`,
	} {
		compareDecoders(t, []byte(b))
	}
}

// TestDecodeDepth checks the nesting limit, which encoding/json counts from
// the start of each value it decodes, and that depth cannot overflow the
// stack.
func TestDecodeDepth(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, n := range []int{9996, 9997, 9998, 9999, 10000, 10001} {
		compareDecoders(t, []byte(`{"x":`+nest(n)+`,"organizations":[]}`))
		compareDecoders(t, []byte(body(`{"id":1,"x":`+nest(n)+`}`)))
		compareDecoders(t, []byte(withUser(`{"id":1,"x":`+nest(n)+`}`)))
		compareDecoders(t, []byte(`{"success":false,"error":`+nest(n)+`}`))
		compareDecoders(t, []byte(`{"reseller_organization":{"x":`+nest(n)+`},"organizations":[]}`))
	}
	deep := `{"x":` + strings.Repeat(`{"a":[`, 1<<20) + `]}` + `,"organizations":[]}`
	if _, err := omni.Decode(strings.NewReader(deep)); err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("a million levels: %v", err)
	}
}

// TestDecodeErrorMessages checks that errors say where the payload went
// wrong.
func TestDecodeErrorMessages(t *testing.T) {
	tests := []struct{ body, want string }{
		{withUser(`{"id":1,"login_date":"yesterday"}`), "organizations[0]: field users.login_date: cannot use a string of 9 bytes (users[0])"},
		{withUser(`{"id":1,"dashboard_menu_access":{"is_leads_access":{}}}`), "organizations[0]: field users.dashboard_menu_access.is_leads_access: cannot use object"},
		{body(`{"id":1}`, `{"id":"x"}`), "organizations[1]: field id: cannot use a string of 1 bytes"},
		{`{"organizations":[{"id":1 "name":"x"}]}`, `organizations[0]: invalid character '"' after object key:value pair (at byte 26)`},
		{`{"organizations":[]} {}`, "unexpected data after the response object"},
		{`{"success":2,"organizations":[]}`, "success: cannot use number 2"},
		{`{"reseller_organization":{"id":[]},"organizations":[]}`, "reseller_organization: field id: cannot use array"},
		{``, "the response is empty"},
		{`[1,2]`, `the response: want "{", got "["`},
		{`{"organizations":[{"id":1`, "organizations[0]: unexpected EOF"},
	}
	for _, tt := range tests {
		_, err := omni.Decode(strings.NewReader(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%q) = %v, want an error saying %q", clip([]byte(tt.body)), err, tt.want)
		}
	}
}

// TestDecodeAllocations checks that decoding allocates what the snapshot
// keeps, not per token.
func TestDecodeAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	b := omnitest.Synthetic(100, 10, 1).AppendJSON(nil)
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := omni.Decode(bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	})
	// About two per org (its name, its users' strings), a few slabs of
	// users, the growing orgs slice and the buffer.
	if allocs > 300 {
		t.Errorf("%v allocations for 100 orgs × 10 users", allocs)
	}
}

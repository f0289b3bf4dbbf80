package omnitest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// A test serves the vendor's example, makes the vendor rate-limit one poll,
// then lowers a balance and sees it in the next poll.
func ExampleNewServer() {
	s := omnitest.NewServer(nil) // the vendor's example response
	defer s.Close()

	get := func() *http.Response {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/reseller/organizations", nil)
		req.Header.Set("Authorization", "Bearer "+omnitest.DefaultAPIKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		return resp
	}

	s.Fail(omnitest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "30", Times: 1})
	resp := get()
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))

	if err := s.SetBalance(4002, 4.5); err != nil {
		panic(err)
	}
	resp = get()
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var p omnitest.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, p.Orgs[1].Name, p.Orgs[1].Balance)
	// Output:
	// 429 30
	// 200 Beta Co 4.5
}

// Synthetic makes a large, deterministic reseller for benchmarks.
func ExampleSynthetic() {
	p := omnitest.Synthetic(3, 2, 1)
	for _, o := range p.Orgs {
		fmt.Println(o.ID, len(o.Users))
	}
	// Output:
	// 4001 2
	// 4002 2
	// 4003 2
}

package omni_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/omni/omnitest"
)

// The fetch benchmarks poll a synthetic reseller of 5,000 orgs × 10 users
// (50,000 users, about the size of a large real account) from omnitest over
// loopback HTTP:
//
//   - BenchmarkDecode5000x10: omni.Decode alone, from memory.
//   - BenchmarkFetch5000x10: Client.Organizations, request to snapshot.
//   - BenchmarkFetchDiscard5000x10: the same GET with the body thrown away,
//     the floor any client pays for moving the bytes.
//
// BenchmarkFetch5000x10 also times the discard baseline in the same process
// after its own loop and reports fetch/fetch-only as the metric
// "x-fetch-only": how many times the cost of the bare transfer a poll costs
// once decoding is added.

const benchOrgs, benchUsersPerOrg, benchSeed = 5000, 10, 1

func BenchmarkDecode5000x10(b *testing.B) {
	body := omnitest.Synthetic(benchOrgs, benchUsersPerOrg, benchSeed).AppendJSON(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		snap, err := omni.Decode(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Orgs) != benchOrgs {
			b.Fatalf("%d orgs, want %d", len(snap.Orgs), benchOrgs)
		}
	}
}

// benchServer serves the synthetic payload, encoded once up front so that
// no iteration pays for the encoding, and returns it with its body.
func benchServer(b *testing.B) (*omnitest.Server, []byte) {
	b.Helper()
	s := omnitest.NewServer(omnitest.Synthetic(benchOrgs, benchUsersPerOrg, benchSeed))
	b.Cleanup(s.Close)
	return s, s.Body()
}

// fetchDiscard GETs the endpoint like the client does and throws the body
// away, returning how many bytes it read.
func fetchDiscard(b *testing.B, hc *http.Client, url string) int64 {
	req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+omnitest.DefaultAPIKey)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d, %d bytes: %v", resp.StatusCode, n, err)
	}
	return n
}

func BenchmarkFetch5000x10(b *testing.B) {
	s, body := benchServer(b)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	b.Cleanup(hc.CloseIdleConnections)
	c, err := omni.NewClient(s.URL, omnitest.DefaultAPIKey, omni.WithHTTPClient(hc),
		omni.WithRetry(1, time.Millisecond, time.Millisecond), omni.WithTimeout(time.Minute))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Organizations(b.Context()); err != nil { // open the connection
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		snap, err := c.Organizations(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Orgs) != benchOrgs {
			b.Fatalf("%d orgs, want %d", len(snap.Orgs), benchOrgs)
		}
	}
	perFetch := float64(b.Elapsed()) / float64(b.N)

	// The baseline, on the same connection pool and out of the timer.
	url := c.Endpoint()
	rounds := max(b.N, 10)
	start := time.Now()
	for range rounds {
		fetchDiscard(b, hc, url)
	}
	perDiscard := float64(time.Since(start)) / float64(rounds)
	b.ReportMetric(perFetch/perDiscard, "x-fetch-only")
}

func BenchmarkFetchDiscard5000x10(b *testing.B) {
	s, body := benchServer(b)
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	b.Cleanup(hc.CloseIdleConnections)
	url := s.URL + omnitest.OrganizationsPath
	fetchDiscard(b, hc, url) // open the connection
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if n := fetchDiscard(b, hc, url); n != int64(len(body)) {
			b.Fatalf("read %d bytes, want %d", n, len(body))
		}
	}
}

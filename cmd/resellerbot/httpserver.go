package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/resellerbot/resellerbot/bot/poll"
	"github.com/resellerbot/resellerbot/store"
)

// healthState tracks what /readyz reports about polling.
type healthState struct {
	interval time.Duration
	now      func() time.Time

	mu          sync.Mutex
	lastSuccess time.Time
	lastError   string
	failures    int
}

func newHealthState(interval time.Duration) *healthState {
	return &healthState{interval: interval, now: time.Now}
}

func (h *healthState) observePoll(r poll.Result) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Err != nil {
		h.lastError = r.Err.Error()
		h.failures = r.State.Failures
		return
	}
	h.lastSuccess, h.lastError, h.failures = r.Snapshot.PolledAt, "", 0
}

func (h *healthState) restore(lastSuccess time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastSuccess = lastSuccess
}

// check is one part of readiness.
type check struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// readiness reports each part: the store, polling, the Slack socket.
func (h *healthState) readiness(st *store.Store, connected bool) (bool, map[string]check) {
	checks := map[string]check{}
	if _, err := st.OutboxLen(); err != nil {
		checks["store"] = check{Detail: err.Error()}
	} else {
		checks["store"] = check{OK: true, Detail: st.Path()}
	}

	h.mu.Lock()
	last, lastErr, failures := h.lastSuccess, h.lastError, h.failures
	h.mu.Unlock()
	window := 3 * h.interval
	switch {
	case last.IsZero():
		checks["poll"] = check{Detail: "no successful poll yet"}
	case h.now().Sub(last) > window:
		checks["poll"] = check{Detail: fmt.Sprintf("last successful poll %s ago (more than 3 × poll.interval); %d failures since: %s",
			h.now().Sub(last).Round(time.Second), failures, lastErr)}
	default:
		checks["poll"] = check{OK: true, Detail: "last successful poll at " + last.UTC().Format(time.RFC3339)}
	}

	if connected {
		checks["slack"] = check{OK: true, Detail: "socket connected"}
	} else {
		checks["slack"] = check{Detail: "socket not connected"}
	}
	ready := true
	for _, c := range checks {
		ready = ready && c.OK
	}
	return ready, checks
}

type httpServer struct {
	srv  *http.Server
	addr string
	done chan struct{}
}

// startHTTP serves /healthz, /readyz and /metrics on addr.
func startHTTP(addr string, rt *botRuntime, st *store.Store, m *metrics, log *slog.Logger) (*httpServer, error) {
	m.watch(func() float64 {
		n, err := st.OutboxLen()
		if err != nil {
			return -1
		}
		return float64(n)
	}, rt.app.Connected)
	m.watchParked(func() float64 {
		n, err := st.ParkedLen()
		if err != nil {
			return -1
		}
		return float64(n)
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"ok": true})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ready, checks := rt.health.readiness(st, rt.app.Connected())
		status := http.StatusOK
		if !ready {
			status = http.StatusServiceUnavailable
		}
		writeJSON(w, status, map[string]any{"ready": ready, "checks": checks})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", addr, err)
	}
	s := &httpServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, addr: ln.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "error", err)
		}
	}()
	log.Info("serving /healthz, /readyz and /metrics", "addr", ln.Addr().String())
	return s, nil
}

func (s *httpServer) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	<-s.done
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

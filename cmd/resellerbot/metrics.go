package main

import (
	"errors"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/slack-go/slack"

	"github.com/resellerbot/resellerbot/bot/poll"
	"github.com/resellerbot/resellerbot/omni"
)

// metrics are what /metrics exports, on a registry of the bot's own (no
// global state, so tests can run bots side by side).
type metrics struct {
	registry *prometheus.Registry

	polls        *prometheus.CounterVec
	pollDuration prometheus.Histogram
	orgs, users  prometheus.Gauge
	alerts       *prometheus.CounterVec
	slackSent    *prometheus.CounterVec
	lastSuccess  prometheus.Gauge
	// snapshot feeds the per-org gauges, read at scrape time so removed
	// orgs disappear with the snapshot that dropped them.
	snapshot atomic.Pointer[omni.Snapshot]
}

const namespace = "resellerbot"

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "polls_total",
			Help: "Polls of the OmniDimension API, by result (ok or error)."}, []string{"result"}),
		pollDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Name: "poll_duration_seconds",
			Help:    "Duration of poll cycles: fetch, decode, evaluate and store.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}),
		orgs: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "orgs",
			Help: "Child organizations seen in the last successful poll."}),
		users: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "users",
			Help: "Users across all orgs in the last successful poll."}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "alerts_total",
			Help: "Alerts raised, by kind."}, []string{"kind"}),
		slackSent: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "slack_messages_total",
			Help: "Alert messages posted to Slack, by result (sent, failed or rate_limited)."}, []string{"result"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "last_successful_poll_timestamp_seconds",
			Help: "Unix time of the last successful poll."}),
	}
	for _, r := range []string{"ok", "error"} {
		m.polls.WithLabelValues(r)
	}
	for _, r := range []string{"sent", "failed", "rate_limited"} {
		m.slackSent.WithLabelValues(r)
	}
	m.registry.MustRegister(m.polls, m.pollDuration, m.orgs, m.users, m.alerts, m.slackSent, m.lastSuccess,
		orgCollector{m: m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// watch registers gauges read from the running bot at scrape time.
func (m *metrics) watch(outboxDepth func() float64, connected func() bool) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "outbox_depth",
			Help: "Alert messages waiting to be delivered."}, outboxDepth),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "slack_socket_connected",
			Help: "1 while the Slack socket-mode connection is up."}, func() float64 {
			if connected() {
				return 1
			}
			return 0
		}),
	)
}

// watchParked registers the gauge of parked alerts, which the outbox depth
// leaves out: they wait for a restart or an operator, not for Slack.
func (m *metrics) watchParked(parked func() float64) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: "outbox_parked",
		Help: "Alert messages Slack kept refusing, set aside so later ones go out; retried at the next start."}, parked))
}

func (m *metrics) observePoll(r poll.Result) {
	m.pollDuration.Observe(r.Duration.Seconds())
	for i := range r.Events {
		m.alerts.WithLabelValues(string(r.Events[i].Kind)).Inc()
	}
	if r.Err != nil {
		m.polls.WithLabelValues("error").Inc()
		return
	}
	m.polls.WithLabelValues("ok").Inc()
	m.orgs.Set(float64(len(r.Snapshot.Orgs)))
	m.users.Set(float64(r.Snapshot.UserCount()))
	m.lastSuccess.Set(float64(r.Snapshot.PolledAt.UnixNano()) / 1e9)
	m.snapshot.Store(r.Snapshot)
}

// restore seeds the gauges from the stored snapshot at start.
func (m *metrics) restore(snap *omni.Snapshot) {
	m.orgs.Set(float64(len(snap.Orgs)))
	m.users.Set(float64(snap.UserCount()))
	m.lastSuccess.Set(float64(snap.PolledAt.UnixNano()) / 1e9)
	m.snapshot.Store(snap)
}

func (m *metrics) observeSend(err error) {
	var rl *slack.RateLimitedError
	switch {
	case err == nil:
		m.slackSent.WithLabelValues("sent").Inc()
	case errors.As(err, &rl):
		m.slackSent.WithLabelValues("rate_limited").Inc()
	default:
		m.slackSent.WithLabelValues("failed").Inc()
	}
}

// orgCollector exports each org's balance and runway from the latest
// snapshot.
type orgCollector struct{ m *metrics }

var (
	balanceDesc = prometheus.NewDesc(namespace+"_org_balance", "Org balance in its currency.",
		[]string{"org_id", "org_name", "currency"}, nil)
	runwayDesc = prometheus.NewDesc(namespace+"_org_runway_seconds",
		"Calling time left at cost_per_min (balance / cost_per_min); +Inf when calls are free.",
		[]string{"org_id", "org_name"}, nil)
)

func (c orgCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- balanceDesc
	ch <- runwayDesc
}

func (c orgCollector) Collect(ch chan<- prometheus.Metric) {
	snap := c.m.snapshot.Load()
	if snap == nil {
		return
	}
	for i := range snap.Orgs {
		o := &snap.Orgs[i]
		id := strconv.FormatInt(o.ID, 10)
		ch <- prometheus.MustNewConstMetric(balanceDesc, prometheus.GaugeValue, o.Balance, id, o.Name, o.Currency)
		runway, limited := o.Runway()
		v := math.Inf(1)
		if limited {
			v = runway.Seconds()
		}
		ch <- prometheus.MustNewConstMetric(runwayDesc, prometheus.GaugeValue, v, id, o.Name)
	}
}

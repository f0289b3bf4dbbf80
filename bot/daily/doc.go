// Package daily builds the daily digest and the Home tab from the store:
// the orgs at risk, the day's spend, alerts and poll counts, the alerts
// still open, and the 30-day balance charts; it schedules the digest at a
// local time of day and queues it in the outbox once a day.
package daily

package config

import (
	"fmt"
	"time"
)

// Digest is the daily digest: one message a day summing up the orgs at
// risk, the day's spend and changes, and the API's health.
type Digest struct {
	// At is the local time of day ("09:00") it is posted; "" is off.
	At string `yaml:"at" json:"at"`
	// Timezone is the IANA zone At is in.
	Timezone string `yaml:"timezone" json:"timezone"`
	// Channel is where it goes; "" is the alert channel.
	Channel string `yaml:"channel" json:"channel"`
	// RunwayWithin lists the orgs whose runway is shorter.
	RunwayWithin Duration `yaml:"runway_within" json:"runway_within"`
}

// Clock is the hour and minute of At; ok is false when At is empty or not
// a time of day.
func (d Digest) Clock() (hour, minute int, ok bool) {
	t, err := time.Parse("15:04", d.At)
	if err != nil {
		return 0, 0, false
	}
	return t.Hour(), t.Minute(), true
}

// Location is the time zone of Timezone, UTC when empty.
func (d Digest) Location() (*time.Location, error) {
	if d.Timezone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(d.Timezone)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %s", quote(d.Timezone))
	}
	return loc, nil
}

func (d Digest) validate(bad func(key, format string, args ...any)) {
	if _, _, ok := d.Clock(); d.At != "" && !ok {
		bad("digest.at", `%s is not a time of day like "09:00"`, quote(d.At))
	}
	if _, err := d.Location(); err != nil {
		bad("digest.timezone", "%v", err)
	}
	if d.Channel != "" && !postChannel.re.MatchString(d.Channel) {
		bad("digest.channel", "%s is not %s", quote(d.Channel), postChannel.what)
	}
	if d.RunwayWithin < 0 {
		bad("digest.runway_within", "must be 0 or more")
	}
}

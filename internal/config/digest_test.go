package config

import (
	"strings"
	"testing"
	"time"
)

func TestDigestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Digest)
		want string // the problem, or "" for none
	}{
		{"the default digest is off and valid", func(*Digest) {}, ""},
		{"a time of day and a zone are valid", func(d *Digest) { d.At, d.Timezone = "09:30", "Europe/Berlin" }, ""},
		{"a time that is not a time of day is refused", func(d *Digest) { d.At = "9am" }, `digest.at: "9am" is not a time of day`},
		{"an unknown zone is refused", func(d *Digest) { d.Timezone = "Mars/Olympus" }, "digest.timezone: unknown time zone"},
		{"a channel name is refused", func(d *Digest) { d.Channel = "#general" }, "digest.channel:"},
		{"a negative runway is refused", func(d *Digest) { d.RunwayWithin = -1 }, "digest.runway_within: must be 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Default()
			tt.edit(&cfg.Digest)
			var got []string
			for _, err := range cfg.Validate(0) {
				if strings.HasPrefix(err.Error(), "digest.") {
					got = append(got, err.Error())
				}
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want)):
				t.Errorf("problems %q, want one starting %q", got, tt.want)
			}
		})
	}
}

func TestDigestClockAndLocation(t *testing.T) {
	d := Digest{At: "07:05", Timezone: "America/New_York"}
	h, m, ok := d.Clock()
	if !ok || h != 7 || m != 5 {
		t.Errorf("Clock() = %d, %d, %v; want 7, 5, true", h, m, ok)
	}
	if _, _, ok := (Digest{}).Clock(); ok {
		t.Error("an empty at reads as a time of day")
	}
	loc, err := d.Location()
	if err != nil || loc.String() != "America/New_York" {
		t.Errorf("Location() = %v, %v", loc, err)
	}
	if loc, err := (Digest{}).Location(); err != nil || loc != time.UTC {
		t.Errorf("an empty zone is %v, %v; want UTC", loc, err)
	}
}

package render

import (
	"math"
	"testing"
	"time"
)

// now is the tests' clock reading.
var now = time.Date(2026, 11, 27, 16, 5, 0, 0, time.UTC)

func TestMoney(t *testing.T) {
	tests := []struct {
		v      float64
		symbol string
		want   string
	}{
		{24442.6, "$", "$24,442.60"},
		{13, "$", "$13.00"},
		{0, "€", "€0.00"},
		{-4.5, "€", "-€4.50"},
		{-0.001, "$", "$0.00"},
		{1234567.891, "£", "£1,234,567.89"},
		{999.995, "$", "$1,000.00"},
		{12, "", "12.00"},
		{math.NaN(), "$", "$?"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Money(tt.v, tt.symbol); got != tt.want {
				t.Errorf("Money(%v, %q) = %q, want %q", tt.v, tt.symbol, got, tt.want)
			}
		})
	}
}

func TestRate(t *testing.T) {
	for v, want := range map[float64]string{0.09: "$0.09/min", 0.2: "$0.20/min", 0.085: "$0.085/min", 0: "$0.00/min", 1.5: "$1.50/min"} {
		if got := Rate(v, "$"); got != want {
			t.Errorf("Rate(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestRunwayInWords(t *testing.T) {
	tests := []struct {
		name    string
		d       time.Duration
		limited bool
		want    string
	}{
		{"free calls never run out", 0, false, "unlimited"},
		{"an empty balance has none left", 0, true, "none left"},
		{"seconds read as a minute", 20 * time.Second, true, "about a minute"},
		{"minutes are rounded", 40*time.Minute + 20*time.Second, true, "about 40 minutes"},
		{"65 minutes read as an hour", 65 * time.Minute, true, "about 1 hour"},
		{"half hours count within the day", 100 * time.Minute, true, "about 1½ hours"},
		{"hours are rounded down, never up past a threshold", 3*time.Hour + 47*time.Minute, true, "about 3½ hours"},
		{"a day and more reads in hours until 36", 30 * time.Hour, true, "about 30 hours"},
		{"days are rounded down", 3*24*time.Hour + 20*time.Hour, true, "about 3 days"},
		{"weeks after a fortnight", 20 * 24 * time.Hour, true, "about 2 weeks"},
		{"months after two", 180 * 24 * time.Hour, true, "about 5 months"},
		{"years after two", 3 * 365 * 24 * time.Hour, true, "about 3 years"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runwayWords(tt.d, tt.limited); got != tt.want {
				t.Errorf("runwayWords(%v) = %q, want %q", tt.d, got, tt.want)
			}
		})
	}
}

func TestAgo(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{now.Add(-20 * time.Second), "just now"},
		{now.Add(-2*time.Hour - 10*time.Minute), "2 hours ago"},
		{now.Add(72 * time.Hour), "in 3 days"},
		{now.Add(-400 * 24 * time.Hour), "13 months ago"},
	}
	for _, tt := range tests {
		if got := ago(tt.t, now); got != tt.want {
			t.Errorf("ago(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
	if got := when(time.Time{}, now); got != "never" {
		t.Errorf("when(zero) = %q", got)
	}
}

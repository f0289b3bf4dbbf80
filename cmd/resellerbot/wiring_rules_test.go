package main

import (
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/internal/config"
)

func TestTheForecastAndExpiryKeysReachTheEngine(t *testing.T) {
	cfg := config.Default()
	cfg.Alerts.LowBalance.BurnWithin = config.Duration(12 * time.Hour)
	cfg.Alerts.LowBalance.BurnWindow = config.Duration(6 * time.Hour)
	cfg.Alerts.Expiry.Within = config.Duration(48 * time.Hour)
	r := alertRules(&cfg)
	if r.LowBalance.BurnWithin != 12*time.Hour || r.LowBalance.BurnWindow != 6*time.Hour || r.Expiry.Within != 48*time.Hour {
		t.Errorf("rules %+v, want burn_within 12h, burn_window 6h, expiry.within 48h", r)
	}
	def := config.Default()
	if d := alertRules(&def); d.LowBalance.BurnWithin != 24*time.Hour || d.LowBalance.BurnWindow != 24*time.Hour || d.Expiry.Within != 72*time.Hour {
		t.Errorf("default rules %+v, want 24h, 24h and 72h as SPEC says", d)
	}
}

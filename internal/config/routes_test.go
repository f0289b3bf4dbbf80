package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/resellerbot/resellerbot/alerts"
	"github.com/resellerbot/resellerbot/internal/config"
)

func TestRoutes(t *testing.T) {
	s := config.Slack{AlertChannel: "C0ALERTS", Routes: []config.Route{
		{Channel: "C0LOWBAL", Kinds: []string{"low_balance"}},
		{Channel: "C0ACME", Orgs: []string{"acme*", "4009"}},
		{Channel: "C0ALERTS", Kinds: []string{"api_outage"}},
	}}
	acme := alerts.OrgRef{ID: 4001, Name: "Acme Inc"}
	tests := []struct {
		name string
		ev   alerts.Event
		want []string
	}{
		{"a low balance goes to the low-balance channel", alerts.Event{Kind: alerts.LowBalance, Org: alerts.OrgRef{ID: 4002, Name: "Beta"}}, []string{"C0LOWBAL"}},
		{"its recovery follows it", alerts.Event{Kind: alerts.BalanceRecovered, Org: alerts.OrgRef{ID: 4002, Name: "Beta"}}, []string{"C0LOWBAL"}},
		{"an alert matching two routes goes to both", alerts.Event{Kind: alerts.LowBalance, Org: acme}, []string{"C0LOWBAL", "C0ACME"}},
		{"an org glob matches without regard to case", alerts.Event{Kind: alerts.NewUser, Org: acme}, []string{"C0ACME"}},
		{"an org ID matches", alerts.Event{Kind: alerts.NewUser, Org: alerts.OrgRef{ID: 4009}}, []string{"C0ACME"}},
		{"an alert no route matches goes to the alert channel", alerts.Event{Kind: alerts.NewUser, Org: alerts.OrgRef{ID: 4002, Name: "Beta"}}, nil},
		{"a route to the alert channel is the alert channel", alerts.Event{Kind: alerts.APIRecovered}, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Channels(&tt.ev); !slices.Equal(got, tt.want) {
				t.Errorf("Channels = %q, want %q", got, tt.want)
			}
		})
	}
	if got := s.RoutedChannels(); !slices.Equal(got, []string{"C0LOWBAL", "C0ACME"}) {
		t.Errorf("RoutedChannels = %q", got)
	}
}

func TestRoutesAreValidated(t *testing.T) {
	tests := []struct {
		name  string
		route config.Route
		want  string
	}{
		{"a channel name instead of its ID", config.Route{Channel: "#alerts"}, "slack.routes[0].channel"},
		{"no channel", config.Route{Kinds: []string{"new_user"}}, "slack.routes[0].channel: empty"},
		{"an unknown kind", config.Route{Channel: "C0LOWBAL", Kinds: []string{"low_balanse"}}, `slack.routes[0].kinds: "low_balanse" is no alert kind`},
		{"a broken glob", config.Route{Channel: "C0LOWBAL", Orgs: []string{"acme["}}, `slack.routes[0].orgs: "acme[" is not a valid glob`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			c.Slack.Routes = []config.Route{tt.route}
			var found []string
			for _, err := range c.Validate(config.NeedSlack) {
				if strings.HasPrefix(err.Error(), "slack.routes") {
					found = append(found, err.Error())
				}
			}
			if len(found) != 1 || !strings.HasPrefix(found[0], tt.want) {
				t.Errorf("route errors %q, want one starting %q", found, tt.want)
			}
		})
	}
	t.Run("a good route passes", func(t *testing.T) {
		c := config.Default()
		c.Slack.Routes = []config.Route{{Channel: "C0LOWBAL", Kinds: []string{"low_balance", "api_outage"}, Orgs: []string{"Acme*", "4002"}}}
		for _, err := range c.Validate(config.NeedSlack) {
			if strings.HasPrefix(err.Error(), "slack.routes") {
				t.Error(err)
			}
		}
	})
}

func TestRoutesLoadFromYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	yaml := "slack:\n  routes:\n    - channel: C0LOWBAL\n      kinds: [low_balance]\n    - channel: C0ACME\n      orgs: [\"Acme*\"]\n      kinds: [new_user]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	want := []config.Route{{Channel: "C0LOWBAL", Kinds: []string{"low_balance"}}, {Channel: "C0ACME", Kinds: []string{"new_user"}, Orgs: []string{"Acme*"}}}
	if !reflect.DeepEqual(c.Slack.Routes, want) {
		t.Errorf("routes %+v, want %+v", c.Slack.Routes, want)
	}
	if err := os.WriteFile(path, []byte("slack:\n  routes:\n    - channel: C0LOWBAL\n      kind: [low_balance]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), `slack.routes[0].kind`) {
		t.Errorf("a misspelt key in a route: %v", err)
	}
}

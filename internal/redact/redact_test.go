package redact_test

import (
	"testing"

	"github.com/resellerbot/resellerbot/internal/redact"
)

func TestRedactorString(t *testing.T) {
	const key = "omni_sk_live_9f3c2a7e"
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{"a secret is replaced wherever it stands", []string{key}, "bad key " + key + "; again " + key,
			"bad key [redacted]; again [redacted]"},
		{"text without a secret is left as it is", []string{key}, "unauthorized (HTTP 401)", "unauthorized (HTTP 401)"},
		{"each of several secrets is replaced", []string{key, "xoxb-123-abc"}, "xoxb-123-abc and " + key,
			"[redacted] and [redacted]"},
		{"a secret holding another is replaced whole", []string{"abcd", "abcdefgh"}, "abcdefgh abcd",
			"[redacted] [redacted]"},
		{"empty and short secrets are ignored", []string{"", "abc"}, "abc and more", "abc and more"},
		{"no secrets redact nothing", nil, key, key},
		{"a repeated secret is one secret", []string{key, key}, key, "[redacted]"},
		{"a secret with its slashes escaped as JSON is replaced", []string{"omni/sk+live/42"},
			`{"error":"bad key omni\/sk+live\/42"}`, `{"error":"bad key [redacted]"}`},
		{"a secret with characters as \\u escapes is replaced", []string{"omni/sk+live/42"},
			`key omni\u002fsk\u002Blive\/42.`, `key [redacted].`},
		{"a secret with a character as a surrogate pair is replaced", []string{"key😀secret"},
			`key\ud83d\ude00secret`, `[redacted]`},
		{"a secret with characters as HTML references is replaced", []string{"omni/sk+live/42"},
			`Bad key omni&#x2F;sk&#43;live&#47;42</title>`, `Bad key [redacted]</title>`},
		{"a secret that holds a backslash is replaced as it is and escaped", []string{`ab\cd\nef`},
			`ab\cd\nef and "ab\\cd\\nef"`, `[redacted] and "[redacted]"`},
		{"an escape that stands for another character is not taken for the secret", []string{"omni/sk+live/42"},
			`omni\/sk\u002clive\/42 and omni&#47sk+live/42`, `omni\/sk\u002clive\/42 and omni&#47sk+live/42`},
		{"a secret cut short by the end of the text is left alone", []string{"omni/sk+live/42"},
			`omni\/sk+live\/4`, `omni\/sk+live\/4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redact.New(tt.secrets...).String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactorEmpty(t *testing.T) {
	tests := []struct {
		name string
		r    *redact.Redactor
		want bool
	}{
		{"a nil Redactor is empty", nil, true},
		{"the zero Redactor is empty", &redact.Redactor{}, true},
		{"a Redactor of short secrets only is empty", redact.New("", "abc"), true},
		{"a Redactor with a secret is not empty", redact.New("abcd"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.Empty(); got != tt.want {
				t.Errorf("Empty() = %v, want %v", got, tt.want)
			}
			if got := tt.r.String("abcd"); tt.want && got != "abcd" {
				t.Errorf("an empty Redactor changed %q into %q", "abcd", got)
			}
		})
	}
}

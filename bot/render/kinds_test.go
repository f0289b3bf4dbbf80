package render

import (
	"testing"

	"github.com/resellerbot/resellerbot/alerts"
)

func TestEveryAlertKindReadsFromItsOwnEntry(t *testing.T) {
	for _, k := range alerts.Kinds() {
		t.Run(string(k)+" has an entry with all it needs", func(t *testing.T) {
			entry, known := kindOf(k)
			if !known {
				t.Fatalf("kindOf(%q) has no entry: add one, or %s alerts read as their bare kind name", k, k)
			}
			if entry.emoji == "" || entry.title == "" || entry.one == "" || entry.many == "" || entry.summary == nil {
				t.Errorf("kindOf(%q) = %+v, want an emoji, a title, counting nouns and a summary", k, entry)
			}
		})
	}
	t.Run("a kind this version does not know reads as its name", func(t *testing.T) {
		entry, known := kindOf("from_a_newer_version")
		if known || entry.title != "from_a_newer_version" || entry.summary == nil {
			t.Errorf("kindOf(unknown) = %+v, %v; want its name as the title and a summary", entry, known)
		}
	})
}

package bot_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/resellerbot/resellerbot/bot"
	"github.com/resellerbot/resellerbot/store"
)

// BenchmarkEpisodeClick measures what a click on an episode's button costs
// the bot after its ack, with 10,000 orgs' episodes open: "ack" and
// "snooze" are the stored change (one bbolt transaction each), "find" is
// the console's and /unsnooze's look-up of an org among them, and
// "baseline" an update that changes nothing, the floor of any write.
func BenchmarkEpisodeClick(b *testing.B) {
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	var c store.Commit
	for org := 1; org <= 10000; org++ {
		ev := []byte(fmt.Sprintf(`{"kind":"low_balance","org":{"id":%d,"name":"Org %d"},"since":"2026-12-01T16:00:00Z"}`, org, org))
		c.Episodes = append(c.Episodes, store.EpisodeWrite{OpenedBy: -1,
			Episode: store.Episode{Key: fmt.Sprintf("low_balance/%d/1796140800", org), Opened: now, First: ev, Last: ev}})
	}
	c.At = now
	if _, err := st.Commit(c); err != nil {
		b.Fatal(err)
	}
	e := &bot.Episodes{Store: st, Now: func() time.Time { return now }}
	key := "low_balance/5000/1796140800"
	b.Run("baseline", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.UpdateEpisode(key, func(*store.Episode) bool { return false }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ack", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.UpdateEpisode(key, func(ep *store.Episode) bool { ep.Ack = store.Ack{}; return false }); err != nil {
				b.Fatal(err)
			}
			if _, err := e.Ack(key, "U1", "maria"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("snooze", func(b *testing.B) {
		users := [2]string{"U1", "U2"}
		i := 0
		for b.Loop() {
			i++
			if _, err := e.Snooze(key, users[i%2], "maria", "24h"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("find", func(b *testing.B) {
		for b.Loop() {
			if found, err := e.Find("5000"); err != nil || len(found) != 1 {
				b.Fatal(len(found), err)
			}
		}
	})
}

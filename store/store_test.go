package store_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/resellerbot/resellerbot/omni"
	"github.com/resellerbot/resellerbot/store"
)

var t0 = time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)

func open(t *testing.T, path string, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sample(at time.Time) *omni.Snapshot {
	var menus, scope omni.Flags
	menus.Set("is_bots_menu_access", true)
	menus.Set("is_future_access", true)
	scope.Set("is_bots_menu_access", true)
	s := &omni.Snapshot{
		PolledAt:   at,
		Reseller:   omni.Reseller{ID: 5678, Name: "Demo Reseller", ConcurrentCallLimit: 10},
		Scope:      scope,
		HasScope:   true,
		TotalOrgs:  3,
		TotalUsers: 7,
		Orgs: []omni.Org{
			{ID: 4001, Name: "Acme Inc", CostPerMin: 0.09, Balance: 24442.6, Currency: "$", ConcurrentCallLimit: 1,
				Timezone: "US/Pacific", Created: time.Date(2025, 10, 9, 10, 20, 58, 220633000, time.UTC),
				Users: []omni.User{{ID: 1110, Name: "Demo User", Email: "demo@example.com", Active: true,
					LastLogin: time.Date(2026, 4, 23, 11, 0, 6, 685330000, time.UTC), Menus: menus}}},
			{ID: 4002, Name: "Beta Co", CostPerMin: 0.2, Balance: 13, Currency: "$", ConcurrentCallLimit: 5,
				Users: []omni.User{{ID: 1234, Name: "Demo User 2", Phone: "+15551234567", AccessLevel: "admin",
					Expiry: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
					// "Never expires", as some systems write it, and a date
					// before 1678: both beyond UnixNano.
					{ID: 1235, Expiry: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
						LastLogin: time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)}}},
			{ID: 4003, Name: "<!channel> & Co", Balance: -4.5, Currency: "€", Users: []omni.User{{ID: 1}, {ID: 2}, {ID: 3}}},
		},
	}
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s := open(t, path, store.Options{})
	if _, err := s.Latest(); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Latest on an empty store: %v, want ErrNotFound", err)
	}
	want := sample(t0)
	if _, err := s.Commit(store.Commit{At: t0, Snapshot: want, State: []byte(`{"low":{}}`)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Latest()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Latest:\n%+v\nwant:\n%+v", got, want)
	}

	t.Run("reopening the file keeps snapshot and state", func(t *testing.T) {
		s.Close()
		s2 := open(t, path, store.Options{})
		got, err := s2.Latest()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("after reopen: %v\n%+v", err, got)
		}
		st, err := s2.State()
		if err != nil || string(st) != `{"low":{}}` {
			t.Errorf("state after reopen: %q, %v", st, err)
		}
	})
}

func TestAFailedPollKeepsTheLatestSnapshot(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	want := sample(t0)
	s.Commit(store.Commit{At: t0, Snapshot: want})
	if _, err := s.Commit(store.Commit{At: t0.Add(time.Minute), State: []byte("failing")}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Latest()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("latest changed by a failed poll: %+v", got)
	}
	if st, _ := s.State(); string(st) != "failing" {
		t.Errorf("state = %q", st)
	}
}

func TestUnchangedPollsDoNotGrowTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s := open(t, path, store.Options{})
	snap := sample(t0)
	for i := range 5 { // let bbolt settle its free pages
		snap.PolledAt = t0.Add(time.Duration(i) * time.Minute)
		s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap})
	}
	size := fileSize(t, path)
	for i := 5; i < 200; i++ {
		snap.PolledAt = t0.Add(time.Duration(i) * time.Minute)
		res, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap})
		if err != nil || res.ChangedOrgs != 0 {
			t.Fatalf("commit %d: %+v, %v", i, res, err)
		}
	}
	if grown := fileSize(t, path); grown != size {
		t.Errorf("195 unchanged polls grew the file from %d to %d bytes", size, grown)
	}
	if latest, _ := s.Latest(); !latest.PolledAt.Equal(snap.PolledAt) {
		t.Errorf("PolledAt = %v, want the last poll %v", latest.PolledAt, snap.PolledAt)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestHistoryRebuildsEarlierSnapshots(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{})
	first := sample(t0)
	second := first.Clone()
	second.PolledAt = t0.Add(time.Hour)
	second.Orgs[1].Balance = 7
	second.Orgs = append(second.Orgs, omni.Org{ID: 4004, Name: "New Org"})
	second.Scope.Set("is_leads_access", true)
	third := second.Clone()
	third.PolledAt = t0.Add(2 * time.Hour)
	third.Orgs = third.Orgs[1:] // Acme removed
	third.Orgs[0].Users = nil

	for _, snap := range []*omni.Snapshot{first, second, third} {
		if _, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		at   time.Time
		want *omni.Snapshot
	}{
		{"the first poll is rebuilt", t0, first},
		{"a time between polls gives the earlier poll", t0.Add(30 * time.Minute), first},
		{"the second poll is rebuilt", t0.Add(time.Hour), second},
		{"the present is the latest", t0.Add(5 * time.Hour), third},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.At(tt.at)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want.Clone()
			want.PolledAt = got.PolledAt
			if !reflect.DeepEqual(got, want) {
				t.Errorf("At(%v):\n%+v\nwant:\n%+v", tt.at, got, want)
			}
		})
	}
	t.Run("one org is rebuilt alone", func(t *testing.T) {
		tests := []struct {
			id      int64
			at      time.Time
			balance float64
			found   bool
		}{
			{4002, t0, 13, true},
			{4002, t0.Add(time.Hour), 7, true},
			{4004, t0, 0, false}, // added by the second poll
			{4004, t0.Add(time.Hour), 0, true},
			{4001, t0.Add(time.Hour), 24442.6, true},
			{4001, t0.Add(3 * time.Hour), 0, false}, // removed by the third
		}
		for _, tt := range tests {
			org, found, err := s.OrgAt(tt.id, tt.at)
			if err != nil || found != tt.found || (found && org.Balance != tt.balance) {
				t.Errorf("OrgAt(%d, %v) = balance %v, found %v, %v; want %v, %v", tt.id, tt.at, org.Balance, found, err, tt.balance, tt.found)
			}
		}
		if _, _, err := s.OrgAt(4002, t0.Add(-time.Second)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("before the first poll: %v", err)
		}
	})
	t.Run("before the first poll there is no history", func(t *testing.T) {
		if _, err := s.At(t0.Add(-time.Second)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestHistoryRetention(t *testing.T) {
	tests := []struct {
		name      string
		opts      store.Options
		reachable time.Time
		lost      time.Time
	}{
		{"history older than its age is dropped", store.Options{History: 90 * time.Minute},
			t0.Add(5 * time.Hour), t0.Add(3 * time.Hour)},
		{"history beyond its count is dropped", store.Options{HistoryPolls: 2},
			t0.Add(4 * time.Hour), t0.Add(3 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, filepath.Join(t.TempDir(), "bot.db"), tt.opts)
			snap := sample(t0)
			for i := range 7 {
				snap.PolledAt = t0.Add(time.Duration(i) * time.Hour)
				snap.Orgs[0].Balance = float64(1000 - i)
				if _, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.At(tt.reachable)
			if err != nil {
				t.Fatalf("At(%v): %v", tt.reachable, err)
			}
			if want := float64(1000 - tt.reachable.Sub(t0)/time.Hour); got.Orgs[0].Balance != want {
				t.Errorf("balance at %v = %v, want %v", tt.reachable, got.Orgs[0].Balance, want)
			}
			if _, err := s.At(tt.lost); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("At(%v) = %v, want ErrNotFound", tt.lost, err)
			}
		})
	}
}

func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s := open(t, path, store.Options{})
	res, err := s.Commit(store.Commit{At: t0, Messages: []store.Outgoing{
		{Body: []byte("summary"), ReplyTo: -1},
		{Body: []byte("details"), ReplyTo: 0},
		{Body: []byte("other"), ReplyTo: -1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.IDs) != 3 || res.IDs[0] >= res.IDs[1] || res.IDs[1] >= res.IDs[2] {
		t.Fatalf("IDs = %v", res.IDs)
	}
	if err := s.MarkFailed(res.IDs[0], "ratelimited", false); err != nil {
		t.Fatal(err)
	}
	pending, _ := s.Pending(0)
	if len(pending) != 3 || string(pending[0].Body) != "summary" || pending[0].Attempts != 1 ||
		pending[0].LastError != "ratelimited" || pending[1].ReplyTo != res.IDs[0] || pending[2].ReplyTo != 0 ||
		!pending[1].Enqueued.Equal(t0) {
		t.Fatalf("pending = %+v", pending)
	}
	if _, err := s.Receipt(res.IDs[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("receipt before sending: %v", err)
	}
	if err := s.MarkSent(res.IDs[0], "1700000000.000100", t0); err != nil {
		t.Fatal(err)
	}

	t.Run("a delivered message leaves the outbox for good, across a restart", func(t *testing.T) {
		s.Close()
		s := open(t, path, store.Options{})
		pending, _ := s.Pending(0)
		if len(pending) != 2 || string(pending[0].Body) != "details" {
			t.Errorf("pending after restart = %+v", pending)
		}
		if r, err := s.Receipt(res.IDs[0]); err != nil || r != "1700000000.000100" {
			t.Errorf("receipt = %q, %v", r, err)
		}
		if n, _ := s.OutboxLen(); n != 2 {
			t.Errorf("OutboxLen = %d", n)
		}
		if err := s.MarkSent(res.IDs[0], "again", t0); err != nil {
			t.Errorf("marking twice: %v", err)
		}
	})
	t.Run("a reply to a later message is refused", func(t *testing.T) {
		_, err := s.Commit(store.Commit{Messages: []store.Outgoing{{Body: []byte("x"), ReplyTo: 0}}})
		if err == nil {
			t.Error("commit accepted a message replying to itself")
		}
	})
}

func TestSentReceiptsExpire(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "bot.db"), store.Options{SentRetention: time.Hour})
	res, _ := s.Commit(store.Commit{At: t0, Messages: []store.Outgoing{{Body: []byte("a"), ReplyTo: -1}, {Body: []byte("b"), ReplyTo: -1}}})
	s.MarkSent(res.IDs[0], "ts1", t0)
	s.MarkSent(res.IDs[1], "ts2", t0.Add(2*time.Hour))
	if _, err := s.Receipt(res.IDs[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old receipt kept: %v", err)
	}
	if r, _ := s.Receipt(res.IDs[1]); r != "ts2" {
		t.Errorf("new receipt = %q", r)
	}
}

func TestASecondProcessGetsALockErrorQuickly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldStore$")
	cmd.Env = append(os.Environ(), "RESELLERBOT_HOLD_STORE="+path)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "holding") {
		t.Fatalf("helper process: %q, %v", line, err)
	}

	start := time.Now()
	_, err = store.Open(path, store.Options{LockTimeout: 300 * time.Millisecond})
	elapsed := time.Since(start)
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Open = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another") {
		t.Errorf("error %q does not name the path and the other process", err)
	}
	if elapsed > 10*time.Second {
		t.Errorf("Open hung for %v", elapsed)
	}
}

// TestHoldStore is not a test: the lock test runs it in a second process to
// hold the store open.
func TestHoldStore(t *testing.T) {
	path := os.Getenv("RESELLERBOT_HOLD_STORE")
	if path == "" {
		t.Skip("helper process for TestASecondProcessGetsALockErrorQuickly")
	}
	s, err := store.Open(path, store.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	defer s.Close()
	fmt.Println("holding")
	time.Sleep(time.Minute)
}

func TestANewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucketIfNotExists([]byte("meta"))
		return b.Put([]byte("schema"), []byte{99})
	})
	db.Close()
	_, err = store.Open(path, store.Options{})
	if !errors.Is(err, store.ErrSchema) || !strings.Contains(err.Error(), "schema 99") {
		t.Errorf("Open = %v, want ErrSchema naming schema 99", err)
	}
}

func TestCompactShrinksAFileFullOfFreePages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	s := open(t, path, store.Options{History: time.Hour})
	snap := sample(t0)
	// Big orgs that change every poll, pruned an hour later, leave free pages behind.
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		name := make([]byte, 1000)
		for j := range name {
			name[j] = byte('a' + rnd.IntN(26))
		}
		snap.Orgs = append(snap.Orgs, omni.Org{ID: int64(5000 + i), Name: string(name)})
	}
	for i := range 30 {
		snap.PolledAt = t0.Add(time.Duration(i) * time.Hour)
		for j := range snap.Orgs {
			snap.Orgs[j].Balance = float64(i)
		}
		if _, err := s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap}); err != nil {
			t.Fatal(err)
		}
	}
	snap.Orgs = snap.Orgs[:3]
	snap.PolledAt = snap.PolledAt.Add(time.Hour)
	s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap})
	snap.PolledAt = snap.PolledAt.Add(2 * time.Hour)
	snap.Orgs[0].Balance = 1
	s.Commit(store.Commit{At: snap.PolledAt, Snapshot: snap})

	before := fileSize(t, path)
	done, err := s.Compact(0.5)
	if err != nil || !done {
		t.Fatalf("Compact = %v, %v (file %d bytes)", done, err, before)
	}
	if after := fileSize(t, path); after*2 > before {
		t.Errorf("compacted from %d to %d bytes", before, after)
	}
	got, err := s.Latest()
	if err != nil || !reflect.DeepEqual(got, snap) {
		t.Errorf("after compacting: %v\n%+v", err, got)
	}
	if done, _ := s.Compact(0.5); done {
		t.Error("compacted a file without free pages")
	}
}

package bot

import "time"

// SetClock makes the App read the time from now, so that a test can age
// its cache of users.info answers.
func (a *App) SetClock(now func() time.Time) {
	a.guests.mu.Lock()
	defer a.guests.mu.Unlock()
	a.guests.now = now
}

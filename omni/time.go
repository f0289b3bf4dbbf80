package omni

import (
	"fmt"
	"strings"
	"time"
)

// timeLayouts are the timestamps Decode reads, in the order it tries them.
// The vendor sends Python's isoformat() without a zone (the first, which
// parseNaiveTime reads fast); the others cover the formats it could
// plausibly switch to.
var timeLayouts = [...]string{
	"2006-01-02T15:04:05.999999999",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02",
}

// looseTime reads what omniwire.LooseTime accepts: null, false, "" and a
// timestamp in one of timeLayouts, returned in UTC.
func (d *decoder) looseTime() (time.Time, error) {
	s := &d.s
	c, err := s.peek()
	if err != nil {
		return time.Time{}, err
	}
	switch c {
	case 'n':
		return time.Time{}, s.literal("null")
	case 'f':
		return time.Time{}, s.literal("false")
	case '"':
	default:
		return time.Time{}, d.badValue(c)
	}
	b, err := s.str(strText)
	if err != nil {
		return time.Time{}, err
	}
	t := strings.TrimSpace(text(b))
	if t == "" {
		return time.Time{}, nil
	}
	if v, ok := parseNaiveTime(t); ok {
		return v, nil
	}
	// t points into the read buffer, and time.Parse may keep parts of its
	// input (in zone names, in errors): give it a copy.
	if v, ok := ParseTime(strings.Clone(t)); ok {
		return v, nil
	}
	return time.Time{}, &valueError{what: fmt.Sprintf("a string of %d bytes", len(b))}
}

// ParseTime reads a timestamp as Decode does: the vendor's Python
// isoformat() without a zone (read as UTC), or a format it could plausibly
// switch to (RFC 3339, a space for the T, a date alone). The result is in
// UTC; ok is false for anything else.
func ParseTime(s string) (t time.Time, ok bool) {
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseNaiveTime parses the vendor's usual timestamp,
// 2006-01-02T15:04:05 with an optional fraction, as time.Parse does with
// timeLayouts[0]. It reports false for anything else, valid or not, which
// the caller hands to time.Parse.
func parseNaiveTime(t string) (time.Time, bool) {
	if len(t) < 19 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(t[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 2), num(8, 2)
	hour, minute, sec := num(11, 2), num(14, 2), num(17, 2)
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	if day > 28 && day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	nsec := 0
	if len(t) > 19 {
		if t[19] != '.' || len(t) == 20 {
			return time.Time{}, false
		}
		// As time.Parse: any number of digits, the tenth on ignored.
		digits := 0
		for i := 20; i < len(t); i++ {
			c := t[i]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			if digits < 9 {
				nsec = nsec*10 + int(c-'0')
				digits++
			}
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	// time.Date(…, time.UTC) without its generality: days from the civil
	// date (Howard Hinnant's algorithm), then time.Unix, in UTC.
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := int64(month+9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	secs := days*86400 + int64(hour*3600+minute*60+sec)
	return time.Unix(secs, int64(nsec)).UTC(), true
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return time.Date(2001, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

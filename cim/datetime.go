package cim

import (
	"fmt"
	"time"

	"github.com/gowbem/gowbem/status"
)

// DateTimeInfo is the parsed form of a CIM datetime string. A datetime is
// either a timestamp "yyyymmddHHMMSS.mmmmmmsUUU" (s is '+' or '-', UUU the
// UTC offset in minutes) or an interval "ddddddddHHMMSS.mmmmmm:000". Any
// digit may be '*' to mark an unused field (DSP0004); such fields read as 0.
type DateTimeInfo struct {
	// Interval reports whether the string is an interval.
	Interval bool
	// Time is the instant of a timestamp, in its own UTC offset.
	Time time.Time
	// Duration is the length of an interval.
	Duration time.Duration
	// Wildcards reports whether any field used '*'.
	Wildcards bool
}

// ParseDateTime checks and parses a CIM datetime string. Errors are
// WBEM_E_INVALID_SYNTAX.
func ParseDateTime(s string) (DateTimeInfo, error) {
	var d DateTimeInfo
	bad := func(why string) (DateTimeInfo, error) {
		return DateTimeInfo{}, status.New(status.WBEM_E_INVALID_SYNTAX, "invalid datetime %q: %s", s, why)
	}
	if len(s) != 25 {
		return bad("want 25 characters")
	}
	if s[14] != '.' {
		return bad("want '.' at position 15")
	}
	num := func(from, to int) (int, bool) {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			switch {
			case c >= '0' && c <= '9':
				n = n*10 + int(c-'0')
			case c == '*':
				d.Wildcards = true
				n *= 10
			default:
				return 0, false
			}
		}
		return n, true
	}
	for _, r := range [][2]int{{0, 14}, {15, 21}, {22, 25}} {
		if _, ok := num(r[0], r[1]); !ok {
			return bad("want digits")
		}
	}
	micro, _ := num(15, 21)
	switch s[21] {
	case ':':
		d.Interval = true
		if s[22:] != "000" {
			return bad("interval must end in \":000\"")
		}
		days, _ := num(0, 8)
		h, _ := num(8, 10)
		m, _ := num(10, 12)
		sec, _ := num(12, 14)
		if h > 23 || m > 59 || sec > 59 {
			return bad("field out of range")
		}
		d.Duration = time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour +
			time.Duration(m)*time.Minute + time.Duration(sec)*time.Second +
			time.Duration(micro)*time.Microsecond
		return d, nil
	case '+', '-':
		y, _ := num(0, 4)
		mo, _ := num(4, 6)
		day, _ := num(6, 8)
		h, _ := num(8, 10)
		m, _ := num(10, 12)
		sec, _ := num(12, 14)
		off, _ := num(22, 25)
		if !d.Wildcards && (mo < 1 || mo > 12 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60) {
			return bad("field out of range")
		}
		if s[21] == '-' {
			off = -off
		}
		if !d.Wildcards {
			loc := time.FixedZone("", off*60)
			d.Time = time.Date(y, time.Month(mo), day, h, m, sec, micro*1000, loc)
		}
		return d, nil
	}
	return bad("want '+', '-' or ':' at position 22")
}

// FormatTimestamp renders t as a CIM timestamp in t's own UTC offset.
func FormatTimestamp(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%04d%02d%02d%02d%02d%02d.%06d%c%03d",
		t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(),
		t.Nanosecond()/1000, sign, off/60)
}

// FormatInterval renders d as a CIM interval. Negative durations render
// as zero; intervals longer than 99999999 days are clamped.
func FormatInterval(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h := int64(d / time.Hour)
	d -= time.Duration(h) * time.Hour
	m := int64(d / time.Minute)
	d -= time.Duration(m) * time.Minute
	s := int64(d / time.Second)
	d -= time.Duration(s) * time.Second
	if days > 99999999 {
		days = 99999999
	}
	return fmt.Sprintf("%08d%02d%02d%02d.%06d:000", days, h, m, s, int64(d/time.Microsecond))
}

package wbem

import "time"

func newTimer(ms int32) *time.Timer { return time.NewTimer(time.Duration(ms) * time.Millisecond) }

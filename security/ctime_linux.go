package security

import "syscall"

// ctime returns the inode change time of st.
func ctime(st *syscall.Stat_t) (sec, nsec int64) { return int64(st.Ctim.Sec), int64(st.Ctim.Nsec) }

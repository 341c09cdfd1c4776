package win32process

import (
	"errors"
	"os"
	"os/user"
	"strconv"
	"syscall"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
)

// terminate runs Win32_Process.Terminate: it sends SIGKILL, the Unix
// counterpart of TerminateProcess, to the process alone (not to its
// children or its group).
//
// The process is pinned before anything is checked: os.FindProcess holds
// a pidfd on Linux, so the signal cannot reach another process that took
// over the ID meanwhile; a process that ended meanwhile counts as
// terminated (ReturnSuccess). A caller other than the server and not an
// administrator may terminate only processes whose real or saved user ID
// is theirs (the rule of kill(2)); anything else, and the server's own
// process, is ReturnAccessDenied. Reason, the exit code on Windows, cannot
// be imposed on Unix and is ignored.
func (p *Provider) terminate(call *provider.Call) (*cim.Instance, error) {
	pid, err := pidFromPath(call.Path)
	if err != nil {
		return nil, err
	}
	rc, err := p.kill(pid, caller(call).UID, caller(call).Admin)
	if err != nil {
		return nil, err
	}
	return newOut(call, rc)
}

// kill implements terminate for process pid and a caller with user ID
// uid (admin: an administrator).
func (p *Provider) kill(pid, uid int, admin bool) (uint32, error) {
	proc, err := os.FindProcess(pid)
	if err != nil {
		return ReturnUnknownFailure, nil
	}
	defer proc.Release()
	own, err := readOwner(pid)
	switch {
	case errors.Is(err, errGone):
		return 0, status.New(status.WBEM_E_NOT_FOUND, "no process %d", pid)
	case isStatus(err):
		return 0, err
	case err != nil:
		return ReturnUnknownFailure, nil
	}
	if pid == os.Getpid() {
		return ReturnAccessDenied, nil
	}
	if !admin && (uid < 0 || (uint32(uid) != own.Real && uint32(uid) != own.Saved)) {
		return ReturnAccessDenied, nil
	}
	err = proc.Signal(syscall.SIGKILL)
	switch {
	case err == nil, errors.Is(err, os.ErrProcessDone), errors.Is(err, syscall.ESRCH):
		return ReturnSuccess, nil
	case errors.Is(err, syscall.EPERM), errors.Is(err, syscall.EACCES):
		return ReturnAccessDenied, nil
	}
	return ReturnUnknownFailure, nil
}

// ownerUID returns the user ID that owns process pid: its effective user
// ID, which is what ps(1) shows.
func ownerUID(pid int) (uint32, error) {
	own, err := readOwner(pid)
	if err != nil {
		return 0, err
	}
	return own.Effective, nil
}

// getOwner runs Win32_Process.GetOwner: User is the name of the owner's
// account (the numeric user ID when it has no name) and Domain the host
// name. When the owner cannot be read (the process ended meanwhile),
// ReturnValue is ReturnUnknownFailure and both are NULL, as in WMI.
func (p *Provider) getOwner(call *provider.Call) (*cim.Instance, error) {
	uid, failed, err := callOwner(call)
	if err != nil {
		return nil, err
	}
	if failed {
		return newOut(call, ReturnUnknownFailure)
	}
	host, err := os.Hostname()
	if err != nil {
		return newOut(call, ReturnUnknownFailure)
	}
	out, err := newOut(call, ReturnSuccess)
	if err != nil {
		return nil, err
	}
	if err := out.Set("User", cim.NewString(userName(uid))); err != nil {
		return nil, err
	}
	return out, out.Set("Domain", cim.NewString(host))
}

// callOwner reads the owner of the process that call.Path names. A WBEM
// status, which ends the call, is returned as err; any other failure to
// read the owner sets failed, to be reported through ReturnValue.
func callOwner(call *provider.Call) (uid uint32, failed bool, err error) {
	pid, err := pidFromPath(call.Path)
	if err != nil {
		return 0, false, err
	}
	uid, err = ownerUID(pid)
	if isStatus(err) {
		return 0, false, err
	}
	return uid, err != nil, nil
}

// isStatus reports whether err is a WBEM status to end the call with
// (such as WBEM_E_NOT_SUPPORTED where there is no process table), as
// opposed to a failure reported through ReturnValue.
func isStatus(err error) bool {
	var se *status.Error
	return errors.As(err, &se)
}

// userName returns the account name of uid, or uid in decimal.
func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil && u.Username != "" {
		return u.Username
	}
	return id
}

// UnixUserSID returns the security identifier that stands for a Unix
// user ID: S-1-22-1-<uid>, the mapping Samba uses for Unix users.
func UnixUserSID(uid uint32) string { return "S-1-22-1-" + strconv.FormatUint(uint64(uid), 10) }

// getOwnerSid runs Win32_Process.GetOwnerSid: Sid is UnixUserSID of the
// owner. Failures are as for GetOwner.
func (p *Provider) getOwnerSid(call *provider.Call) (*cim.Instance, error) {
	uid, failed, err := callOwner(call)
	if err != nil {
		return nil, err
	}
	if failed {
		return newOut(call, ReturnUnknownFailure)
	}
	out, err := newOut(call, ReturnSuccess)
	if err != nil {
		return nil, err
	}
	return out, out.Set("Sid", cim.NewString(UnixUserSID(uid)))
}

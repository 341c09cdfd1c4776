package win32process

import (
	"os"
	"os/user"
	"runtime"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
)

// Win32_ProcessStartup.CreateFlags bits the provider honours.
const createSuspended = 4

// niceOfPriorityClass maps Win32_ProcessStartup.PriorityClass to the nice
// value the new process gets.
var niceOfPriorityClass = map[uint32]int{
	64:    19,  // Idle
	16384: 10,  // Below_Normal
	32:    0,   // Normal
	32768: -5,  // Above_Normal
	128:   -10, // High
	256:   -20, // Realtime
}

// defaultPath is the search path used when the server's environment has
// no PATH.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// account is a local user account.
type account struct {
	Name, Home string
	// GID is the primary group; Groups are all groups, for setgroups.
	GID    int
	Groups []int
}

// lookupAccount finds the local account with user ID uid.
func lookupAccount(uid int) (account, error) {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return account{}, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return account{}, err
	}
	a := account{Name: u.Username, Home: u.HomeDir, GID: gid}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil {
				a.Groups = append(a.Groups, g)
			}
		}
	}
	if len(a.Groups) == 0 {
		a.Groups = []int{gid}
	}
	return a, nil
}

// runAs says which account a new process runs as.
type runAs struct {
	// Impersonate is false for the server's own account; the other
	// fields are then unused.
	Impersonate bool
	UID, GID    int
	Groups      []int
	Name, Home  string
}

// decideRunAs decides whose account Create starts a process with, for
// the caller id of a server whose effective user ID is serverUID:
//
//   - a caller with the server's user ID: the server's account;
//   - a caller the transport could not map to a local user (UID -1): no
//     process at all (ReturnAccessDenied), whatever its rights;
//   - another user, when the server runs as root: that user, with the
//     groups of the local account (or, when there is no such account, the
//     caller's GIDs, the first being the primary group);
//   - another user, when the server is not root: ReturnAccessDenied, as
//     the server cannot switch users and must not act as itself for
//     someone else.
//
// Administrators are treated like everyone else: a process runs as its
// creator, never with more rights.
func decideRunAs(id *security.Identity, serverUID int, lookup func(int) (account, error)) (runAs, uint32) {
	switch {
	case id.UID < 0:
		return runAs{}, ReturnAccessDenied
	case id.UID == serverUID:
		return runAs{}, ReturnSuccess
	case serverUID != 0:
		return runAs{}, ReturnAccessDenied
	}
	ra := runAs{Impersonate: true, UID: id.UID}
	if a, err := lookup(id.UID); err == nil {
		ra.GID, ra.Groups, ra.Name, ra.Home = a.GID, a.Groups, a.Name, a.Home
		return ra, ReturnSuccess
	}
	if len(id.GIDs) == 0 {
		return runAs{}, ReturnAccessDenied
	}
	for _, g := range id.GIDs {
		if g < 0 {
			return runAs{}, ReturnAccessDenied
		}
	}
	ra.GID, ra.Groups = id.GIDs[0], append([]int(nil), id.GIDs...)
	ra.Name, ra.Home = id.User, "/"
	if ra.Name == "" {
		ra.Name = strconv.Itoa(id.UID)
	}
	return ra, ReturnSuccess
}

// startup holds the honoured settings of a Win32_ProcessStartup.
type startup struct {
	// Env is the EnvironmentVariables block; EnvGiven is false when the
	// client gave none.
	Env      []string
	EnvGiven bool
	// Nice is the nice value of the PriorityClass when SetNice is set.
	Nice    int
	SetNice bool
	// Suspended asks for the process to be stopped at once
	// (Create_Suspended).
	Suspended bool
}

// readStartup reads the ProcessStartupInformation in-parameter v.
func readStartup(v cim.Value) (startup, uint32) {
	var s startup
	if v.IsNull() {
		return s, ReturnSuccess
	}
	inst := v.Object()
	if v.Type() != cim.Object || v.IsArray() || inst == nil {
		return s, ReturnInvalidParameter
	}
	if env := inst.Value("EnvironmentVariables"); !env.IsNull() {
		if env.Type() != cim.String || !env.IsArray() {
			return s, ReturnInvalidParameter
		}
		s.EnvGiven = true
		for _, e := range env.Elems() {
			if e.IsNull() {
				return s, ReturnInvalidParameter
			}
			entry := e.Text()
			name, _, ok := strings.Cut(entry, "=")
			if !ok || name == "" || strings.IndexByte(entry, 0) >= 0 {
				return s, ReturnInvalidParameter
			}
			s.Env = append(s.Env, entry)
		}
	}
	if pc := inst.Value("PriorityClass"); !pc.IsNull() {
		c, err := cim.Convert(pc, cim.Uint32, false)
		if err != nil {
			return s, ReturnInvalidParameter
		}
		nice, ok := niceOfPriorityClass[uint32(c.Uint64())]
		if !ok {
			return s, ReturnInvalidParameter
		}
		s.Nice, s.SetNice = nice, true
	}
	if cf := inst.Value("CreateFlags"); !cf.IsNull() {
		c, err := cim.Convert(cf, cim.Uint32, false)
		if err != nil {
			return s, ReturnInvalidParameter
		}
		s.Suspended = c.Uint64()&createSuspended != 0
	}
	return s, ReturnSuccess
}

// envValue returns the value of the last entry for name in env.
func envValue(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// dedupEnv keeps the last entry of each name, in the position of its
// first appearance.
func dedupEnv(env []string) []string {
	last := make(map[string]string, len(env))
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		last[name] = e
	}
	out := make([]string, 0, len(last))
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		if v, ok := last[name]; ok {
			out = append(out, v)
			delete(last, name)
		}
	}
	return out
}

// buildEnv returns the environment of a new process:
//
//   - with an EnvironmentVariables block, the block (WMI: it becomes the
//     new environment), plus PATH from the server when the block has none,
//     so that the program can be found;
//   - without one, the server's environment when the process runs as the
//     server, and otherwise (impersonation) a fresh minimal one, PATH
//     from the server, so that nothing of the server's environment leaks
//     to another user;
//   - when impersonating, HOME, USER and LOGNAME describe the user, unless
//     the block sets them.
func buildEnv(s startup, server []string, ra runAs) []string {
	serverPath, ok := envValue(server, "PATH")
	if !ok || serverPath == "" {
		serverPath = defaultPath
	}
	var env []string
	switch {
	case s.EnvGiven:
		env = dedupEnv(s.Env)
	case !ra.Impersonate:
		return dedupEnv(server)
	}
	if _, ok := envValue(env, "PATH"); !ok {
		env = append(env, "PATH="+serverPath)
	}
	if ra.Impersonate {
		for _, kv := range [][2]string{{"HOME", ra.Home}, {"USER", ra.Name}, {"LOGNAME", ra.Name}} {
			if _, ok := envValue(env, kv[0]); !ok {
				env = append(env, kv[0]+"="+kv[1])
			}
		}
	}
	return env
}

// startSpec is a validated Create request.
type startSpec struct {
	Args    []string
	Dir     string // "" for the server's working directory
	Env     []string
	Startup startup
	As      runAs
}

// create runs Win32_Process.Create.
func (p *Provider) create(call *provider.Call) (*cim.Instance, error) {
	if !spawnSupported {
		return nil, status.New(status.WBEM_E_NOT_SUPPORTED, "%s.Create is implemented for Unix systems only, not %s", ClassName, runtime.GOOS)
	}
	pid, rc := p.startProcess(call)
	out, err := newOut(call, rc)
	if err != nil {
		return nil, err
	}
	if rc == ReturnSuccess {
		if err := out.Set("ProcessId", cim.NewUint32(pid)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// startProcess validates the in-parameters of Create and starts the
// process; it returns the process ID and the ReturnValue.
func (p *Provider) startProcess(call *provider.Call) (uint32, uint32) {
	cl := call.Arg("CommandLine")
	if cl.IsNull() || cl.Type() != cim.String || cl.IsArray() {
		return 0, ReturnInvalidParameter
	}
	args, err := SplitCommandLine(cl.Text())
	if err != nil || len(args) == 0 || args[0] == "" {
		return 0, ReturnInvalidParameter
	}
	spec := startSpec{Args: args}
	if d := call.Arg("CurrentDirectory"); !d.IsNull() {
		if d.Type() != cim.String || d.IsArray() || strings.IndexByte(d.Text(), 0) >= 0 {
			return 0, ReturnInvalidParameter
		}
		spec.Dir = d.Text()
	}
	var rc uint32
	if spec.Startup, rc = readStartup(call.Arg("ProcessStartupInformation")); rc != ReturnSuccess {
		return 0, rc
	}
	id := caller(call)
	if spec.As, rc = decideRunAs(id, p.serverUID, p.lookupAccount); rc != ReturnSuccess {
		return 0, rc
	}
	// Only administrators may raise priority (a negative nice value);
	// others get Normal, as Windows quietly lowers Realtime to High for
	// callers without SeIncreaseBasePriorityPrivilege.
	if spec.Startup.SetNice && spec.Startup.Nice < 0 && !id.Admin {
		spec.Startup.Nice = 0
	}
	spec.Env = buildEnv(spec.Startup, os.Environ(), spec.As)
	return p.spawn(&spec)
}

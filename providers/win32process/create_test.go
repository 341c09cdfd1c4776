package win32process

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
)

func TestParsePID(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"1", true}, {"1234", true}, {"2147483647", true},
		{"", false}, {"0", false}, {"-1", false}, {"+5", false}, {"01", false}, {" 1", false},
		{"2147483648", false}, {"4294967295", false}, {"99999999999", false}, {"self", false},
		{"../1", false}, {"1e3", false}, {"0x10", false},
	} {
		if pid, ok := parsePID(tt.in); ok != tt.ok || (ok && itoa(pid) != tt.in) {
			t.Errorf("parsePID(%q) = %d, %v; want ok=%v", tt.in, pid, ok, tt.ok)
		}
	}
}

func TestPIDFromPath(t *testing.T) {
	key := func(name, text string) []cim.KeyBinding {
		return []cim.KeyBinding{{Name: name, Value: cim.KeyValue{Kind: cim.KeyString, Text: text}}}
	}
	tests := []struct {
		name string
		path *cim.ObjectPath
		pid  int
		code status.HRESULT
	}{
		{"named", &cim.ObjectPath{Class: ClassName, Keys: key("Handle", "42")}, 42, 0},
		{"any case", &cim.ObjectPath{Class: ClassName, Keys: key("hANDLE", "42")}, 42, 0},
		{"unnamed", &cim.ObjectPath{Class: ClassName, Keys: key("", "7")}, 7, 0},
		{"integer key", &cim.ObjectPath{Class: ClassName, Keys: []cim.KeyBinding{{Name: "Handle", Value: cim.KeyValue{Kind: cim.KeyInt, Text: "9"}}}}, 9, 0},
		{"class path", &cim.ObjectPath{Class: ClassName}, 0, status.WBEM_E_INVALID_METHOD_PARAMETERS},
		{"nil", nil, 0, status.WBEM_E_INVALID_METHOD_PARAMETERS},
		{"other key", &cim.ObjectPath{Class: ClassName, Keys: key("Name", "x")}, 0, status.WBEM_E_NOT_FOUND},
		// Other keys (the DMTF keys of CIM_Process) are checked by
		// GetInstance against the instance (TestInstances).
		{"extra key", &cim.ObjectPath{Class: ClassName, Keys: append(key("Handle", "1"), key("CSName", "x")...)}, 1, 0},
		{"bad handle", &cim.ObjectPath{Class: ClassName, Keys: key("Handle", "-1")}, 0, status.WBEM_E_NOT_FOUND},
	}
	for _, tt := range tests {
		pid, err := pidFromPath(tt.path)
		if status.Code(err) != tt.code || pid != tt.pid {
			t.Errorf("%s: pidFromPath = %d, %v; want %d, %v", tt.name, pid, err, tt.pid, tt.code)
		}
	}
}

func TestBasePriority(t *testing.T) {
	// Each priority class's nice value maps back to its base priority.
	want := map[uint32]uint32{64: 4, 16384: 6, 32: 8, 32768: 10, 128: 13, 256: 24}
	for class, nice := range niceOfPriorityClass {
		if got := basePriority(nice, false); got != want[class] {
			t.Errorf("class %d (nice %d): base priority %d, want %d", class, nice, got, want[class])
		}
	}
	if got := basePriority(0, true); got != 24 {
		t.Errorf("real-time: %d", got)
	}
}

func TestExecutionState(t *testing.T) {
	for in, want := range map[byte]uint16{'R': 3, 'S': 4, 'D': 4, 'Z': 7, 'T': 8, 't': 8, '?': 0} {
		if got := executionState(in); got != want {
			t.Errorf("executionState(%c) = %d, want %d", in, got, want)
		}
	}
}

func TestDecideRunAs(t *testing.T) {
	accounts := map[int]account{
		1000: {Name: "alice", Home: "/home/alice", GID: 1000, Groups: []int{1000, 27}},
	}
	lookup := func(uid int) (account, error) {
		if a, ok := accounts[uid]; ok {
			return a, nil
		}
		return account{}, errors.New("unknown user")
	}
	tests := []struct {
		name      string
		id        security.Identity
		serverUID int
		want      runAs
		rc        uint32
	}{
		{"same user as a root server", security.Identity{UID: 0, Admin: true}, 0, runAs{}, 0},
		{"same user as a user server", security.Identity{UID: 1000}, 1000, runAs{}, 0},
		{"unmapped caller", security.Identity{UID: -1, Admin: true}, 0, runAs{}, 2},
		{"other user, server not root", security.Identity{UID: 1000}, 500, runAs{}, 2},
		{"root caller, server not root", security.Identity{UID: 0, Admin: true}, 500, runAs{}, 2},
		{"known user, root server", security.Identity{UID: 1000, GIDs: []int{5}}, 0,
			runAs{Impersonate: true, UID: 1000, GID: 1000, Groups: []int{1000, 27}, Name: "alice", Home: "/home/alice"}, 0},
		{"admin is not elevated", security.Identity{UID: 1000, Admin: true}, 0,
			runAs{Impersonate: true, UID: 1000, GID: 1000, Groups: []int{1000, 27}, Name: "alice", Home: "/home/alice"}, 0},
		{"unknown user with gids", security.Identity{UID: 2000, User: "bob", GIDs: []int{20, 30}}, 0,
			runAs{Impersonate: true, UID: 2000, GID: 20, Groups: []int{20, 30}, Name: "bob", Home: "/"}, 0},
		{"unknown user without name", security.Identity{UID: 2000, GIDs: []int{20}}, 0,
			runAs{Impersonate: true, UID: 2000, GID: 20, Groups: []int{20}, Name: "2000", Home: "/"}, 0},
		{"unknown user without gids", security.Identity{UID: 2000}, 0, runAs{}, 2},
		{"negative gid", security.Identity{UID: 2000, GIDs: []int{-1}}, 0, runAs{}, 2},
	}
	for _, tt := range tests {
		got, rc := decideRunAs(&tt.id, tt.serverUID, lookup)
		if rc != tt.rc || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: decideRunAs = %+v, %d; want %+v, %d", tt.name, got, rc, tt.want, tt.rc)
		}
	}
}

func TestBuildEnv(t *testing.T) {
	server := []string{"PATH=/srv/bin", "HOME=/root", "SECRET=x", "PATH=/srv/bin:/bin"}
	alice := runAs{Impersonate: true, UID: 1000, Name: "alice", Home: "/home/alice"}
	tests := []struct {
		name string
		s    startup
		ra   runAs
		want []string
	}{
		{"server, no block", startup{}, runAs{}, []string{"PATH=/srv/bin:/bin", "HOME=/root", "SECRET=x"}},
		{"server, block without PATH", startup{EnvGiven: true, Env: []string{"FOO=1"}}, runAs{},
			[]string{"FOO=1", "PATH=/srv/bin:/bin"}},
		{"server, empty block", startup{EnvGiven: true}, runAs{}, []string{"PATH=/srv/bin:/bin"}},
		{"server, block with PATH", startup{EnvGiven: true, Env: []string{"PATH=/mine", "A=1", "A=2"}}, runAs{},
			[]string{"PATH=/mine", "A=2"}},
		{"impersonated, no block", startup{}, alice,
			[]string{"PATH=/srv/bin:/bin", "HOME=/home/alice", "USER=alice", "LOGNAME=alice"}},
		{"impersonated, block sets HOME", startup{EnvGiven: true, Env: []string{"HOME=/tmp", "X=y"}}, alice,
			[]string{"HOME=/tmp", "X=y", "PATH=/srv/bin:/bin", "USER=alice", "LOGNAME=alice"}},
	}
	for _, tt := range tests {
		if got := buildEnv(tt.s, server, tt.ra); !slices.Equal(got, tt.want) {
			t.Errorf("%s: buildEnv = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := buildEnv(startup{}, nil, alice); got[0] != "PATH="+defaultPath {
		t.Errorf("no server PATH: %q", got)
	}
	for _, e := range buildEnv(startup{}, server, alice) {
		if strings.HasPrefix(e, "SECRET=") {
			t.Error("the server's environment leaked to an impersonated process")
		}
	}
}

func TestReadStartup(t *testing.T) {
	inst := func(o startupOpts) cim.Value { return cim.NewObject(o.instance(t)) }
	tests := []struct {
		name string
		v    cim.Value
		want startup
		rc   uint32
	}{
		{"null", cim.Null(cim.Object, false), startup{}, 0},
		{"nothing set", inst(startupOpts{}), startup{}, 0},
		{"env", inst(startupOpts{env: []string{"A=1", "B=", "C=x=y"}}), startup{EnvGiven: true, Env: []string{"A=1", "B=", "C=x=y"}}, 0},
		{"empty env", inst(startupOpts{env: []string{}}), startup{EnvGiven: true}, 0},
		{"env without =", inst(startupOpts{env: []string{"A"}}), startup{}, 21},
		{"env without name", inst(startupOpts{env: []string{"=C:=C:\\"}}), startup{}, 21},
		{"env with NUL", inst(startupOpts{env: []string{"A=\x00"}}), startup{}, 21},
		{"idle", inst(startupOpts{priorityClass: u32(64)}), startup{Nice: 19, SetNice: true}, 0},
		{"realtime", inst(startupOpts{priorityClass: u32(256)}), startup{Nice: -20, SetNice: true}, 0},
		{"bad class", inst(startupOpts{priorityClass: u32(33)}), startup{}, 21},
		{"suspended", inst(startupOpts{createFlags: u32(4 | 16)}), startup{Suspended: true}, 0},
		{"other flags", inst(startupOpts{createFlags: u32(16777216)}), startup{}, 0},
		{"not an object", cim.NewString("instance of Win32_ProcessStartup {};"), startup{}, 21},
	}
	for _, tt := range tests {
		got, rc := readStartup(tt.v)
		if rc != tt.rc || (rc == 0 && fmt.Sprint(got) != fmt.Sprint(tt.want)) {
			t.Errorf("%s: readStartup = %+v, %d; want %+v, %d", tt.name, got, rc, tt.want, tt.rc)
		}
	}
}

func TestUnixUserSID(t *testing.T) {
	if got := UnixUserSID(1000); got != "S-1-22-1-1000" {
		t.Errorf("UnixUserSID(1000) = %s", got)
	}
}

func TestModule(t *testing.T) {
	if Module.Name != "CIMWin32" || Module.Namespace != "root/cimv2" {
		t.Fatalf("Module = %+v", Module)
	}
	mof := string(Module.MOF)
	for _, want := range []string{
		"Qualifier Privileges", "Qualifier Constructor", "Qualifier Destructor", "Qualifier EmbeddedInstance",
		`Name         = "CIMWin32"`, "instance of __MethodProviderRegistration",
		"class CIM_ManagedSystemElement", "class CIM_LogicalElement : CIM_ManagedSystemElement",
		"class CIM_Process : CIM_LogicalElement", "class Win32_MethodParameterClass",
		"class Win32_ProcessStartup : Win32_MethodParameterClass", `[Dynamic, Provider ("CIMWin32")`,
		"class Win32_Process : CIM_Process", "[Static, Constructor, Implemented",
		`ValueMap {"0", "2", "3", "8", "9", "21", ".."}`,
		`[In, EmbeddedInstance ("Win32_ProcessStartup")`, "uint32 Terminate(", "uint32 GetOwner(", "uint32 GetOwnerSid(",
	} {
		if !strings.Contains(mof, want) {
			t.Errorf("module MOF lacks %q", want)
		}
	}
	// Handle is the only key.
	if n := strings.Count(mof, "[Key"); n != 1 {
		t.Errorf("%d Key qualifiers, want 1 (Handle)", n)
	}
}

package security

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseRights(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Rights
		err  string
	}{
		{in: "0x6003F", want: AdminRights},
		{in: "0x13", want: UserRights},
		{in: "19", want: UserRights},
		{in: "Enable,MethodExecute,WriteProvider", want: UserRights},
		{in: "enable|methodexecute|writeprovider", want: UserRights},
		{in: "EnableAccount,ExecuteMethods,ProviderWrite,RemoteEnable,ReadSecurity,EditSecurity", want: Enable | MethodExecute | WriteProvider | RemoteAccess | ReadControl | WriteDAC},
		{in: "WBEM_ENABLE|WBEM_REMOTE_ACCESS|READ_CONTROL|WRITE_DAC", want: Enable | RemoteAccess | ReadControl | WriteDAC},
		{in: "FullWrite,PartialWrite,Subscribe,Publish", want: FullWrite | PartialWrite | Subscribe | Publish},
		{in: "0x600FF", want: KnownRights},
		{in: "", err: "missing"},
		{in: "0x100", err: "not namespace rights"},
		{in: "0x80000000", err: "not namespace rights"},
		{in: "0x1FFFFFFFF", err: "32-bit"},
		{in: "0x", err: "32-bit"},
		{in: "12abc", err: "32-bit"},
		{in: "Enable,Bogus", err: `unknown right "Bogus"`},
		{in: ",", err: "no right"},
		{in: "0", err: "no right"},
		{in: "0x0", err: "no right"},
	} {
		got, err := ParseRights(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseRights(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseRights(%q) = %s, %v; want %s", tc.in, got.Hex(), err, tc.want.Hex())
		}
	}
}

func TestRightsString(t *testing.T) {
	for r, want := range map[Rights]string{
		0:                            "0",
		UserRights:                   "Enable,MethodExecute,WriteProvider",
		AdminRights:                  "Enable,MethodExecute,FullWrite,PartialWrite,WriteProvider,RemoteAccess,ReadControl,WriteDAC",
		Enable | 0x100:               "Enable,0x100",
		0x100:                        "0x100",
		ReadControl | WriteDAC:       "ReadControl,WriteDAC",
		MethodExecute | RemoteAccess: "MethodExecute,RemoteAccess",
	} {
		if got := r.String(); got != want {
			t.Errorf("Rights(%s).String() = %q, want %q", r.Hex(), got, want)
		}
	}
	if AdminRights != 0x6003F || UserRights != 0x13 || KnownRights != 0x600FF {
		t.Errorf("AdminRights %s, UserRights %s, KnownRights %s", AdminRights.Hex(), UserRights.Hex(), KnownRights.Hex())
	}
}

func TestParseSD(t *testing.T) {
	text := `# the defaults of root/cimv2, and more
allow Administrators 0x6003F inherit   # Enable,...
allow "Authenticated Users" Enable,MethodExecute,WriteProvider inherit
ALLOW local users 0x1
deny Remote Users MethodExecute
allow user:alice 0x23
allow group:wheel 0x6003F noinherit
allow "group:domain users" Enable inherit
allow "user:o\"brien\\x" Enable
deny everyone Subscribe|Publish inherit
allow AuthenticatedUsers 0x1` + "\r\n\n   \t\n"
	sd, err := ParseSD(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []ACE{
		{Allow, Administrators, AdminRights, true},
		{Allow, AuthenticatedUsers, UserRights, true},
		{Allow, LocalUsers, Enable, false},
		{Deny, RemoteUsers, MethodExecute, false},
		{Allow, UserTrustee("alice"), Enable | MethodExecute | RemoteAccess, false},
		{Allow, GroupTrustee("wheel"), AdminRights, false},
		{Allow, GroupTrustee("domain users"), Enable, true},
		{Allow, UserTrustee(`o"brien\x`), Enable, false},
		{Deny, Everyone, Subscribe | Publish, true},
		{Allow, AuthenticatedUsers, Enable, false},
	}
	if !sd.Equal(&SecurityDescriptor{ACEs: want}) {
		t.Fatalf("ParseSD:\n%v\nwant\n%v", sd.ACEs, want)
	}
	// Format and parse again: the same descriptor.
	out := sd.String()
	for _, line := range []string{
		"allow Administrators 0x6003F inherit  # Enable,MethodExecute,FullWrite,PartialWrite,WriteProvider,RemoteAccess,ReadControl,WriteDAC\n",
		`allow "Authenticated Users" 0x13 inherit  # Enable,MethodExecute,WriteProvider` + "\n",
		`allow "group:domain users" 0x1 inherit  # Enable` + "\n",
		`allow "user:o\"brien\\x" 0x1  # Enable` + "\n",
		"deny \"Remote Users\" 0x2  # MethodExecute\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("String() lacks %q:\n%s", line, out)
		}
	}
	back, err := ParseSD(out)
	if err != nil || !back.Equal(sd) {
		t.Fatalf("round trip: %v\n%s", err, out)
	}
}

func TestParseSDErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		msg        string
	}{
		{"type", "permit Everyone 0x1", 1, "allow or deny"},
		{"quoted type", `"allow" Everyone 0x1`, 1, "allow or deny"},
		{"no trustee", "allow", 1, "trustee is missing"},
		{"no rights", "\nallow Everyone", 2, "rights are missing"},
		{"unknown trustee", "allow alice 0x1", 1, "unknown trustee"},
		{"empty user", "allow user: 0x1", 1, "empty"},
		{"control char", "allow \"user:a\x01b\" 0x1", 1, "control character"},
		{"bad rights", "allow Everyone 0x100000", 1, "not namespace rights"},
		{"quoted rights", `allow Everyone "0x1"`, 1, "must not be quoted"},
		{"extra word", "allow Everyone 0x1 inherit always", 1, `unexpected "always"`},
		{"space in rights", "allow Everyone Enable, MethodExecute", 1, `unexpected "MethodExecute"`},
		{"unclosed quote", `allow "Local Users 0x1`, 1, "not closed"},
		{"bad escape", `allow "user:a\nb" 0x1`, 1, "backslash"},
		{"glued quote", `allow "user:a"0x1`, 1, "followed by a space"},
		{"quote in word", `allow user:a"b" 0x1`, 1, "unexpected quote"},
		{"invalid utf8", "allow Everyone 0x1\nallow user:\xff 0x1", 2, "UTF-8"},
		{"well-known with name", "allow Everyone:x 0x1", 1, "unknown trustee"},
		{"long name", "allow user:" + strings.Repeat("a", 300) + " 0x1", 1, "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSD(tc.text)
			var se *SDSyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseSD(%q) = %v, want *SDSyntaxError", tc.text, err)
			}
			if se.Line != tc.line || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("ParseSD(%q) = line %d %q, want line %d containing %q", tc.text, se.Line, se.Msg, tc.line, tc.msg)
			}
		})
	}
	if _, err := ParseSD(strings.Repeat("allow Everyone 0x1\n", MaxACEs+1)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too many ACEs: %v", err)
	}
	if _, err := ParseSD(strings.Repeat("#", MaxSDText+1)); err == nil {
		t.Error("too long a text was accepted")
	}
	if sd, err := ParseSD("  # nothing\n\n"); err != nil || len(sd.ACEs) != 0 {
		t.Errorf("comments only: %v, %v", sd, err)
	}
}

func TestSDJSON(t *testing.T) {
	sd := &SecurityDescriptor{ACEs: []ACE{
		{Allow, Administrators, AdminRights, true},
		{Deny, GroupTrustee("guests"), MethodExecute, false},
	}}
	b, err := json.Marshal(sd)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"aces":[{"type":"allow","trustee":"Administrators","rights":"Enable,MethodExecute,FullWrite,PartialWrite,WriteProvider,RemoteAccess,ReadControl,WriteDAC","inherit":true},{"type":"deny","trustee":"group:guests","rights":"MethodExecute"}]}`
	if string(b) != want {
		t.Errorf("JSON:\n%s\nwant\n%s", b, want)
	}
	var back SecurityDescriptor
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(sd) {
		t.Fatalf("JSON round trip: %v, %v", back, err)
	}
	got, err := ParseSDAny(`  {"aces":[{"type":"ALLOW","trustee":"Local Users","rights":"0x13","inherit":true}]}`)
	if err != nil || !got.Equal(&SecurityDescriptor{ACEs: []ACE{{Allow, LocalUsers, UserRights, true}}}) {
		t.Errorf("ParseSDAny JSON: %v, %v", got, err)
	}
	if got, err := ParseSDAny("allow Everyone 0x1"); err != nil || len(got.ACEs) != 1 {
		t.Errorf("ParseSDAny text: %v, %v", got, err)
	}
	for _, bad := range []string{
		`{"aces":[{"type":"allow","trustee":"Everyone"}]}`,
		`{"aces":[{"type":"maybe","trustee":"Everyone","rights":"Enable"}]}`,
		`{"aces":[{"type":"allow","trustee":"nobody","rights":"Enable"}]}`,
		`{"aces":[{"type":"allow","rights":"Enable"}]}`,
		`{"aces":[{"type":"allow","trustee":"Everyone","rights":"0x100"}]}`,
		`{"aces":[],"owner":"me"}`,
		`{"aces":[{"trustee":"Everyone","rights":"Enable"}]}`,
		`{"aces":[{"type":"allow","trustee":"Everyone","rights":"0"}]}`,
		`{"aces":[{"type":"allow","trustee":"Everyone","rights":"Enable","extra":1}]}`,
	} {
		if _, err := ParseSDAny(bad); err == nil {
			t.Errorf("ParseSDAny(%s) accepted", bad)
		}
	}
}

func TestEvaluate(t *testing.T) {
	alice := &Identity{User: "alice", UID: 1001, Groups: []string{"staff"}, Method: "peercred"}
	bob := &Identity{User: "bob", UID: 1002, Groups: []string{"staff", "guests"}, Method: "peercred"}
	remoteCarol := &Identity{User: "carol", UID: -1, Remote: true, Method: "basic"}
	anon := &Identity{User: "anonymous", UID: -1, Remote: true, Method: "none"}
	admin := &Identity{User: "root", UID: 0, Admin: true, Method: "peercred"}
	sd := &SecurityDescriptor{ACEs: []ACE{
		{Allow, GroupTrustee("staff"), Enable | MethodExecute, false},
		{Deny, GroupTrustee("guests"), MethodExecute, false},
		{Allow, UserTrustee("bob"), MethodExecute | WriteProvider, false}, // the deny still wins
		{Allow, AuthenticatedUsers, Subscribe, false},
		{Allow, RemoteUsers, Publish, false},
		{Allow, LocalUsers, WriteProvider, false},
		{Allow, Administrators, ReadControl, false},
		{Allow, Everyone, 0, false}, // not valid, but evaluation must not care
	}}
	for _, tc := range []struct {
		name string
		id   *Identity
		want Rights
	}{
		{"group allow", alice, Enable | MethodExecute | Subscribe | WriteProvider},
		{"deny beats allow in any order", bob, Enable | WriteProvider | Subscribe},
		{"remote", remoteCarol, Subscribe | Publish},
		{"anonymous is not authenticated", anon, Publish},
		{"administrators", admin, Subscribe | WriteProvider | ReadControl},
	} {
		if got := sd.Rights(tc.id); got != tc.want {
			t.Errorf("%s: Rights = %s, want %s", tc.name, got, tc.want)
		}
	}
	// A deny placed before the allow gives the same result.
	rev := &SecurityDescriptor{ACEs: []ACE{sd.ACEs[2], sd.ACEs[1], sd.ACEs[0]}}
	if got := rev.Rights(bob); got != Enable|WriteProvider {
		t.Errorf("reordered: %s", got)
	}
	if inh := sd.Inherited(); len(inh.ACEs) != 0 {
		t.Errorf("Inherited of a descriptor without inherit ACEs: %v", inh.ACEs)
	}
}

func TestTrusteeMatchesServerAccount(t *testing.T) {
	local := &Identity{User: "svc", UID: serverUID, Method: "peercred"}
	if serverUID >= 0 && !Administrators.Matches(local) {
		t.Error("a local caller running as the server's account is not an administrator")
	}
	remote := &Identity{User: "svc", UID: serverUID, Remote: true, Method: "basic"}
	if Administrators.Matches(remote) {
		t.Error("a remote caller mapped to the server's account counts as an administrator")
	}
	if !IsAdministrator(Process()) {
		t.Error("the in-process identity is not an administrator")
	}
	if IsAdministrator(nil) {
		t.Error("nil is an administrator")
	}
	// An identity built without a uid or method is not root by its
	// zero uid.
	if IsAdministrator(&Identity{User: "bob"}) {
		t.Error("an identity with the zero uid and no method is an administrator")
	}
}

// FuzzParseSD checks that the parser never panics, that what it accepts
// is valid, and that formatting and parsing again gives the same
// descriptor.
func FuzzParseSD(f *testing.F) {
	for _, s := range []string{
		"allow Administrators 0x6003F inherit\n",
		`allow "Authenticated Users" Enable,MethodExecute,WriteProvider inherit # c`,
		"deny Remote Users 0x2\nallow user:alice 0x23",
		`allow "group:a \"b\" \\c" 1 noinherit`,
		"ALLOW local users WBEM_ENABLE|READ_CONTROL\r\n",
		"allow",
		`allow "x`,
		"# only a comment",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		sd, err := ParseSD(text)
		if err != nil {
			var se *SDSyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error %v is not a *SDSyntaxError with a line", err)
			}
			return
		}
		if err := sd.Validate(); err != nil {
			t.Fatalf("ParseSD(%q) accepted an invalid descriptor: %v", text, err)
		}
		out := sd.String()
		back, err := ParseSD(out)
		if err != nil {
			t.Fatalf("ParseSD(String()) failed: %v\n%s", err, out)
		}
		if !back.Equal(sd) {
			t.Fatalf("round trip changed the descriptor:\n%v\n%v", sd.ACEs, back.ACEs)
		}
		b, err := json.Marshal(sd)
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		var j SecurityDescriptor
		if err := json.Unmarshal(b, &j); err != nil || !j.Equal(sd) {
			t.Fatalf("JSON round trip: %v\n%s", err, b)
		}
	})
}

package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gowbem/gowbem/status"
)

// wbemcliCase is one wbemcli run: its arguments, the exit code and
// substrings its output (stdout and stderr) must and must not contain.
type wbemcliCase struct {
	name string
	args []string
	code int
	want []string
	not  []string
}

// runWbemcli runs the cases in order (later cases may depend on the
// state earlier ones left, e.g. GetInstance after Resize).
func runWbemcli(t *testing.T, cases []wbemcliCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runCmd(t, 30*time.Second, wbemcliPath, tc.args...)
			if code != tc.code {
				t.Errorf("wbemcli %s: exit %d, want %d\n%s", strings.Join(tc.args, " "), code, tc.code, out)
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("wbemcli %s: output lacks %q:\n%s", strings.Join(tc.args, " "), w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("wbemcli %s: output has %q:\n%s", strings.Join(tc.args, " "), w, out)
				}
			}
		})
	}
}

// cimErr is the way wbemcli prints a CIM error of code c.
func cimErr(c status.CIMStatus) string { return fmt.Sprintf("Cim: (%d) %s: ", int(c), c) }

// TestWbemcli drives wbemd with sblim-wbemcli 1.6.3 over CIM-XML: the
// intrinsic operations it makes (gc, gcd, ecn, ein, gi) and cm on
// TestMeth.Echo, TST_Widget (instance and static methods, every
// parameter type wbemcli can send, the error cases) and
// Win32_Process.Create; then HTTPS and wrong credentials.
//
// What wbemcli cannot do, found here (see also shared/spec/CIM-XML.md):
//   - read a reference-array out-parameter (VALUE.REFARRAY in a
//     PARAMVALUE): its parser knows only VALUE, VALUE.ARRAY and
//     VALUE.REFERENCE there and fails with "Bad attribute list for
//     VALUE" (it does send reference arrays);
//   - send an embedded instance (it does not XML-escape values, and its
//     parameter syntax splits at '=' and ','), or read one (it refuses
//     the EmbeddedObject attribute);
//   - send a string containing a comma (it sends an empty string
//     instead), an escaped quote inside a quoted string (\" is sent with
//     its backslash; a quote in an unquoted value works), or '&' or '<'
//     (it does not XML-escape values, so the request is not well-formed
//     and the server answers 400);
//   - send a parameter the class does not declare: it drops such names
//     silently after its GetClass, so the server never sees them;
//   - call a method of a class that does not exist: its GetClass fails
//     first, with CIM_ERR_NOT_FOUND (6) as DSP0200 prescribes for
//     GetClass, so the server's CIM_ERR_INVALID_CLASS (5) for the call
//     itself is checked with a raw CIM-XML request.
func TestWbemcli(t *testing.T) {
	requireWbemcli(t)
	s := startServer(t, nil)
	addr := s.cimxmlAddr()
	cred := mainUser + ":" + mainPass + "@"
	base := "http://" + cred + addr + "/root/test"
	host := addr + "/root/test"
	w1 := base + `:TST_Widget.Id="w1"`
	widget := base + ":TST_Widget"

	cases := []wbemcliCase{
		{name: "gc", args: []string{"gc", widget}, want: []string{host + ":TST_Widget Id=,Size="}},
		{name: "gcd", args: []string{"gcd", widget}, want: []string{
			`<CLASS NAME="TST_Widget">`, `<PROPERTY NAME="Id" TYPE="string">`, `<METHOD NAME="Resize" TYPE="uint32">`,
			`<PARAMETER.REFERENCE NAME="Widget" REFERENCECLASS="TST_Widget">`, `<METHOD NAME="NotImplemented" TYPE="uint32">`}},
		{name: "ecn", args: []string{"ecn", base}, want: []string{host + ":TST_Widget\n", host + ":TST_Settings\n", host + ":E2E_Probe\n"}},
		{name: "ein", args: []string{"ein", widget}, want: []string{host + `:TST_Widget.Id="w1"`, host + `:TST_Widget.Id="w2"`}},
		{name: "gi", args: []string{"gi", w1}, want: []string{host + `:TST_Widget.Id="w1" Id="w1",Size=10`}},
		{name: "Echo", args: []string{"cm", "http://" + cred + addr + "/root/default:TestMeth", `Echo.sInArg="hello world"`},
			want: []string{addr + `/root/default:TestMeth Echo: 11, sOutArg (string): hello world`}},

		{name: "Echo UTF-8", args: []string{"cm", "http://" + cred + addr + "/root/default:TestMeth", `Echo.sInArg="héllo wörld ✓"`},
			want: []string{"Echo: 13, sOutArg (string): héllo wörld ✓"}},
		// wbemcli does not XML-escape: the request is not well-formed, and
		// the server answers 400, which wbemcli reports as an HTTP error.
		{name: "Echo unescaped", args: []string{"cm", "http://" + cred + addr + "/root/default:TestMeth", `Echo.sInArg="a&b<c"`}, code: 16,
			want: []string{"Http Exception: HTTP response code said error"}},
		// wbemcli sends a string with a comma as an empty string.
		{name: "Echo comma", args: []string{"-dx", "cm", "http://" + cred + addr + "/root/default:TestMeth", `Echo.sInArg="a,b"`},
			want: []string{`<PARAMVALUE NAME="sInArg"><VALUE></VALUE></PARAMVALUE>`, "Echo: 0, sOutArg (string): \n"}},

		{name: "Echo escaped quote", args: []string{"-dx", "cm", "http://" + cred + addr + "/root/default:TestMeth", `Echo.sInArg="a\"b"`},
			want: []string{`<PARAMVALUE NAME="sInArg"><VALUE>a\"b</VALUE></PARAMVALUE>`, "Echo: 4, "}},

		// Instance methods.
		{name: "Resize", args: []string{"cm", w1, "Resize.NewSize=42,Force=true"}, want: []string{host + `:TST_Widget.Id="w1" Resize: 0, OldSize (uint32): 10`}},
		{name: "gi after Resize", args: []string{"gi", w1}, want: []string{`Id="w1",Size=42`}},
		{name: "Resize without Force", args: []string{"cm", w1, "Resize.NewSize=43"}, want: []string{"Resize: 0, OldSize (uint32): 42"}},
	}
	for code := status.CIMStatus(1); code <= 17; code++ {
		cases = append(cases, wbemcliCase{name: fmt.Sprint("Fail ", int(code)), args: []string{"cm", w1, fmt.Sprint("Fail.Code=", int(code))},
			code: 16, want: []string{cimErr(code) + fmt.Sprintf("TST_Widget.Fail(%d) raised %s as asked", int(code), code)}})
	}
	cases = append(cases, []wbemcliCase{
		{name: "Fail 0", args: []string{"cm", w1, "Fail.Code=0"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},
		{name: "Fail 18", args: []string{"cm", w1, "Fail.Code=18"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},

		// Static methods, on the class path and on an instance path.
		{name: "Create on class", args: []string{"cm", widget, `Create.Id="w9",Size=3`},
			want: []string{host + `:TST_Widget Create: 0, Widget (reference): root/test:TST_Widget.Id="w9"`}},
		{name: "Create on instance", args: []string{"cm", base + `:TST_Widget.Id="w2"`, `Create.Id="w8"`},
			want: []string{host + `:TST_Widget.Id="w2" Create: 0, Widget (reference): root/test:TST_Widget.Id="w8"`}},
		{name: "Create without Id", args: []string{"cm", widget, "Create.Size=3"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},

		// EchoTypes: every type wbemcli can send, at the limits.
		{name: "EchoTypes max", args: []string{"-nl", "cm", widget,
			`EchoTypes.S="a b",B=true,U8=255,S8=127,U16=65535,S16=32767,U32=4294967295,S32=2147483647,` +
				`U64=18446744073709551615,S64=9223372036854775807,R32=3.4028235e+38,R64=1.7976931348623157e+308,` +
				`C16="x",DT="20240101123000.000000+000",SA="a","b c",UA=1,2,4294967295,Peer=TST_Widget.Id="w2"`},
			want: []string{"EchoTypes: 0\n", "\nS (string): a b\n", "\nB (boolean): TRUE\n", "\nU8 (uint8): 255\n", "\nS8 (sint8): 127\n",
				"\nU16 (uint16): 65535\n", "\nS16 (sint16): 32767\n", "\nU32 (uint32): 4294967295\n", "\nS32 (sint32): 2147483647\n",
				"\nU64 (uint64): 18446744073709551615\n", "\nS64 (sint64): 9223372036854775807\n",
				"\nR32 (real32): 3.4028235e+38\n", "\nR64 (real64): 1.7976931348623157e+308\n", "\nC16 (char16): x\n",
				"\nDT (datetime): 20240101123000.000000+000\n", "\nSA (string): a,b c\n", "\nUA (uint32): 1,2,4294967295\n",
				"\nPeer (reference): ", `TST_Widget.Id="w2"`},
			not: []string{"Peers", "Emb"}},
		{name: "EchoTypes min", args: []string{"-nl", "cm", widget,
			`EchoTypes.S="",B=false,U8=0,S8=-128,U16=0,S16=-32768,U32=0,S32=-2147483648,U64=0,S64=-9223372036854775808,` +
				`R32=-1.5,R64=-2.5e-300,C16="~",DT="00000001020304.000005:000",UA=0`},
			want: []string{"\nS (string): \n", "\nB (boolean): FALSE\n", "\nU8 (uint8): 0\n", "\nS8 (sint8): -128\n", "\nU16 (uint16): 0\n",
				"\nS16 (sint16): -32768\n", "\nU32 (uint32): 0\n", "\nS32 (sint32): -2147483648\n", "\nU64 (uint64): 0\n",
				"\nS64 (sint64): -9223372036854775808\n", "\nR32 (real32): -1.5\n", "\nR64 (real64): -2.5e-300\n",
				"\nC16 (char16): ~\n", "\nDT (datetime): 00000001020304.000005:000\n", "\nUA (uint32): 0\n"}},
		{name: "EchoTypes nothing", args: []string{"cm", widget, "EchoTypes"}, want: []string{host + ":TST_Widget EchoTypes: 0"}, not: []string{"(string)"}},
		// wbemcli sends a reference array but cannot parse the echo.
		{name: "EchoTypes Peers", args: []string{"-dx", "cm", widget, `EchoTypes.Peers=TST_Widget.Id="w1",TST_Widget.Id="w2"`},
			code: 16, want: []string{`<PARAMVALUE NAME="Peers"><VALUE.REFARRAY><VALUE.REFERENCE>`,
				`<PARAMVALUE NAME="Peers" PARAMTYPE="reference"><VALUE.REFARRAY><VALUE.REFERENCE>`,
				`<KEYVALUE VALUETYPE="string">w1</KEYVALUE>`, `<KEYVALUE VALUETYPE="string">w2</KEYVALUE></KEYBINDING></INSTANCENAME></INSTANCEPATH></VALUE.REFERENCE></VALUE.REFARRAY></PARAMVALUE>`,
				"Parse Exception: Bad attribute list for VALUE"}},
		{name: "EchoTypes U8 256", args: []string{"cm", widget, "EchoTypes.U8=256"}, code: 16,
			want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER), "does not fit uint8"}},
		{name: "EchoTypes S8 -129", args: []string{"cm", widget, "EchoTypes.S8=-129"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},
		{name: "EchoTypes S64 overflow", args: []string{"cm", widget, "EchoTypes.S64=9223372036854775808"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},
		{name: "EchoTypes U32 huge", args: []string{"cm", widget, "EchoTypes.U32=99999999999999999999"}, code: 16,
			want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER), "does not fit uint32"}},
		{name: "EchoTypes U32 not a number", args: []string{"cm", widget, "EchoTypes.U32=ten"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},
		{name: "EchoTypes C16 two chars", args: []string{"cm", widget, `EchoTypes.C16="xy"`}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},
		{name: "EchoTypes bad datetime", args: []string{"cm", widget, `EchoTypes.DT="yesterday"`}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},
		{name: "EchoTypes B not boolean", args: []string{"cm", widget, "EchoTypes.B=maybe"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER)}},
		// An embedded instance must be escaped XML; wbemcli sends the text
		// as it is, so only a plain string is possible, which is no instance.
		{name: "EchoTypes Emb", args: []string{"cm", widget, `EchoTypes.Emb="x"`}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER), "embedded object"}},

		// The error cases.
		{name: "unknown method", args: []string{"cm", widget, "NoSuch"}, code: 16, want: []string{cimErr(status.CIM_ERR_METHOD_NOT_FOUND)}},
		{name: "unknown class", args: []string{"cm", base + ":NoClass", "Foo"}, code: 16, want: []string{cimErr(status.CIM_ERR_NOT_FOUND), "NoClass"}},
		{name: "NotImplemented", args: []string{"cm", w1, "NotImplemented"}, code: 16, want: []string{cimErr(status.CIM_ERR_METHOD_NOT_AVAILABLE)}},
		{name: "Resize without NewSize", args: []string{"cm", w1, "Resize.Force=true"}, code: 16,
			want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER), "NewSize is required"}},
		{name: "Resize on class", args: []string{"cm", widget, "Resize.NewSize=3"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER), "not static"}},
		{name: "Fail on class", args: []string{"cm", widget, "Fail.Code=6"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_PARAMETER), "not static"}},
		{name: "missing instance", args: []string{"cm", base + `:TST_Widget.Id="nope"`, "Resize.NewSize=3"}, code: 16,
			want: []string{cimErr(status.CIM_ERR_NOT_FOUND), `TST_Widget.Id="nope"`}},
		{name: "gi missing instance", args: []string{"gi", base + `:TST_Widget.Id="nope"`}, code: 16, want: []string{cimErr(status.CIM_ERR_NOT_FOUND)}},
		{name: "unknown namespace", args: []string{"cm", "http://" + cred + addr + "/root/nowhere:TST_Widget", `Create.Id="x"`}, code: 16,
			want: []string{cimErr(status.CIM_ERR_INVALID_NAMESPACE), "root/nowhere"}},
		{name: "ecn unknown namespace", args: []string{"ecn", "http://" + cred + addr + "/root/nowhere"}, code: 16, want: []string{cimErr(status.CIM_ERR_INVALID_NAMESPACE)}},
		// wbemcli drops the undeclared name: the server sees Resize(NewSize)
		// alone and the call succeeds.
		{name: "undeclared parameter", args: []string{"-dx", "cm", w1, "Resize.NewSize=5,Bogus=1"},
			want: []string{`<PARAMVALUE NAME="NewSize"><VALUE>5</VALUE></PARAMVALUE></METHODCALL>`, "Resize: 0, OldSize (uint32): 43"},
			not:  []string{"Bogus"}},
		{name: "undeclared parameter only", args: []string{"cm", widget, "EchoTypes.Bogus=1"}, want: []string{"EchoTypes: 0"}, not: []string{"Bogus"}},

		// HTTPS with the self-signed certificate, and credentials.
		{name: "https noverify", args: []string{"-noverify", "gc", "https://" + cred + s.cimxmlsAddr() + "/root/test:TST_Widget"},
			want: []string{s.cimxmlsAddr() + "/root/test:TST_Widget Id=,Size="}},
		{name: "https cm", args: []string{"-noverify", "cm", "https://" + cred + s.cimxmlsAddr() + "/root/default:TestMeth", "Echo.sInArg=tls"},
			want: []string{"Echo: 3, sOutArg (string): tls"}},
		{name: "https verify", args: []string{"gc", "https://" + cred + s.cimxmlsAddr() + "/root/test:TST_Widget"}, code: 16,
			want: []string{"SSL peer certificate"}},
		{name: "wrong password", args: []string{"gc", "http://" + mainUser + ":wrong@" + addr + "/root/test:TST_Widget"}, code: 16,
			want: []string{"Http Exception: Invalid username/password."}},
		{name: "no credentials", args: []string{"cm", "http://" + addr + "/root/default:TestMeth", "Echo.sInArg=x"}, code: 16,
			want: []string{"Http Exception: Username/password required."}},
	}...)
	runWbemcli(t, cases)

	// Delay on the class path and on an instance path, at once.
	t.Run("Delay", func(t *testing.T) {
		var wg sync.WaitGroup
		start := time.Now()
		for _, target := range []string{widget, w1} {
			wg.Go(func() {
				out, code := runCmd(t, 30*time.Second, wbemcliPath, "cm", target, "Delay.Seconds=1")
				if code != 0 || !strings.Contains(out, "Delay: 0, Slept (uint32): 1") {
					t.Errorf("Delay on %s: exit %d\n%s", target, code, out)
				}
			})
		}
		wg.Wait()
		if took := time.Since(start); took < time.Second {
			t.Errorf("two Delay(1) calls took %v", took)
		}
	})

	// The server's own answers where wbemcli's GetClass stands in the way
	// or it drops the parameter: a raw METHODCALL.
	t.Run("raw unknown class", func(t *testing.T) {
		r := post(t, s.cimxmlURL(), mainUser, mainPass, cimxmlHeaders("Foo", "root/test:NoClass"), strings.NewReader(cimxmlCall("root/test", "NoClass", "Foo", "")))
		if r.code != 200 || !strings.Contains(r.body, `<ERROR CODE="5" DESCRIPTION="CIM_ERR_INVALID_CLASS: `) {
			t.Errorf("%d %s", r.code, r.body)
		}
	})
	t.Run("raw undeclared parameter", func(t *testing.T) {
		r := post(t, s.cimxmlURL(), mainUser, mainPass, cimxmlHeaders("EchoTypes", "root/test:TST_Widget"), strings.NewReader(
			cimxmlCall("root/test", "TST_Widget", "EchoTypes", `<PARAMVALUE NAME="Bogus"><VALUE>1</VALUE></PARAMVALUE>`)))
		if r.code != 200 || !strings.Contains(r.body, `<ERROR CODE="4" DESCRIPTION="CIM_ERR_INVALID_PARAMETER: `) || !strings.Contains(r.body, "Bogus") {
			t.Errorf("%d %s", r.code, r.body)
		}
	})

	t.Run("Win32_Process Create", func(t *testing.T) {
		out, code := runCmd(t, 30*time.Second, wbemcliPath, "cm", "http://"+cred+addr+"/root/cimv2:Win32_Process", `Create.CommandLine="sleep 30"`)
		m := regexp.MustCompile(`Win32_Process Create: 0, ProcessId \(uint32\): (\d+)`).FindStringSubmatch(out)
		if code != 0 || m == nil {
			t.Fatalf("exit %d\n%s", code, out)
		}
		pid, _ := strconv.Atoi(m[1])
		checkSleepProcess(t, pid)
	})
}

// checkSleepProcess checks that pid runs "sleep 30" and kills it when the
// test ends.
func checkSleepProcess(t *testing.T, pid int) {
	t.Helper()
	if pid <= 0 {
		t.Fatalf("ProcessId %d", pid)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatalf("process %d: %v", pid, err)
	}
	if got := strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "); got != "sleep 30" {
		t.Errorf("process %d runs %q, want \"sleep 30\"", pid, got)
	}
}

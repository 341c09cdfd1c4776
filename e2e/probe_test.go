package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/status"
)

// probeMOF declares E2E_Probe in root/test, where the built-in
// TST_Widget module has compiled the standard qualifiers. Wait blocks
// until its call is cancelled (or Seconds pass, a safety bound) and
// reports what it saw through the package-level channels below, so that
// a test can tell whether a cancellation on the client side reached the
// provider inside the server.
const probeMOF = `
instance of __Win32Provider as $P
{
    Name         = "E2EProbeProvider";
    CLSID        = "{0E2E0E2E-5A1C-4B7D-9C3E-2F4A6B8C0D1E}";
    HostingModel = "NetworkServiceHostOrSelfHost";
};

instance of __MethodProviderRegistration
{
    Provider = $P;
};

    [Provider ("E2EProbeProvider"),
     Description ("End-to-end test probe: Wait blocks until the call is cancelled")]
class E2E_Probe
{
        [Static, Implemented]
    uint32 Wait([In] uint32 Seconds);
};
`

// probeCall is one E2E_Probe.Wait call as the provider saw it.
type probeCall struct {
	// User is the caller's user name; Remote and Method how the server
	// knows the caller (Identity.Remote, Identity.Method).
	User   string
	Remote bool
	Method string
	// Cause is context.Cause of the provider's context once it was
	// cancelled (nil when Wait returned because Seconds passed).
	Cause error
}

// The probe's reports: probeEntered gets a call when Wait starts,
// probeEnded when it returns. Tests run one at a time (none is
// parallel), so each drains them with probeReset first.
var (
	probeEntered = make(chan probeCall, 64)
	probeEnded   = make(chan probeCall, 64)
)

// probeReset drops reports of earlier tests.
func probeReset() {
	for {
		select {
		case <-probeEntered:
		case <-probeEnded:
		default:
			return
		}
	}
}

// probeDefaultWait bounds a Wait call without Seconds.
const probeDefaultWait = 20 * time.Second

// probeModule registers E2E_Probe's provider.
var probeModule = provider.Module{
	Name:      "E2EProbeProvider",
	Namespace: "root/test",
	MOFName:   "e2e_probe.mof",
	MOF:       []byte(probeMOF),
	New: func() (any, error) {
		return provider.Returning(probeWait), nil
	},
}

// probeWait implements E2E_Probe.Wait.
func probeWait(ctx context.Context, call *provider.Call) (*cim.Instance, error) {
	d := probeDefaultWait
	if v := call.Arg("Seconds"); !v.IsNull() {
		d = time.Duration(v.Uint64()) * time.Second
	}
	pc := probeCall{}
	if call.Caller != nil {
		pc.User, pc.Remote, pc.Method = call.Caller.User, call.Caller.Remote, call.Caller.Method
	}
	probeEntered <- pc
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		pc.Cause = context.Cause(ctx)
		probeEnded <- pc
		return nil, status.New(status.WBEM_E_CALL_CANCELLED, "E2E_Probe.Wait: %v", pc.Cause)
	case <-t.C:
		probeEnded <- pc
		out, err := call.NewOut()
		if err != nil {
			return nil, err
		}
		// ReturnValue 1: Wait was not cancelled.
		return out, out.Set(cim.ReturnValueName, cim.NewUint32(1))
	}
}

// awaitProbe waits up to d for a report on ch.
func awaitProbe(t *testing.T, ch <-chan probeCall, what string, d time.Duration) probeCall {
	t.Helper()
	select {
	case pc := <-ch:
		return pc
	case <-time.After(d):
		t.Fatalf("E2E_Probe.Wait: not %s within %v", what, d)
		return probeCall{}
	}
}

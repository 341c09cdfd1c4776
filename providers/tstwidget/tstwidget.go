// Package tstwidget is the TST_Widget test provider: the method and
// instance provider of the conformance model shared/conformance
// /tst_methods.mof, served in namespace root/test, that black-box client
// suites (CIM-XML, WS-Management, the native API) use to exercise every
// part of method execution (shared/conformance/PROVIDER.md).
//
// The provider owns the widgets. A new provider starts with w1 (Size 10)
// and w2 (Size 20); Resize changes are visible to GetInstance and
// EnumerateInstances. The methods:
//
//   - Resize(NewSize, Force) on an instance: sets Size, out OldSize.
//   - Create(Id, Size), static: out Widget = reference TST_Widget.Id=<Id>
//     (a virtual widget: nothing is stored).
//   - EchoTypes(...), static: every given in-parameter comes back as the
//     out-parameter of the same name, type and value.
//   - Delay(Seconds), static: finishes after Seconds seconds, reporting
//     progress each second, honouring cancellation.
//   - Fail(Code) on an instance: fails with CIM status Code (1..17).
//   - NotImplemented() on an instance: CIM_ERR_METHOD_NOT_AVAILABLE.
package tstwidget

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/stdqual"
	"github.com/gowbem/gowbem/status"
)

// ProviderName is the provider name the module's registration
// (__Win32Provider.Name) and the Provider qualifier of TST_Widget use.
const ProviderName = "TST_WidgetProvider"

// Namespace is the namespace the module's MOF is compiled into.
const Namespace = "root/test"

// ClassName is the class the provider serves.
const ClassName = "TST_Widget"

// keyName is TST_Widget's only key property.
const keyName = "Id"

//go:embed tstwidget.mof
var classes []byte

// Module bundles the TST_Widget provider: its registration name, the MOF
// (standard qualifiers, TST_Settings, TST_Widget and the provider
// registration) for namespace root/test, and the factory. Each provider
// the factory creates has its own widgets, seeded with w1 and w2.
var Module = provider.Module{
	Name:      ProviderName,
	Namespace: Namespace,
	MOFName:   "tstwidget.mof",
	MOF:       stdqual.Prepend(classes),
	New:       func() (any, error) { return New(), nil },
}

// Widget is the state of one widget.
type Widget struct {
	// ID is the key, TST_Widget.Id.
	ID string
	// Size is TST_Widget.Size.
	Size uint32
}

// initialWidgets are the instances at the end of tst_methods.mof.
var initialWidgets = []Widget{{ID: "w1", Size: 10}, {ID: "w2", Size: 20}}

// Provider serves TST_Widget's methods and instances. It is safe for
// concurrent use. Create it with New.
type Provider struct {
	mu      sync.Mutex
	widgets map[string]*Widget // by lower-cased Id: keys compare case-insensitively

	quit      chan struct{} // closed by Close: pending Delay calls end
	closeOnce sync.Once
	pending   sync.WaitGroup // running Delay calls
}

var (
	_ provider.MethodProvider   = (*Provider)(nil)
	_ provider.InstanceProvider = (*Provider)(nil)
	_ provider.Closer           = (*Provider)(nil)
)

// New returns a provider holding the initial widgets w1 (Size 10) and w2
// (Size 20).
func New() *Provider {
	p := &Provider{widgets: make(map[string]*Widget), quit: make(chan struct{})}
	for _, w := range initialWidgets {
		p.widgets[strings.ToLower(w.ID)] = &Widget{ID: w.ID, Size: w.Size}
	}
	return p
}

// Widgets returns a snapshot of the widgets, sorted by Id.
func (p *Provider) Widgets() []Widget {
	p.mu.Lock()
	out := make([]Widget, 0, len(p.widgets))
	for _, w := range p.widgets {
		out = append(out, *w)
	}
	p.mu.Unlock()
	slices.SortFunc(out, func(a, b Widget) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Close ends pending Delay calls with WBEM_E_SHUTTING_DOWN and waits for
// them. It implements provider.Closer.
func (p *Provider) Close() error {
	p.closeOnce.Do(func() { close(p.quit) })
	p.pending.Wait()
	return nil
}

// ExecMethod implements provider.MethodProvider. Delay finishes through
// the sink from its own goroutine after ExecMethod has returned; every
// other method finishes before ExecMethod returns.
func (p *Provider) ExecMethod(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	if call.Method == nil {
		return status.New(status.WBEM_E_INVALID_METHOD, "no method given")
	}
	name := call.Method.Name
	switch {
	case strings.EqualFold(name, "Delay"):
		return p.startDelay(ctx, call, sink)
	case strings.EqualFold(name, "Resize"):
		return finish(sink)(p.resize(call))
	case strings.EqualFold(name, "Create"):
		return finish(sink)(p.create(call))
	case strings.EqualFold(name, "EchoTypes"):
		return finish(sink)(p.echoTypes(call))
	case strings.EqualFold(name, "Fail"):
		return p.fail(call)
	case strings.EqualFold(name, "NotImplemented"):
		if _, err := targetID(call.Path); err != nil {
			return err
		}
		return status.NewCIM(status.CIM_ERR_METHOD_NOT_AVAILABLE,
			"%s.NotImplemented is declared but not implemented by %s", ClassName, ProviderName)
	}
	return status.NewCIM(status.CIM_ERR_METHOD_NOT_FOUND, "%s has no method %s", ClassName, name)
}

// finish returns a function that delivers out (when err is nil) and the
// final status.
func finish(sink provider.Sink) func(out *cim.Instance, err error) error {
	return func(out *cim.Instance, err error) error {
		if err != nil {
			return err
		}
		if err := sink.Indicate(out); err != nil {
			return err
		}
		sink.SetStatus(nil)
		return nil
	}
}

// newOut returns the out-parameters of call with ReturnValue 0.
func newOut(call *provider.Call) (*cim.Instance, error) {
	out, err := call.NewOut()
	if err != nil {
		return nil, err
	}
	return out, out.Set(cim.ReturnValueName, cim.NewUint32(0))
}

// invalidParam returns the error for a bad in-parameter:
// CIM_ERR_INVALID_PARAMETER (WBEM_E_INVALID_PARAMETER).
func invalidParam(format string, args ...any) error {
	return status.NewCIM(status.CIM_ERR_INVALID_PARAMETER, format, args...)
}

// uint32Arg returns in-parameter name as a uint32. A NULL value is an
// error when required, else (0, false, nil).
func uint32Arg(call *provider.Call, name string, required bool) (uint32, bool, error) {
	v := call.Arg(name)
	if v.IsNull() {
		if required {
			return 0, false, invalidParam("%s.%s: parameter %s is required", ClassName, call.Method.Name, name)
		}
		return 0, false, nil
	}
	c, err := cim.Convert(v, cim.Uint32, false)
	if err != nil {
		return 0, false, invalidParam("%s.%s: parameter %s: %v", ClassName, call.Method.Name, name, err)
	}
	return uint32(c.Uint64()), true, nil
}

// targetID returns the Id key of the target instance path. A path
// without keys (a class path) is WBEM_E_INVALID_METHOD_PARAMETERS, which
// CIM callers see as CIM_ERR_INVALID_PARAMETER (DD-14).
func targetID(path *cim.ObjectPath) (string, error) {
	if path == nil || len(path.Keys) == 0 {
		return "", status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS,
			"the method is not static: call it on an instance path %s.%s=\"...\"", ClassName, keyName)
	}
	if len(path.Keys) == 1 && path.Keys[0].Name == "" {
		return path.Keys[0].Value.Text, nil
	}
	if len(path.Keys) == 1 {
		if k, ok := path.Key(keyName); ok {
			return k.Text, nil
		}
	}
	return "", status.NewCIM(status.CIM_ERR_NOT_FOUND, "%s has the single key %s: no instance %s",
		ClassName, keyName, path.RelPath())
}

// with calls f with the widget whose Id is id, holding p.mu. An unknown
// Id is CIM_ERR_NOT_FOUND.
func (p *Provider) with(id string, f func(w *Widget)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.widgets[strings.ToLower(id)]
	if !ok {
		return status.NewCIM(status.CIM_ERR_NOT_FOUND, "no instance %s.%s=%q", ClassName, keyName, id)
	}
	f(w)
	return nil
}

// target returns the Id of the widget an instance method is called on,
// checking that it exists.
func (p *Provider) target(call *provider.Call) (string, error) {
	id, err := targetID(call.Path)
	if err != nil {
		return "", err
	}
	return id, p.with(id, func(*Widget) {})
}

func (p *Provider) resize(call *provider.Call) (*cim.Instance, error) {
	// The instance is checked first: a missing instance is NOT_FOUND
	// whatever the parameters, as the engine's own check would say.
	id, err := p.target(call)
	if err != nil {
		return nil, err
	}
	size, _, err := uint32Arg(call, "NewSize", true)
	if err != nil {
		return nil, err
	}
	out, err := newOut(call)
	if err != nil {
		return nil, err
	}
	var old uint32
	if err := p.with(id, func(w *Widget) { old, w.Size = w.Size, size }); err != nil {
		return nil, err
	}
	return out, out.Set("OldSize", cim.NewUint32(old))
}

func (p *Provider) create(call *provider.Call) (*cim.Instance, error) {
	v := call.Arg("Id")
	if v.IsNull() {
		return nil, invalidParam("%s.Create: parameter Id is required", ClassName)
	}
	if v.Type() != cim.String || v.IsArray() {
		return nil, invalidParam("%s.Create: parameter Id is %s, want string", ClassName, v.TypeName())
	}
	if _, _, err := uint32Arg(call, "Size", false); err != nil {
		return nil, err
	}
	out, err := newOut(call)
	if err != nil {
		return nil, err
	}
	ns := call.Namespace
	if ns == "" && call.Path != nil {
		ns = call.Path.Namespace
	}
	ref := &cim.ObjectPath{Namespace: ns, Class: ClassName, Keys: []cim.KeyBinding{
		{Name: keyName, Value: cim.KeyValue{Kind: cim.KeyString, Text: v.Text()}},
	}}
	return out, out.Set("Widget", cim.NewReference(ref))
}

func (p *Provider) echoTypes(call *provider.Call) (*cim.Instance, error) {
	out, err := newOut(call)
	if err != nil {
		return nil, err
	}
	if call.In == nil {
		return out, nil
	}
	for k := range call.In.Len() {
		prop, v := call.In.At(k)
		if v.IsNull() {
			continue
		}
		if err := out.Set(prop.Name, v.Clone()); err != nil {
			return nil, invalidParam("%s.EchoTypes: parameter %s: %v", ClassName, prop.Name, err)
		}
	}
	return out, nil
}

func (p *Provider) fail(call *provider.Call) error {
	if _, err := p.target(call); err != nil {
		return err
	}
	code, _, err := uint32Arg(call, "Code", true)
	if err != nil {
		return err
	}
	if code < 1 || code > 17 {
		return invalidParam("%s.Fail: Code %d is not a CIM status code between 1 and 17", ClassName, code)
	}
	c := status.CIMStatus(code)
	return status.NewCIM(c, "%s.Fail(%d) raised %s as asked", ClassName, code, c)
}

// startDelay validates a Delay call and runs it in its own goroutine.
func (p *Provider) startDelay(ctx context.Context, call *provider.Call, sink provider.Sink) error {
	secs, _, err := uint32Arg(call, "Seconds", true)
	if err != nil {
		return err
	}
	out, err := newOut(call)
	if err != nil {
		return err
	}
	select {
	case <-p.quit:
		return status.New(status.WBEM_E_SHUTTING_DOWN, "%s is closed", ProviderName)
	default:
	}
	p.pending.Add(1)
	go func() {
		defer p.pending.Done()
		p.delay(ctx, secs, call.WantsProgress(), out, sink)
	}()
	return nil
}

// delay waits secs seconds, reporting progress each second when
// progress is set, then delivers out with Slept = secs. Cancellation ends
// the call with WBEM_E_CALL_CANCELLED (or the status the cancellation
// cause carries), closing the provider with WBEM_E_SHUTTING_DOWN.
func (p *Provider) delay(ctx context.Context, secs uint32, progress bool, out *cim.Instance, sink provider.Sink) {
	done := time.NewTimer(time.Duration(secs) * time.Second)
	defer done.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var slept uint32
	for {
		select {
		case <-done.C:
			if err := out.Set("Slept", cim.NewUint32(secs)); err != nil {
				sink.SetStatus(err)
				return
			}
			if err := sink.Indicate(out); err != nil {
				sink.SetStatus(err)
				return
			}
			sink.SetStatus(nil)
			return
		case <-tick.C:
			slept++
			if progress && slept < secs {
				cur, total := progressScale(slept, secs)
				msg := "slept " + strconv.FormatUint(uint64(slept), 10) + " of " + strconv.FormatUint(uint64(secs), 10) + " s"
				_ = sink.Progress(cur, total, msg) // a refused report does not end the call
			}
		case <-ctx.Done():
			sink.SetStatus(cancelStatus(ctx))
			return
		case <-p.quit:
			sink.SetStatus(status.New(status.WBEM_E_SHUTTING_DOWN, "%s.Delay ended: the provider is closing", ClassName))
			return
		}
	}
}

// progressScale fits (done, total) into the uint16 range of progress
// reports, scaling both when total is larger than 65535.
func progressScale(done, total uint32) (uint16, uint16) {
	if total <= 0xFFFF {
		return uint16(done), uint16(total)
	}
	return uint16(uint64(done) * 0xFFFF / uint64(total)), 0xFFFF
}

// cancelStatus returns the final status of a call whose context ended:
// the status its cancellation cause carries when that is a WBEM status,
// WBEM_E_TIMED_OUT for a passed deadline, else WBEM_E_CALL_CANCELLED.
func cancelStatus(ctx context.Context) error {
	cause := context.Cause(ctx)
	var se *status.Error
	var h status.HRESULT
	switch {
	case errors.As(cause, &se):
		return se
	case errors.As(cause, &h):
		return status.New(h, "%s.Delay ended", ClassName)
	case errors.Is(cause, context.DeadlineExceeded):
		return status.New(status.WBEM_E_TIMED_OUT, "%s.Delay ended: the call's deadline passed", ClassName)
	}
	return status.New(status.WBEM_E_CALL_CANCELLED, "%s.Delay cancelled", ClassName)
}

// GetInstance implements provider.InstanceProvider: the widget at
// req.Path, or CIM_ERR_NOT_FOUND.
func (p *Provider) GetInstance(ctx context.Context, req *provider.InstanceRequest) (*cim.Instance, error) {
	if err := checkClass(req); err != nil {
		return nil, err
	}
	if req.Path == nil || !req.Path.IsInstance() {
		return nil, status.NewCIM(status.CIM_ERR_INVALID_PARAMETER, "GetInstance needs an instance path of %s", ClassName)
	}
	id, err := targetID(req.Path)
	if err != nil {
		return nil, err
	}
	var snap Widget
	if err := p.with(id, func(w *Widget) { snap = *w }); err != nil {
		return nil, err
	}
	return newInstance(req, snap)
}

// EnumerateInstances implements provider.InstanceProvider: every widget,
// sorted by Id.
func (p *Provider) EnumerateInstances(ctx context.Context, req *provider.InstanceRequest, yield func(*cim.Instance) bool) error {
	if err := checkClass(req); err != nil {
		return err
	}
	for _, w := range p.Widgets() {
		if err := ctx.Err(); err != nil {
			return err
		}
		inst, err := newInstance(req, w)
		if err != nil {
			return err
		}
		if !yield(inst) {
			return nil
		}
	}
	return nil
}

// checkClass refuses requests for classes other than TST_Widget and its
// subclasses.
func checkClass(req *provider.InstanceRequest) error {
	if req.Class != nil && !req.Class.IsA(ClassName) {
		return status.NewCIM(status.CIM_ERR_INVALID_CLASS, "%s serves %s, not %s", ProviderName, ClassName, req.Class.Name)
	}
	if req.Class == nil && req.NewInstance == nil {
		return status.NewCIM(status.CIM_ERR_INVALID_CLASS, "the request names no class")
	}
	return nil
}

// newInstance returns the instance of w for req, located in req's
// namespace.
func newInstance(req *provider.InstanceRequest, w Widget) (*cim.Instance, error) {
	var inst *cim.Instance
	if req.Class != nil {
		inst = cim.NewInstance(req.Class)
		inst.Namespace = req.Namespace
	} else {
		var err error
		if inst, err = req.NewInstance(ClassName); err != nil {
			return nil, err
		}
	}
	if err := inst.Set(keyName, cim.NewString(w.ID)); err != nil {
		return nil, err
	}
	return inst, inst.Set("Size", cim.NewUint32(w.Size))
}

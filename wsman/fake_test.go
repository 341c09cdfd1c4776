package wsman

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/security"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// This file holds a small in-memory object manager for the tests: the
// classes of the conformance model (TST_Widget, TST_Settings), TestMeth
// with its static Echo, and the Win32_Process / CIM_ComputerSystem classes
// of the WSMAN.md examples.

type propOpt func(*cim.Property)

func keyQ() propOpt {
	return func(p *cim.Property) {
		p.Qualifiers = append(p.Qualifiers, cim.Qualifier{Name: "Key", Value: cim.NewBool(true)})
	}
}

func arrayP() propOpt { return func(p *cim.Property) { p.IsArray = true } }

func embP(class string) propOpt { return func(p *cim.Property) { p.EmbeddedClass = class } }

func prop(name string, t cim.Type, opts ...propOpt) *cim.Property {
	p := &cim.Property{Name: name, Type: t}
	for _, o := range opts {
		o(p)
	}
	return p
}

// param builds a parameter; dir is "in", "out" or "inout".
func param(name string, t cim.Type, dir string, mods ...func(*cim.Parameter)) *cim.Parameter {
	p := &cim.Parameter{Name: name, Type: t}
	switch dir {
	case "in":
		p.Qualifiers = cim.Qualifiers{{Name: "In", Value: cim.NewBool(true)}}
	case "out":
		p.Qualifiers = cim.Qualifiers{{Name: "In", Value: cim.NewBool(false)}, {Name: "Out", Value: cim.NewBool(true)}}
	case "inout":
		p.Qualifiers = cim.Qualifiers{{Name: "In", Value: cim.NewBool(true)}, {Name: "Out", Value: cim.NewBool(true)}}
	}
	for _, m := range mods {
		m(p)
	}
	return p
}

func arr(p *cim.Parameter) { p.IsArray = true }

func ref(class string) func(*cim.Parameter) { return func(p *cim.Parameter) { p.RefClass = class } }

func emb(class string) func(*cim.Parameter) {
	return func(p *cim.Parameter) { p.EmbeddedClass = class }
}

func method(name string, static bool, ret cim.Type, params ...*cim.Parameter) *cim.Method {
	m := &cim.Method{Name: name, ReturnType: ret, Parameters: params}
	if static {
		m.Qualifiers = cim.Qualifiers{{Name: "Static", Value: cim.NewBool(true)}}
	}
	return m
}

// methodImpl implements one method of the fake.
type methodImpl func(ctx context.Context, c *fakeCall) (*cim.Instance, error)

type fakeCall struct {
	path   *cim.ObjectPath
	class  *cim.Class
	method *cim.Method
	in     *cim.Instance
	target *cim.Instance
	caller *security.Identity
	svc    *fakeServices
}

func (c *fakeCall) arg(name string) cim.Value {
	if c.in == nil {
		return cim.Value{}
	}
	return c.in.Value(name)
}

func (c *fakeCall) out() *cim.Instance {
	o, err := c.method.NewOutParams()
	if err != nil {
		panic(err)
	}
	return o
}

// fakeNamespace is one namespace of the fake.
type fakeNamespace struct {
	name      string
	classes   map[string]*cim.Class // lower-case name
	instances []*cim.Instance
	impls     map[string]methodImpl // lower "class.method"
}

// fakeCIMOM is the fake object manager (a wbem.Connector).
type fakeCIMOM struct {
	namespaces map[string]*fakeNamespace
	// delayUnit scales TST_Widget.Delay (seconds by default).
	delayUnit time.Duration
}

func (f *fakeCIMOM) Services(ctx context.Context, namespace string) (wbem.Services, error) {
	ns := f.namespaces[strings.ToLower(strings.ReplaceAll(namespace, `\`, "/"))]
	if ns == nil {
		return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "namespace %s does not exist", namespace)
	}
	return &fakeServices{om: f, ns: ns}, nil
}

func (ns *fakeNamespace) add(c *cim.Class) *cim.Class {
	c.Namespace = ns.name
	if c.SuperClass != "" {
		sup := ns.classes[strings.ToLower(c.SuperClass)]
		c.Derivation = append([]string{sup.Name}, sup.Derivation...)
		c.Properties = append(append([]*cim.Property(nil), sup.Properties...), c.Properties...)
		c.Methods = append(append([]*cim.Method(nil), sup.Methods...), c.Methods...)
	}
	ns.classes[strings.ToLower(c.Name)] = c
	return c
}

func (ns *fakeNamespace) instance(class string, vals map[string]any) *cim.Instance {
	c := ns.classes[strings.ToLower(class)]
	i := cim.NewInstance(c)
	i.Namespace = ns.name
	for k, v := range vals {
		if err := i.Put(k, v); err != nil {
			panic(err)
		}
	}
	ns.instances = append(ns.instances, i)
	return i
}

func newFakeCIMOM() *fakeCIMOM {
	om := &fakeCIMOM{namespaces: map[string]*fakeNamespace{}, delayUnit: time.Second}
	newNS := func(name string) *fakeNamespace {
		ns := &fakeNamespace{name: name, classes: map[string]*cim.Class{}, impls: map[string]methodImpl{}}
		om.namespaces[strings.ToLower(name)] = ns
		return ns
	}

	// root/test: the conformance model.
	t := newNS("root/test")
	t.add(&cim.Class{Name: "TST_Settings", Properties: []*cim.Property{
		prop("Level", cim.Uint8), prop("Name", cim.String),
		prop("Child", cim.Object, embP("TST_Settings")),
	}})
	t.add(&cim.Class{Name: "TST_SpecialSettings", SuperClass: "TST_Settings", Properties: []*cim.Property{
		prop("Extra", cim.Uint32, arrayP()),
	}})
	t.add(&cim.Class{Name: "TST_Widget", Properties: []*cim.Property{
		prop("Id", cim.String, keyQ()), prop("Size", cim.Uint32),
		prop("Tags", cim.String, arrayP()), prop("Created", cim.DateTime),
		prop("Settings", cim.Object, embP("TST_Settings")),
	}, Methods: []*cim.Method{
		method("Resize", false, cim.Uint32, param("NewSize", cim.Uint32, "in"), param("Force", cim.Boolean, "in"),
			param("OldSize", cim.Uint32, "out")),
		method("Create", true, cim.Uint32, param("Id", cim.String, "in"), param("Size", cim.Uint32, "in"),
			param("Widget", cim.Reference, "out", ref("TST_Widget"))),
		method("EchoTypes", true, cim.Uint32,
			param("S", cim.String, "inout"), param("B", cim.Boolean, "inout"),
			param("U8", cim.Uint8, "inout"), param("S8", cim.Sint8, "inout"),
			param("U16", cim.Uint16, "inout"), param("S16", cim.Sint16, "inout"),
			param("U32", cim.Uint32, "inout"), param("S32", cim.Sint32, "inout"),
			param("U64", cim.Uint64, "inout"), param("S64", cim.Sint64, "inout"),
			param("R32", cim.Real32, "inout"), param("R64", cim.Real64, "inout"),
			param("C16", cim.Char16, "inout"), param("DT", cim.DateTime, "inout"),
			param("SA", cim.String, "inout", arr), param("UA", cim.Uint32, "inout", arr),
			param("Peer", cim.Reference, "inout", ref("TST_Widget")),
			param("Peers", cim.Reference, "inout", arr, ref("TST_Widget")),
			param("Emb", cim.Object, "inout", emb("TST_Settings")),
			param("Embs", cim.Object, "inout", arr, emb("TST_Settings"))),
		method("Delay", true, cim.Uint32, param("Seconds", cim.Uint32, "in"), param("Slept", cim.Uint32, "out")),
		method("Fail", false, cim.Uint32, param("Code", cim.Uint32, "in")),
		method("NotImplemented", false, cim.Uint32),
		method("Whoami", true, cim.String),
		method("Big", true, cim.Uint32, param("N", cim.Uint32, "in"), param("Data", cim.String, "out")),
	}})
	t.add(&cim.Class{Name: "TST_BigWidget", SuperClass: "TST_Widget", Properties: []*cim.Property{
		prop("Weight", cim.Real64),
	}})
	t.add(&cim.Class{Name: "TST_Link", Properties: []*cim.Property{
		prop("Left", cim.Reference, keyQ(), func(p *cim.Property) { p.RefClass = "TST_Widget" }),
		prop("Tag", cim.String, keyQ()), prop("Weight", cim.Sint16),
	}})
	t.add(&cim.Class{Name: "TestMeth", Methods: []*cim.Method{
		method("Echo", true, cim.Uint32, param("sInArg", cim.String, "in"), param("sOutArg", cim.String, "out")),
	}})
	created, _ := cim.NewDateTime("20240102030405.000000+060")
	t.instance("TST_Widget", map[string]any{"Id": "w1", "Size": uint32(10), "Tags": []string{"red", "round"}, "Created": created})
	t.instance("TST_Widget", map[string]any{"Id": "w2", "Size": uint32(20)})
	t.instance("TST_BigWidget", map[string]any{"Id": "w3", "Size": uint32(300), "Weight": 1.5})

	t.instance("TST_Link", map[string]any{"Left": &cim.ObjectPath{Namespace: "root/test", Class: "TST_Widget",
		Keys: []cim.KeyBinding{{Name: "Id", Value: cim.KeyValue{Kind: cim.KeyString, Text: "w1"}}}},
		"Tag": "a", "Weight": int16(-3)})

	widgets := map[string]uint32{"w1": 10, "w2": 20, "w3": 300}
	var mu sync.Mutex
	t.impls["tst_widget.resize"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		id, _ := c.path.Key("Id")
		mu.Lock()
		old := widgets[id.Text]
		widgets[id.Text] = uint32(c.arg("NewSize").Uint64())
		mu.Unlock()
		o := c.out()
		_ = o.Put("OldSize", old)
		_ = o.Put("ReturnValue", uint32(0))
		return o, nil
	}
	t.impls["tst_widget.create"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		id := c.arg("Id")
		if id.IsNull() {
			return nil, status.NewCIM(status.CIM_ERR_INVALID_PARAMETER, "Id is required")
		}
		o := c.out()
		_ = o.Put("Widget", &cim.ObjectPath{Namespace: "root/test", Class: "TST_Widget",
			Keys: []cim.KeyBinding{{Name: "Id", Value: cim.KeyValue{Kind: cim.KeyString, Text: id.Text()}}}})
		_ = o.Put("ReturnValue", uint32(0))
		return o, nil
	}
	t.impls["tst_widget.echotypes"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		o := c.out()
		if c.in != nil {
			for k := 0; k < c.in.Len(); k++ {
				p, v := c.in.At(k)
				if err := o.Set(p.Name, v); err != nil {
					return nil, err
				}
			}
		}
		_ = o.Put("ReturnValue", uint32(0))
		return o, nil
	}
	t.impls["tst_widget.delay"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		n := c.arg("Seconds").Uint64()
		select {
		case <-time.After(time.Duration(n) * om.delayUnit):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		o := c.out()
		_ = o.Put("Slept", uint32(n))
		_ = o.Put("ReturnValue", uint32(0))
		return o, nil
	}
	t.impls["tst_widget.fail"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		code := status.CIMStatus(c.arg("Code").Uint64())
		return nil, status.NewCIM(code, "failing with %s as asked", code)
	}
	t.impls["tst_widget.whoami"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		o := c.out()
		_ = o.Put("ReturnValue", c.caller.User)
		return o, nil
	}
	t.impls["tst_widget.big"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		o := c.out()
		_ = o.Put("Data", strings.Repeat("x", int(c.arg("N").Uint64())))
		_ = o.Put("ReturnValue", uint32(0))
		return o, nil
	}
	t.impls["testmeth.echo"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		o := c.out()
		_ = o.SetAt(0, c.arg("sInArg"))
		_ = o.SetAt(1, cim.NewUint32(0))
		return o, nil
	}

	// root/cimv2: the classes of the WSMAN.md examples.
	v := newNS("root/cimv2")
	v.add(&cim.Class{Name: "Win32_Process", Properties: []*cim.Property{
		prop("Handle", cim.String, keyQ()), prop("CommandLine", cim.String),
	}, Methods: []*cim.Method{
		method("Create", true, cim.Uint32, param("CommandLine", cim.String, "in"),
			param("CurrentDirectory", cim.String, "in"), param("ProcessId", cim.Uint32, "out")),
	}})
	v.add(&cim.Class{Name: "CIM_ConcreteJob", Properties: []*cim.Property{
		prop("InstanceID", cim.String, keyQ()), prop("JobState", cim.Uint16),
	}})
	v.add(&cim.Class{Name: "CIM_ComputerSystem", Properties: []*cim.Property{
		prop("CreationClassName", cim.String, keyQ()), prop("Name", cim.String, keyQ()),
	}, Methods: []*cim.Method{
		method("RequestStateChange", false, cim.Uint32, param("RequestedState", cim.Uint16, "in"),
			param("Job", cim.Reference, "out", ref("CIM_ConcreteJob")), param("TimeoutPeriod", cim.DateTime, "in")),
	}})
	v.add(&cim.Class{Name: "TestMeth", Methods: []*cim.Method{
		method("Echo", true, cim.Uint32, param("sInArg", cim.String, "in"), param("sOutArg", cim.String, "out")),
	}})
	v.impls["testmeth.echo"] = t.impls["testmeth.echo"]
	v.instance("CIM_ComputerSystem", map[string]any{"CreationClassName": "CIM_ComputerSystem", "Name": "host1"})
	v.instance("CIM_ConcreteJob", map[string]any{"InstanceID": "ACME:job-0001", "JobState": uint16(4)})
	v.impls["win32_process.create"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		if c.arg("CommandLine").IsNull() {
			return nil, status.NewCIM(status.CIM_ERR_INVALID_PARAMETER, "CommandLine is required")
		}
		o := c.out()
		_ = o.Put("ProcessId", uint32(4242))
		_ = o.Put("ReturnValue", uint32(0))
		return o, nil
	}
	v.impls["cim_computersystem.requeststatechange"] = func(ctx context.Context, c *fakeCall) (*cim.Instance, error) {
		o := c.out()
		_ = o.Put("Job", &cim.ObjectPath{Namespace: "root/cimv2", Class: "CIM_ConcreteJob",
			Keys: []cim.KeyBinding{{Name: "InstanceID", Value: cim.KeyValue{Kind: cim.KeyString, Text: "ACME:job-0001"}}}})
		_ = o.Put("ReturnValue", uint32(4096))
		return o, nil
	}
	return om
}

// fakeServices is wbem.Services over one fake namespace.
type fakeServices struct {
	om *fakeCIMOM
	ns *fakeNamespace

	mu      sync.Mutex
	pending map[wbem.ObjectSink]context.CancelFunc
}

var _ wbem.Services = (*fakeServices)(nil)
var _ wbem.Connector = (*fakeCIMOM)(nil)

func (s *fakeServices) Namespace() string { return s.ns.name }

func (s *fakeServices) GetClass(ctx context.Context, className string) (*cim.Class, error) {
	if c := s.ns.classes[strings.ToLower(className)]; c != nil {
		return c, nil
	}
	return nil, status.New(status.WBEM_E_NOT_FOUND, "class %s does not exist", className)
}

func (s *fakeServices) EnumerateClasses(ctx context.Context, superClass string, deep bool) ([]*cim.Class, error) {
	return nil, status.WBEM_E_NOT_SUPPORTED
}

func (s *fakeServices) EnumerateClassNames(ctx context.Context, superClass string, deep bool) ([]string, error) {
	return nil, status.WBEM_E_NOT_SUPPORTED
}

func (s *fakeServices) GetInstance(ctx context.Context, path string) (*cim.Instance, error) {
	p, err := cim.ParsePath(path)
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_OBJECT_PATH, "%v", err)
	}
	if s.ns.classes[strings.ToLower(p.Class)] == nil {
		return nil, status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist", p.Class)
	}
	for _, i := range s.ns.instances {
		ip := i.Path()
		ip.Class = p.Class
		if i.Class().IsA(p.Class) && ip.Equal(p) {
			return i.Clone(), nil
		}
	}
	return nil, status.New(status.WBEM_E_NOT_FOUND, "no instance %s", path)
}

func (s *fakeServices) EnumerateInstances(ctx context.Context, className string, deep bool) ([]*cim.Instance, error) {
	if s.ns.classes[strings.ToLower(className)] == nil {
		return nil, status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist", className)
	}
	var out []*cim.Instance
	for _, i := range s.ns.instances {
		if i.Class().IsA(className) {
			out = append(out, i.Clone())
		}
	}
	return out, nil
}

func (s *fakeServices) EnumerateInstanceNames(ctx context.Context, className string) ([]*cim.ObjectPath, error) {
	return nil, status.WBEM_E_NOT_SUPPORTED
}

func (s *fakeServices) GetQualifier(ctx context.Context, name string) (*cim.QualifierDecl, error) {
	return nil, status.WBEM_E_NOT_SUPPORTED
}

func (s *fakeServices) EnumerateQualifiers(ctx context.Context) ([]*cim.QualifierDecl, error) {
	return nil, status.WBEM_E_NOT_SUPPORTED
}

func (s *fakeServices) ExecMethod(ctx context.Context, path, method string, in *cim.Instance, wctx *cim.NamedValues) (*cim.Instance, error) {
	sink := newCallSink()
	if err := s.ExecMethodAsync(ctx, path, method, in, 0, wctx, sink); err != nil {
		return nil, err
	}
	<-sink.done
	return sink.out, sink.err
}

func (s *fakeServices) ExecMethodAsync(ctx context.Context, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues, sink wbem.ObjectSink) error {
	p, err := cim.ParsePath(path)
	if err != nil {
		return status.New(status.WBEM_E_INVALID_OBJECT_PATH, "%v", err)
	}
	c := s.ns.classes[strings.ToLower(p.Class)]
	if c == nil {
		return status.New(status.WBEM_E_INVALID_CLASS, "class %s does not exist", p.Class)
	}
	m := c.Method(method)
	if m == nil {
		return status.New(status.WBEM_E_INVALID_METHOD, "no method %s.%s", c.Name, method)
	}
	call := &fakeCall{path: p, class: c, method: m, in: in, caller: security.IdentityFrom(ctx), svc: s}
	if p.IsInstance() {
		t, err := s.GetInstance(ctx, path)
		if err != nil {
			return err
		}
		call.target = t
	} else if !m.IsStatic() {
		return status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS, "method %s is not static", m.Name)
	}
	impl := s.ns.impls[strings.ToLower(c.Dynasty()+"."+m.Name)]
	if impl == nil {
		impl = s.ns.impls[strings.ToLower(c.Name+"."+m.Name)]
	}
	if impl == nil {
		return status.New(status.WBEM_E_METHOD_NOT_IMPLEMENTED, "%s.%s is not implemented", c.Name, m.Name)
	}
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	if s.pending == nil {
		s.pending = map[wbem.ObjectSink]context.CancelFunc{}
	}
	s.pending[sink] = cancel
	s.mu.Unlock()
	go func() {
		defer cancel()
		out, err := impl(ctx, call)
		s.mu.Lock()
		delete(s.pending, sink)
		s.mu.Unlock()
		if err != nil {
			sink.SetStatus(wbem.StatusComplete, status.Code(err), "", cim.NewExtendedStatus(err))
			return
		}
		if out != nil {
			sink.Indicate([]*cim.Instance{out})
		}
		sink.SetStatus(wbem.StatusComplete, status.WBEM_S_NO_ERROR, "", nil)
	}()
	return nil
}

func (s *fakeServices) CancelAsyncCall(sink wbem.ObjectSink) error {
	s.mu.Lock()
	cancel := s.pending[sink]
	delete(s.pending, sink)
	s.mu.Unlock()
	if cancel == nil {
		return status.WBEM_E_NOT_FOUND
	}
	cancel()
	return nil
}

func (s *fakeServices) Close() error { return nil }

package cimxml

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
	"github.com/gowbem/gowbem/wbem"
)

// The fake object manager of the tests: one namespace "root/default" (and
// "root/test") with the classes TestMeth, TST_Settings, TST_Base and
// TST_Widget, a few instances and qualifier declarations.

type methodFunc func(ctx context.Context, path *cim.ObjectPath, m *cim.Method, in *cim.Instance) (*cim.Instance, error)

type fakeNS struct {
	mu        sync.Mutex
	name      string
	classes   map[string]*cim.Class // lower-case name
	order     []string
	instances []*cim.Instance
	quals     []*cim.QualifierDecl
	methods   map[string]methodFunc // "class.method", lower case
}

type fakeConnector struct {
	ns map[string]*fakeNS
}

func (c *fakeConnector) Services(ctx context.Context, ns string) (wbem.Services, error) {
	n, ok := c.ns[strings.ToLower(strings.ReplaceAll(ns, `\`, "/"))]
	if !ok {
		return nil, status.New(status.WBEM_E_INVALID_NAMESPACE, "no namespace %s", ns)
	}
	return &fakeServices{ns: n}, nil
}

type fakeServices struct{ ns *fakeNS }

var _ wbem.Services = (*fakeServices)(nil)

func q(name string, v cim.Value) cim.Qualifier { return cim.Qualifier{Name: name, Value: v} }

var (
	qKey    = cim.Qualifier{Name: "Key", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}
	qIn     = cim.Qualifier{Name: "In", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}
	qOut    = cim.Qualifier{Name: "Out", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}
	qNotIn  = cim.Qualifier{Name: "In", Value: cim.NewBool(false), Flavor: cim.FlavorDisableOverride}
	qStatic = cim.Qualifier{Name: "Static", Value: cim.NewBool(true), Flavor: cim.FlavorDisableOverride}
)

func desc(s string) cim.Qualifier {
	return cim.Qualifier{Name: "Description", Value: cim.NewString(s), Flavor: cim.FlavorTranslatable}
}

func param(name string, t cim.Type, array bool, qs ...cim.Qualifier) *cim.Parameter {
	return &cim.Parameter{Name: name, Type: t, IsArray: array, Qualifiers: qs}
}

// declaredClasses returns the classes of the fake namespace, unresolved,
// superclasses first.
func declaredClasses() []*cim.Class {
	testMeth := &cim.Class{
		Name: "TestMeth",
		Methods: []*cim.Method{{
			Name: "Echo", ReturnType: cim.Uint32, Qualifiers: cim.Qualifiers{qStatic},
			Parameters: []*cim.Parameter{
				param("sInArg", cim.String, false, qIn),
				param("sOutArg", cim.String, false, qNotIn, qOut),
			},
		}},
	}
	settings := &cim.Class{
		Name: "TST_Settings",
		Properties: []*cim.Property{
			{Name: "Level", Type: cim.Uint8},
			{Name: "Name", Type: cim.String},
		},
	}
	base := &cim.Class{
		Name:       "TST_Base",
		Qualifiers: cim.Qualifiers{desc("Base class"), {Name: "Abstract", Value: cim.NewBool(true), Flavor: cim.FlavorRestricted}},
		Properties: []*cim.Property{
			{Name: "Id", Type: cim.String, Qualifiers: cim.Qualifiers{qKey}},
		},
		Methods: []*cim.Method{{
			Name: "Ping", ReturnType: cim.Uint32,
			Parameters: []*cim.Parameter{param("Count", cim.Uint32, false, qIn)},
		}},
	}
	echoParams := []*cim.Parameter{}
	for _, p := range []struct {
		n string
		t cim.Type
		a bool
	}{
		{"S", cim.String, false}, {"B", cim.Boolean, false}, {"U8", cim.Uint8, false}, {"S8", cim.Sint8, false},
		{"U16", cim.Uint16, false}, {"S16", cim.Sint16, false}, {"U32", cim.Uint32, false}, {"S32", cim.Sint32, false},
		{"U64", cim.Uint64, false}, {"S64", cim.Sint64, false}, {"R32", cim.Real32, false}, {"R64", cim.Real64, false},
		{"C16", cim.Char16, false}, {"DT", cim.DateTime, false}, {"SA", cim.String, true}, {"UA", cim.Uint32, true},
		{"BA", cim.Boolean, true}, {"RA", cim.Real64, true},
	} {
		echoParams = append(echoParams, param(p.n, p.t, p.a, qIn, qOut))
	}
	echoParams = append(echoParams,
		&cim.Parameter{Name: "Peer", Type: cim.Reference, RefClass: "TST_Widget", Qualifiers: cim.Qualifiers{qIn, qOut}},
		&cim.Parameter{Name: "Peers", Type: cim.Reference, IsArray: true, RefClass: "TST_Widget", Qualifiers: cim.Qualifiers{qIn, qOut}},
		&cim.Parameter{Name: "Emb", Type: cim.Object, EmbeddedClass: "TST_Settings",
			Qualifiers: cim.Qualifiers{qIn, qOut, q("EmbeddedInstance", cim.NewString("TST_Settings"))}},
	)
	widget := &cim.Class{
		Name: "TST_Widget", SuperClass: "TST_Base",
		Qualifiers: cim.Qualifiers{desc("Method-call conformance test class")},
		Properties: []*cim.Property{
			{Name: "Size", Type: cim.Uint32, Default: cim.NewUint32(1)},
			{Name: "Tags", Type: cim.String, IsArray: true},
			{Name: "Peer", Type: cim.Reference, RefClass: "TST_Widget"},
			{Name: "Conf", Type: cim.Object, EmbeddedClass: "TST_Settings",
				Qualifiers: cim.Qualifiers{q("EmbeddedInstance", cim.NewString("TST_Settings"))}},
		},
		Methods: []*cim.Method{
			{Name: "Resize", ReturnType: cim.Uint32, Qualifiers: cim.Qualifiers{desc("Sets Size, returns the previous size")},
				Parameters: []*cim.Parameter{
					param("NewSize", cim.Uint32, false, qIn),
					param("Force", cim.Boolean, false, qIn),
					param("OldSize", cim.Uint32, false, qNotIn, qOut),
				}},
			{Name: "EchoTypes", ReturnType: cim.Uint32, Qualifiers: cim.Qualifiers{qStatic}, Parameters: echoParams},
			{Name: "Fail", ReturnType: cim.Uint32, Parameters: []*cim.Parameter{param("Code", cim.Uint32, false, qIn)}},
			{Name: "NoResult", ReturnType: cim.Uint32, Qualifiers: cim.Qualifiers{qStatic}},
			{Name: "Delay", ReturnType: cim.Uint32, Qualifiers: cim.Qualifiers{qStatic},
				Parameters: []*cim.Parameter{param("Millis", cim.Uint32, false, qIn)}},
			{Name: "NotImplemented", ReturnType: cim.Uint32},
			{Name: "NullResult", ReturnType: cim.Uint32, Qualifiers: cim.Qualifiers{qStatic},
				Parameters: []*cim.Parameter{param("Out1", cim.String, false, qNotIn, qOut)}},
		},
	}
	return []*cim.Class{testMeth, settings, base, widget}
}

func newFakeNS(name string) *fakeNS {
	n := &fakeNS{name: name, classes: map[string]*cim.Class{}, methods: map[string]methodFunc{}}
	for _, d := range declaredClasses() {
		var super *cim.Class
		if d.SuperClass != "" {
			super = n.classes[strings.ToLower(d.SuperClass)]
		}
		r, err := cim.Resolve(d, super)
		if err != nil {
			panic(err)
		}
		r.Namespace = name
		n.classes[strings.ToLower(r.Name)] = r
		n.order = append(n.order, r.Name)
	}
	w := n.classes["tst_widget"]
	for i, id := range []string{"w1", "w2"} {
		inst := cim.NewInstance(w)
		inst.Namespace = name
		must(inst.Put("Id", id))
		must(inst.Put("Size", uint32(10*(i+1))))
		n.instances = append(n.instances, inst)
	}
	must(n.instances[0].Put("Tags", []string{"a", "b c"}))
	must(n.instances[0].Put("Peer", &cim.ObjectPath{Namespace: name, Class: "TST_Widget", Keys: []cim.KeyBinding{{Name: "Id", Value: cim.KeyValue{Kind: cim.KeyString, Text: "w2"}}}}))
	conf := cim.NewInstance(n.classes["tst_settings"])
	must(conf.Put("Level", uint8(3)))
	must(conf.Put("Name", `fast & "loud" <x>`))
	must(n.instances[0].Put("Conf", conf))

	n.quals = []*cim.QualifierDecl{
		{Name: "Key", Type: cim.Boolean, Default: cim.NewBool(false), Scopes: cim.ScopeProperty | cim.ScopeReference, Flavor: cim.FlavorDisableOverride},
		{Name: "Description", Type: cim.String, Default: cim.Null(cim.String, false), Scopes: cim.ScopeAny, Flavor: cim.FlavorTranslatable},
		{Name: "ValueMap", Type: cim.String, IsArray: true, Default: cim.Null(cim.String, true), Scopes: cim.ScopeProperty | cim.ScopeMethod | cim.ScopeParameter},
	}

	n.methods["testmeth.echo"] = func(ctx context.Context, path *cim.ObjectPath, m *cim.Method, in *cim.Instance) (*cim.Instance, error) {
		out, err := m.NewOutParams()
		if err != nil {
			return nil, err
		}
		if in != nil {
			if err := out.Set("sOutArg", in.Value("sInArg")); err != nil {
				return nil, err
			}
		}
		return out, out.Set(cim.ReturnValueName, cim.NewUint32(0))
	}
	n.methods["tst_widget.echotypes"] = func(ctx context.Context, path *cim.ObjectPath, m *cim.Method, in *cim.Instance) (*cim.Instance, error) {
		out, _ := m.NewOutParams()
		if in != nil {
			for k := range in.Len() {
				p, v := in.At(k)
				if err := out.Set(p.Name, v); err != nil {
					return nil, err
				}
			}
		}
		return out, out.Set(cim.ReturnValueName, cim.NewUint32(0))
	}
	n.methods["tst_widget.resize"] = func(ctx context.Context, path *cim.ObjectPath, m *cim.Method, in *cim.Instance) (*cim.Instance, error) {
		target := n.find(path)
		if target == nil {
			return nil, status.New(status.WBEM_E_NOT_FOUND, "no instance %s", path.RelPath())
		}
		if in == nil || in.Value("NewSize").IsNull() {
			return nil, status.New(status.WBEM_E_INVALID_PARAMETER, "NewSize is required")
		}
		out, _ := m.NewOutParams()
		must(out.Set("OldSize", target.Value("Size")))
		must(target.Set("Size", in.Value("NewSize")))
		return out, out.Set(cim.ReturnValueName, cim.NewUint32(0))
	}
	n.methods["tst_widget.fail"] = func(ctx context.Context, path *cim.ObjectPath, m *cim.Method, in *cim.Instance) (*cim.Instance, error) {
		c := status.CIMStatus(in.Value("Code").Uint64())
		return nil, status.NewCIM(c, "failing as asked")
	}
	n.methods["tst_widget.delay"] = func(ctx context.Context, path *cim.ObjectPath, m *cim.Method, in *cim.Instance) (*cim.Instance, error) {
		d := time.Duration(in.Value("Millis").Uint64()) * time.Millisecond
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, status.New(status.WBEM_E_CALL_CANCELLED, "cancelled")
		}
		out, _ := m.NewOutParams()
		return out, out.Set(cim.ReturnValueName, cim.NewUint32(0))
	}
	n.methods["tst_widget.nullresult"] = func(ctx context.Context, path *cim.ObjectPath, m *cim.Method, in *cim.Instance) (*cim.Instance, error) {
		out, _ := m.NewOutParams()
		return out, out.Set("Out1", cim.NewString("set"))
	}
	n.methods["tst_widget.noresult"] = func(ctx context.Context, path *cim.ObjectPath, m *cim.Method, in *cim.Instance) (*cim.Instance, error) {
		return nil, nil
	}
	return n
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func newFakeConnector() *fakeConnector {
	return &fakeConnector{ns: map[string]*fakeNS{
		"root/default": newFakeNS("root/default"),
		"root/test":    newFakeNS("root/test"),
		"root/cimv2":   newFakeNS("root/cimv2"),
	}}
}

func (n *fakeNS) find(p *cim.ObjectPath) *cim.Instance {
	for _, inst := range n.instances {
		if inst.Path().Equal(&cim.ObjectPath{Class: p.Class, Keys: p.Keys, Singleton: p.Singleton}) {
			return inst
		}
	}
	return nil
}

func (s *fakeServices) Namespace() string { return s.ns.name }

func (s *fakeServices) GetClass(ctx context.Context, name string) (*cim.Class, error) {
	c, ok := s.ns.classes[strings.ToLower(name)]
	if !ok {
		return nil, status.New(status.WBEM_E_INVALID_CLASS, "no class %s", name)
	}
	return c, nil
}

func (s *fakeServices) EnumerateClasses(ctx context.Context, super string, deep bool) ([]*cim.Class, error) {
	var out []*cim.Class
	for _, n := range s.ns.order {
		c := s.ns.classes[strings.ToLower(n)]
		switch {
		case super == "" && (deep || c.SuperClass == ""):
		case super != "" && strings.EqualFold(c.SuperClass, super):
		case super != "" && deep && c.IsA(super) && !strings.EqualFold(c.Name, super):
		default:
			continue
		}
		out = append(out, c)
	}
	if super != "" {
		if _, err := s.GetClass(ctx, super); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *fakeServices) EnumerateClassNames(ctx context.Context, super string, deep bool) ([]string, error) {
	cs, err := s.EnumerateClasses(ctx, super, deep)
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out, err
}

func (s *fakeServices) GetInstance(ctx context.Context, path string) (*cim.Instance, error) {
	p, err := cim.ParsePath(path)
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_OBJECT_PATH, "%v", err)
	}
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	if inst := s.ns.find(p); inst != nil {
		return inst.Clone(), nil
	}
	return nil, status.New(status.WBEM_E_NOT_FOUND, "no instance %s", path)
}

func (s *fakeServices) EnumerateInstances(ctx context.Context, class string, deep bool) ([]*cim.Instance, error) {
	if _, err := s.GetClass(ctx, class); err != nil {
		return nil, err
	}
	s.ns.mu.Lock()
	defer s.ns.mu.Unlock()
	var out []*cim.Instance
	for _, inst := range s.ns.instances {
		if inst.Class().IsA(class) {
			out = append(out, inst.Clone())
		}
	}
	return out, nil
}

func (s *fakeServices) EnumerateInstanceNames(ctx context.Context, class string) ([]*cim.ObjectPath, error) {
	insts, err := s.EnumerateInstances(ctx, class, true)
	var out []*cim.ObjectPath
	for _, i := range insts {
		out = append(out, i.Path())
	}
	return out, err
}

func (s *fakeServices) GetQualifier(ctx context.Context, name string) (*cim.QualifierDecl, error) {
	for _, q := range s.ns.quals {
		if strings.EqualFold(q.Name, name) {
			return q, nil
		}
	}
	return nil, status.New(status.WBEM_E_NOT_FOUND, "no qualifier %s", name)
}

func (s *fakeServices) EnumerateQualifiers(ctx context.Context) ([]*cim.QualifierDecl, error) {
	return s.ns.quals, nil
}

func (s *fakeServices) ExecMethod(ctx context.Context, path, method string, in *cim.Instance, wctx *cim.NamedValues) (*cim.Instance, error) {
	p, err := cim.ParsePath(path)
	if err != nil {
		return nil, status.New(status.WBEM_E_INVALID_OBJECT_PATH, "%v", err)
	}
	c, err := s.GetClass(ctx, p.Class)
	if err != nil {
		return nil, err
	}
	m := c.Method(method)
	if m == nil {
		return nil, status.New(status.WBEM_E_INVALID_METHOD, "no method %s.%s", c.Name, method)
	}
	if !m.IsStatic() && !p.IsInstance() {
		return nil, status.New(status.WBEM_E_INVALID_METHOD_PARAMETERS, "method %s is not static", method)
	}
	f := s.ns.methods[strings.ToLower(c.Name+"."+m.Name)]
	if f == nil {
		for _, d := range c.Derivation {
			if f = s.ns.methods[strings.ToLower(d+"."+m.Name)]; f != nil {
				break
			}
		}
	}
	if f == nil {
		return nil, status.NewCIM(status.CIM_ERR_METHOD_NOT_AVAILABLE, "method %s is not implemented", method)
	}
	if !strings.EqualFold(m.Name, "Delay") {
		s.ns.mu.Lock()
		defer s.ns.mu.Unlock()
	}
	return f(ctx, p, m, in)
}

func (s *fakeServices) ExecMethodAsync(ctx context.Context, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues, sink wbem.ObjectSink) error {
	go func() {
		out, err := s.ExecMethod(ctx, path, method, in, wctx)
		if out != nil {
			sink.Indicate([]*cim.Instance{out})
		}
		sink.SetStatus(wbem.StatusComplete, status.Code(err), "", nil)
	}()
	return nil
}

func (s *fakeServices) CancelAsyncCall(sink wbem.ObjectSink) error { return status.WBEM_E_NOT_FOUND }

func (s *fakeServices) Close() error { return nil }

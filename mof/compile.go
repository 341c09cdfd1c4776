package mof

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/status"
)

// CompileOptions control Compile.
type CompileOptions struct {
	// Namespace is where declarations go until a #pragma namespace says
	// otherwise; default root/cimv2. It is created when missing.
	Namespace string
	// Parse sets the parsing limits.
	Parse Options
	// KeepExisting, when set, is asked for every class the MOF declares
	// that already exists; when it returns true the existing class is
	// kept as it is (and the declaration is only checked). wbemd uses it
	// so that its built-in providers' subsets of DMTF classes (CIM_*)
	// never replace a CIM Schema the user compiled.
	KeepExisting func(namespace, class string) bool
}

// Result lists what a compilation added or replaced, as "namespace:name"
// for qualifiers and classes and as full object paths for instances.
type Result struct {
	Qualifiers []string
	Classes    []string
	Instances  []string
	// Warnings are problems that did not stop the compilation (unknown
	// pragmas, qualifiers used without a declaration or out of scope,
	// instances that cannot be stored).
	Warnings []*Error
	// Unstored are top-level instances that have no object path (their
	// class has no key, or a key is NULL), such as the instances of a
	// Desired State Configuration document. They were checked against
	// their classes but, having no path, are not written to the
	// repository.
	Unstored []*cim.Instance
}

// Compile parses the MOF files (following includes) and compiles them into
// r in ONE transaction: a file with any error changes nothing. Errors
// carry file:line:col.
//
// Each file in paths is a compilation unit of its own (with the files it
// includes): it starts in opts.Namespace with no class flags, and its
// aliases are not seen by the other files, as if each were given to a
// separate run of the compiler. Qualifier declarations and classes, once
// compiled, are seen by the files that follow.
func Compile(r *repository.Repository, paths []string, opts CompileOptions) (*Result, error) {
	var files []*File
	for _, p := range paths {
		fs, err := ParseFile(p, opts.Parse)
		if err != nil {
			return nil, err
		}
		if len(fs) > 0 {
			files = append(files, fs[0])
		}
	}
	return compileFiles(r, files, opts)
}

// CompileSource compiles one MOF text held in memory (no includes).
func CompileSource(r *repository.Repository, name string, src []byte, opts CompileOptions) (*Result, error) {
	f, err := Parse(name, src, opts.Parse)
	if err != nil {
		return nil, err
	}
	return compileFiles(r, []*File{f}, opts)
}

func compileFiles(r *repository.Repository, files []*File, opts CompileOptions) (*Result, error) {
	var res *Result
	err := r.Update(func(tx *repository.Tx) error {
		var err error
		res, err = CompileTx(tx, files, opts)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// CompileTx compiles parsed files into an open transaction; the caller
// commits or rolls back. Each file is a compilation unit of its own, as
// for Compile. files are entry files (their includes are followed through
// the include pragmas), such as the first file ParseFile returns.
func CompileTx(tx *repository.Tx, files []*File, opts CompileOptions) (*Result, error) {
	c := newCompiler(tx, opts)
	for _, f := range files {
		c.startUnit()
		for p := range f.All() {
			if err := c.production(p); err != nil {
				return nil, err
			}
		}
	}
	return c.res, nil
}

// compiler holds the state of one compilation.
type compiler struct {
	tx      *repository.Tx
	opts    CompileOptions
	defNS   string // the namespace each compilation unit starts in
	ns      string
	nsPos   Pos // the namespace pragma that chose ns; zero for defNS
	res     *Result
	quals   map[string]*cim.QualifierDecl // "ns\x00lowername" -> declaration
	warned  map[string]bool
	aliases map[string]*aliased
	// createOnly and updateOnly are set by #pragma classflags.
	createOnly, updateOnly bool
}

// aliased is an instance named with "as $alias".
type aliased struct {
	inst *cim.Instance
	path *cim.ObjectPath
}

func newCompiler(tx *repository.Tx, opts CompileOptions) *compiler {
	ns := opts.Namespace
	if ns == "" {
		ns = "root/cimv2"
	}
	ns, _ = NamespaceName(ns)
	return &compiler{
		tx: tx, opts: opts, defNS: ns, ns: ns, res: &Result{},
		quals: make(map[string]*cim.QualifierDecl), warned: make(map[string]bool),
	}
}

// startUnit resets the state scoped to one compilation unit (a file given
// to Compile and its includes): the namespace, the class flags and the
// aliases.
func (c *compiler) startUnit() {
	c.ns, c.nsPos = c.defNS, Pos{}
	c.createOnly, c.updateOnly = false, false
	c.aliases = make(map[string]*aliased)
}

// errorAt returns a positioned error, keeping err's WBEM code in the
// message.
func errorAt(pos Pos, err error) error {
	return ErrorList{{File: pos.File, Line: pos.Line, Col: pos.Col, Msg: err.Error(), Err: err}}
}

func errorfAt(pos Pos, format string, args ...any) error {
	return ErrorList{{File: pos.File, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)}}
}

func (c *compiler) warn(pos Pos, format string, args ...any) {
	c.res.Warnings = append(c.res.Warnings, &Error{File: pos.File, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...)})
}

// ensureNamespace creates the current namespace when it is missing. An
// error is returned positioned at pos or, when a namespace pragma chose the
// namespace, at that pragma.
func (c *compiler) ensureNamespace(pos Pos) error {
	if c.tx.HasNamespace(c.ns) {
		return nil
	}
	if err := c.tx.CreateNamespace(c.ns); err != nil {
		if c.nsPos.IsValid() {
			return errorAt(c.nsPos, fmt.Errorf("#pragma namespace: %w", err))
		}
		return errorAt(pos, err)
	}
	return nil
}

func (c *compiler) production(p Production) error {
	switch p := p.(type) {
	case *Pragma:
		return c.pragma(p)
	case *QualifierDecl:
		return c.qualifierDecl(p)
	case *ClassDecl:
		return c.class(p)
	case *InstanceDecl:
		if err := c.ensureNamespace(p.Pos); err != nil {
			return err
		}
		_, err := c.instance(p, true)
		return err
	}
	return nil
}

func (c *compiler) pragma(p *Pragma) error {
	switch {
	case p.Is("include"):
		return nil // expanded by File.All
	case p.Is("namespace"):
		name, abs := NamespaceName(p.Value())
		if name == "" {
			return errorfAt(p.Pos, "#pragma namespace needs a namespace name")
		}
		if !abs {
			name = c.ns + "/" + name
		}
		c.ns, c.nsPos = name, p.Pos
		return nil
	case p.Is("classflags"):
		return c.classFlagsPragma(p)
	case p.Is("locale"), p.Is("instancelocale"), p.Is("source"), p.Is("nonlocal"), p.Is("nonlocaltype"),
		p.Is("autorecover"), p.Is("deleteclass"), p.Is("deleteinstance"), p.Is("instanceflags"), p.Is("qualifierflags"):
		if p.Is("deleteclass") || p.Is("deleteinstance") {
			c.warn(p.Pos, "#pragma %s is not supported; ignored", p.Name)
		}
		return nil
	}
	c.warn(p.Pos, "unknown #pragma %s ignored", p.Name)
	return nil
}

// classFlagsPragma reads #pragma classflags: one or more strings, each
// holding flags separated by commas, as in classflags("forceupdate",
// "updateonly"). createonly refuses to replace an existing class,
// updateonly to create a new one; safeupdate and forceupdate are accepted
// and change nothing (a class that conflicts with its subclasses or
// instances is always refused). The flags hold until the next classflags
// pragma of the compilation unit.
func (c *compiler) classFlagsPragma(p *Pragma) error {
	c.createOnly, c.updateOnly = false, false
	for _, a := range p.Args {
		if a.Kind != LitString {
			c.warn(a.Pos, "#pragma classflags: %s argument ignored (flags are strings such as \"createonly\")", a.Kind)
			continue
		}
		for _, f := range strings.Split(a.Str, ",") {
			switch strings.ToLower(strings.TrimSpace(f)) {
			case "createonly":
				c.createOnly = true
			case "updateonly":
				c.updateOnly = true
			case "safeupdate", "forceupdate", "":
			default:
				c.warn(a.Pos, "unknown class flag %q ignored", strings.TrimSpace(f))
			}
		}
	}
	if c.createOnly && c.updateOnly {
		return errorfAt(p.Pos, "#pragma classflags: createonly and updateonly exclude each other")
	}
	return nil
}

func cimType(t DataType) cim.Type {
	switch t {
	case TypeBoolean:
		return cim.Boolean
	case TypeString:
		return cim.String
	case TypeChar16:
		return cim.Char16
	case TypeDateTime:
		return cim.DateTime
	case TypeUint8:
		return cim.Uint8
	case TypeSint8:
		return cim.Sint8
	case TypeUint16:
		return cim.Uint16
	case TypeSint16:
		return cim.Sint16
	case TypeUint32:
		return cim.Uint32
	case TypeSint32:
		return cim.Sint32
	case TypeUint64:
		return cim.Uint64
	case TypeSint64:
		return cim.Sint64
	case TypeReal32:
		return cim.Real32
	case TypeReal64:
		return cim.Real64
	case TypeReference:
		return cim.Reference
	case TypeObject:
		return cim.Object
	}
	return cim.TypeNone
}

func (c *compiler) qualifierDecl(q *QualifierDecl) error {
	if err := c.ensureNamespace(q.Pos); err != nil {
		return err
	}
	d := &cim.QualifierDecl{Name: q.Name, Type: cimType(q.Type), IsArray: q.IsArray, ArraySize: q.ArraySize}
	if !d.Type.Valid() || d.Type == cim.Reference || d.Type == cim.Object {
		return errorfAt(q.Pos, "qualifier %s: type %s is not allowed for qualifiers", q.Name, q.TypeName)
	}
	for _, s := range q.Scopes {
		sc, ok := cim.ParseScope(s)
		if !ok {
			return errorfAt(q.Pos, "qualifier %s: unknown scope %q", q.Name, s)
		}
		d.Scopes |= sc
	}
	for _, f := range q.Flavors {
		var ok bool
		if d.Flavor, ok = d.Flavor.ParseFlavor(f); !ok {
			return errorfAt(q.Pos, "qualifier %s: unknown flavor %q", q.Name, f)
		}
	}
	if q.Default != nil {
		v, err := c.literal(q.Default, d.Type, d.IsArray, "", "default of qualifier "+q.Name)
		if err != nil {
			return err
		}
		d.Default = v
	} else {
		d.Default = cim.Null(d.Type, d.IsArray)
	}
	if err := c.tx.PutQualifierDecl(c.ns, d); err != nil {
		return errorAt(q.Pos, err)
	}
	c.quals[c.ns+"\x00"+strings.ToLower(d.Name)] = d
	c.res.Qualifiers = append(c.res.Qualifiers, c.ns+":"+d.Name)
	return nil
}

// qualDecl returns the declaration of qualifier name in the current
// namespace, or nil.
func (c *compiler) qualDecl(name string) *cim.QualifierDecl {
	k := c.ns + "\x00" + strings.ToLower(name)
	if d, ok := c.quals[k]; ok {
		return d
	}
	d, err := c.tx.QualifierDecl(c.ns, name)
	if err != nil {
		d = nil
	}
	c.quals[k] = d
	return d
}

// qualifiers converts qualifier uses, typing values from the
// declarations and applying their flavors.
func (c *compiler) qualifiers(qs []*Qualifier, scope cim.Scope, where string) (cim.Qualifiers, error) {
	out := make(cim.Qualifiers, 0, len(qs))
	for _, q := range qs {
		d := c.qualDecl(q.Name)
		var cq cim.Qualifier
		cq.Name = q.Name
		if d == nil {
			if k := c.ns + "\x00" + strings.ToLower(q.Name); !c.warned[k] {
				c.warned[k] = true
				c.warn(q.Pos, "qualifier %s is used without a declaration in %s; its type is taken from the value", q.Name, c.ns)
			}
			v, err := c.untypedLiteral(q.Value)
			if err != nil {
				return nil, err
			}
			cq.Value = v
		} else {
			cq.Name = d.Name
			cq.Flavor = d.Flavor
			if scope != 0 && d.Scopes&scope == 0 && !(scope&(cim.ScopeAssociation|cim.ScopeIndication) != 0 && d.Scopes&cim.ScopeClass != 0) &&
				!(scope == cim.ScopeReference && d.Scopes&cim.ScopeProperty != 0) {
				c.warn(q.Pos, "qualifier %s is not declared for this scope (%s)", d.Name, where)
			}
			switch {
			case q.Value == nil && d.Type == cim.Boolean && !d.IsArray:
				cq.Value = cim.NewBool(true)
			case q.Value == nil:
				cq.Value = d.Default
			default:
				v, err := c.literal(q.Value, d.Type, d.IsArray, "", "qualifier "+d.Name)
				if err != nil {
					return nil, err
				}
				cq.Value = v
			}
		}
		for _, f := range q.Flavors {
			var ok bool
			if cq.Flavor, ok = cq.Flavor.ParseFlavor(f); !ok {
				return nil, errorfAt(q.Pos, "qualifier %s: unknown flavor %q", q.Name, f)
			}
		}
		if out.Has(cq.Name) {
			return nil, errorfAt(q.Pos, "qualifier %s given twice", q.Name)
		}
		out = append(out, cq)
	}
	return out, nil
}

// untypedLiteral types a qualifier value that has no declaration.
func (c *compiler) untypedLiteral(l *Literal) (cim.Value, error) {
	if l == nil {
		return cim.NewBool(true), nil
	}
	t := cim.String
	array := false
	probe := l
	if l.Kind == LitArray {
		array = true
		if len(l.Elems) == 0 {
			return cim.NewArray(cim.String, nil)
		}
		probe = l.Elems[0]
	}
	switch probe.Kind {
	case LitBool:
		t = cim.Boolean
	case LitInt:
		t = cim.Sint64
		if probe.Base == 10 && !probe.Neg && probe.IntOverflow {
			t = cim.Uint64
		}
	case LitReal:
		t = cim.Real64
	case LitNull:
		return cim.Null(cim.String, array), nil
	}
	return c.literal(l, t, array, "", "qualifier")
}

// embeddedClass returns the class named by an EmbeddedInstance qualifier,
// and whether the element is an embedded object at all.
func embeddedClass(qs cim.Qualifiers) (string, bool) {
	if q := qs.Get("EmbeddedInstance"); q != nil && !q.Value.IsNull() {
		return q.Value.Text(), true
	}
	if qs.Bool("EmbeddedObject") {
		return "", true
	}
	return "", false
}

func (c *compiler) class(d *ClassDecl) error {
	if err := c.ensureNamespace(d.Pos); err != nil {
		return err
	}
	if len(d.Name) > 255 {
		return errorAt(d.Pos, status.New(status.WBEM_E_CLASS_NAME_TOO_WIDE, "class name longer than 255 characters"))
	}
	scope := cim.ScopeClass
	qs, err := c.qualifiers(d.Qualifiers, 0, "class "+d.Name)
	if err != nil {
		return err
	}
	if qs.Bool("Association") {
		scope = cim.ScopeAssociation
	} else if qs.Bool("Indication") {
		scope = cim.ScopeIndication
	}
	c.checkScope(d.Qualifiers, scope, "class "+d.Name)
	cls := &cim.Class{Name: d.Name, SuperClass: d.Super, Qualifiers: qs}
	seen := make(map[string]bool)
	for _, f := range d.Features {
		if seen[strings.ToLower(f.FeatureName())] {
			return errorfAt(f.Position(), "class %s declares %s twice", d.Name, f.FeatureName())
		}
		seen[strings.ToLower(f.FeatureName())] = true
		switch f := f.(type) {
		case *PropertyDecl:
			p, err := c.property(d.Name, f)
			if err != nil {
				return err
			}
			cls.Properties = append(cls.Properties, p)
		case *MethodDecl:
			m, err := c.method(d.Name, f)
			if err != nil {
				return err
			}
			cls.Methods = append(cls.Methods, m)
		}
	}
	if c.createOnly || c.updateOnly {
		_, err := c.tx.GetClass(c.ns, d.Name)
		exists := err == nil
		switch {
		case c.createOnly && exists:
			return errorAt(d.Pos, status.New(status.WBEM_E_ALREADY_EXISTS, "class %s already exists (#pragma classflags(\"createonly\"))", d.Name))
		case c.updateOnly && !exists:
			return errorAt(d.Pos, status.New(status.WBEM_E_NOT_FOUND, "class %s does not exist (#pragma classflags(\"updateonly\"))", d.Name))
		}
	}
	if c.opts.KeepExisting != nil && c.opts.KeepExisting(c.ns, d.Name) {
		if _, err := c.tx.GetClass(c.ns, d.Name); err == nil {
			c.warn(d.Pos, "class %s exists; kept as it is", d.Name)
			return nil
		}
	}
	if _, err := c.tx.PutClass(c.ns, cls); err != nil {
		return errorAt(d.Pos, fmt.Errorf("class %s: %w", d.Name, err))
	}
	c.res.Classes = append(c.res.Classes, c.ns+":"+d.Name)
	return nil
}

// checkScope warns about qualifiers used outside their declared scope.
func (c *compiler) checkScope(qs []*Qualifier, scope cim.Scope, where string) {
	for _, q := range qs {
		d := c.qualDecl(q.Name)
		if d == nil || d.Scopes&scope != 0 {
			continue
		}
		if scope&(cim.ScopeAssociation|cim.ScopeIndication) != 0 && d.Scopes&cim.ScopeClass != 0 {
			continue
		}
		c.warn(q.Pos, "qualifier %s is not declared for this scope (%s)", d.Name, where)
	}
}

func (c *compiler) property(class string, f *PropertyDecl) (*cim.Property, error) {
	scope := cim.ScopeProperty
	if f.Type.IsReference() {
		scope = cim.ScopeReference
	}
	qs, err := c.qualifiers(f.Qualifiers, scope, class+"."+f.Name)
	if err != nil {
		return nil, err
	}
	p := &cim.Property{
		Name: f.Name, Type: cimType(f.Type.Type), IsArray: f.Type.IsArray, ArraySize: f.Type.ArraySize,
		RefClass: f.Type.RefClass, Qualifiers: qs,
	}
	if !p.Type.Valid() {
		return nil, errorfAt(f.Pos, "property %s.%s: invalid type %s", class, f.Name, f.Type.Name)
	}
	if len(f.Name) > 255 {
		return nil, errorAt(f.Pos, status.New(status.WBEM_E_PROPERTY_NAME_TOO_WIDE, "property name longer than 255 characters"))
	}
	if ec, ok := embeddedClass(qs); ok {
		if p.Type != cim.String && p.Type != cim.Object {
			return nil, errorfAt(f.Pos, "property %s.%s: EmbeddedInstance/EmbeddedObject needs a string property", class, f.Name)
		}
		p.Type, p.EmbeddedClass = cim.Object, ec
	}
	if f.Default != nil {
		v, err := c.literal(f.Default, p.Type, p.IsArray, p.EmbeddedClass, "default of "+class+"."+f.Name)
		if err != nil {
			return nil, err
		}
		p.Default = v
	} else {
		p.Default = cim.Null(p.Type, p.IsArray)
	}
	return p, nil
}

func (c *compiler) method(class string, f *MethodDecl) (*cim.Method, error) {
	qs, err := c.qualifiers(f.Qualifiers, cim.ScopeMethod, class+"."+f.Name+"()")
	if err != nil {
		return nil, err
	}
	if len(f.Name) > 255 {
		return nil, errorAt(f.Pos, status.New(status.WBEM_E_METHOD_NAME_TOO_WIDE, "method name longer than 255 characters"))
	}
	m := &cim.Method{Name: f.Name, Qualifiers: qs, ReturnRefClass: f.ReturnType.RefClass}
	if f.ReturnType.Type != TypeVoid {
		m.ReturnType = cimType(f.ReturnType.Type)
		if !m.ReturnType.Valid() {
			return nil, errorfAt(f.Pos, "method %s.%s: invalid return type %s", class, f.Name, f.ReturnType.Name)
		}
	}
	if f.ReturnType.IsArray {
		return nil, errorAt(f.Pos, status.New(status.WBEMMOF_E_NO_ARRAYS_RETURNED, "method %s.%s returns an array", class, f.Name))
	}
	if ec, ok := embeddedClass(qs); ok && m.ReturnType == cim.String {
		m.ReturnType, m.ReturnEmbeddedClass = cim.Object, ec
	}
	seen := make(map[string]bool)
	for _, pd := range f.Params {
		if seen[strings.ToLower(pd.Name)] {
			return nil, errorAt(pd.Pos, status.New(status.WBEM_E_INVALID_DUPLICATE_PARAMETER, "method %s.%s: parameter %s declared twice", class, f.Name, pd.Name))
		}
		seen[strings.ToLower(pd.Name)] = true
		pqs, err := c.qualifiers(pd.Qualifiers, cim.ScopeParameter, class+"."+f.Name+"("+pd.Name+")")
		if err != nil {
			return nil, err
		}
		p := &cim.Parameter{
			Name: pd.Name, Type: cimType(pd.Type.Type), IsArray: pd.Type.IsArray, ArraySize: pd.Type.ArraySize,
			RefClass: pd.Type.RefClass, Qualifiers: pqs,
		}
		if !p.Type.Valid() {
			return nil, errorfAt(pd.Pos, "parameter %s of %s.%s: invalid type %s", pd.Name, class, f.Name, pd.Type.Name)
		}
		if ec, ok := embeddedClass(pqs); ok {
			if p.Type != cim.String && p.Type != cim.Object {
				return nil, errorfAt(pd.Pos, "parameter %s: EmbeddedInstance/EmbeddedObject needs a string parameter", pd.Name)
			}
			p.Type, p.EmbeddedClass = cim.Object, ec
		}
		m.Parameters = append(m.Parameters, p)
	}
	return m, nil
}

// instance builds an "instance of" declaration. Top-level instances with
// keys are stored; an aliased instance of a keyless class is kept only
// for use as an embedded instance.
func (c *compiler) instance(d *InstanceDecl, top bool) (*cim.Instance, error) {
	class, err := c.tx.GetClass(c.ns, d.Class)
	if err != nil {
		return nil, errorAt(d.Pos, status.New(status.WBEM_E_INVALID_CLASS, "instance of %s: no such class in %s", d.Class, c.ns))
	}
	inst := cim.NewInstance(class)
	given := make(map[*cim.Property]bool, len(d.Props))
	for _, pv := range d.Props {
		p := class.Property(pv.Name)
		if p == nil {
			return nil, errorAt(pv.Pos, status.New(status.WBEM_E_NOT_FOUND, "class %s has no property %s", class.Name, pv.Name))
		}
		if given[p] {
			return nil, errorfAt(pv.Pos, "instance of %s: property %s given twice", class.Name, pv.Name)
		}
		given[p] = true
		v, err := c.literal(pv.Value, p.Type, p.IsArray, p.EmbeddedClass, class.Name+"."+p.Name)
		if err != nil {
			return nil, err
		}
		if err := inst.Set(p.Name, v); err != nil {
			return nil, errorAt(pv.Pos, err)
		}
	}
	if !top {
		return inst, nil
	}
	var path *cim.ObjectPath
	if why := pathless(class, inst); why != "" {
		c.res.Unstored = append(c.res.Unstored, inst)
		if d.Alias == "" {
			c.warn(d.Pos, "instance of %s is not stored: %s", class.Name, why)
		}
	} else {
		var err error
		if path, _, err = c.tx.PutInstance(c.ns, inst); err != nil {
			return nil, errorAt(d.Pos, fmt.Errorf("instance of %s: %w", class.Name, err))
		}
		full := path.Clone()
		full.Namespace = c.ns
		c.res.Instances = append(c.res.Instances, full.String())
	}
	if d.Alias != "" {
		if _, dup := c.aliases[strings.ToLower(d.Alias)]; dup {
			return nil, errorfAt(d.Pos, "alias $%s defined twice", d.Alias)
		}
		c.aliases[strings.ToLower(d.Alias)] = &aliased{inst: inst, path: path}
	}
	return inst, nil
}

// literal converts a MOF literal to a value of type t (an array of t when
// array is set). embedded names the class an embedded instance must be.
func (c *compiler) literal(l *Literal, t cim.Type, array bool, embedded, where string) (cim.Value, error) {
	if l == nil || l.Kind == LitNull {
		return cim.Null(t, array), nil
	}
	if array {
		if l.Kind != LitArray {
			// A scalar given for an array: a one-element array (WMI accepts it).
			l = &Literal{Kind: LitArray, Pos: l.Pos, Elems: []*Literal{l}}
		}
		elems := make([]cim.Value, len(l.Elems))
		for i, e := range l.Elems {
			v, err := c.literal(e, t, false, embedded, where)
			if err != nil {
				return cim.Value{}, err
			}
			elems[i] = v
		}
		v, err := cim.NewArray(t, elems)
		if err != nil {
			return cim.Value{}, errorAt(l.Pos, err)
		}
		return v, nil
	}
	bad := func() (cim.Value, error) {
		return cim.Value{}, errorAt(l.Pos, status.New(status.WBEM_E_TYPE_MISMATCH, "%s: %s %s value cannot be %s", where, article(l.Kind.String()), l.Kind, t))
	}
	wrap := func(v cim.Value, err error) (cim.Value, error) {
		if err != nil {
			return cim.Value{}, errorAt(l.Pos, fmt.Errorf("%s: %w", where, err))
		}
		return v, nil
	}
	switch l.Kind {
	case LitArray:
		return bad()
	case LitBool:
		if t != cim.Boolean {
			return bad()
		}
		return cim.NewBool(l.Bool), nil
	case LitInt:
		var v cim.Value
		switch {
		case l.Neg && l.IntOverflow, !l.Neg && l.UintOverflow:
			return cim.Value{}, errorAt(l.Pos, status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "%s: %s does not fit 64 bits", where, l.Text))
		case l.Neg:
			v = cim.NewSint64(l.Int)
		case l.Base != 10 && t.IsSigned() && (t.Bits() == 64 || l.Uint < 1<<t.Bits()):
			// Hexadecimal, octal and binary literals are bit patterns:
			// 0x8000000000000000 is the smallest sint64 (as OMI reads it).
			shift := 64 - t.Bits()
			v = cim.NewSint64(int64(l.Uint<<shift) >> shift)
		default:
			v = cim.NewUint64(l.Uint)
		}
		if !t.IsNumeric() && t != cim.Char16 {
			return bad()
		}
		return wrap(cim.Convert(v, t, false))
	case LitReal:
		if !t.IsReal() {
			return bad()
		}
		if t == cim.Real32 {
			// A literal fits real32 when it rounds to a finite float32:
			// 3.4028235e+38, the shortest form of the largest float32, is
			// a little above math.MaxFloat32 and rounds down to it.
			f := float32(l.Real)
			if l.RealOverflow || math.IsInf(float64(f), 0) {
				return cim.Value{}, errorAt(l.Pos, status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "%s: %s does not fit %s", where, l.Text, t))
			}
			return cim.NewReal32(f), nil
		}
		if l.RealOverflow {
			return cim.Value{}, errorAt(l.Pos, status.New(status.WBEM_E_VALUE_OUT_OF_RANGE, "%s: %s does not fit %s", where, l.Text, t))
		}
		return cim.NewReal64(l.Real), nil
	case LitChar16:
		switch {
		case t == cim.Char16:
			return cim.NewChar16(l.Char), nil
		case t == cim.String:
			return cim.NewString(string(rune(l.Char))), nil
		case t.IsInteger():
			return wrap(cim.Convert(cim.NewUint16(l.Char), t, false))
		}
		return bad()
	case LitString:
		switch t {
		case cim.String, cim.DateTime, cim.Char16, cim.Reference:
			return wrap(cim.ParseValue(t, l.Str))
		case cim.Object:
			return cim.Value{}, errorAt(l.Pos, status.New(status.WBEM_E_TYPE_MISMATCH,
				"%s: an embedded instance must be given as instance of ... or an alias", where))
		}
		return bad()
	case LitAlias:
		a, ok := c.aliases[strings.ToLower(l.Alias)]
		if !ok {
			return cim.Value{}, errorfAt(l.Pos, "%s: alias $%s is not defined before its use", where, l.Alias)
		}
		switch t {
		case cim.Reference:
			if a.path == nil {
				return cim.Value{}, errorfAt(l.Pos, "%s: alias $%s names an instance without a path", where, l.Alias)
			}
			return cim.NewReference(a.path), nil
		case cim.Object:
			return c.embed(l.Pos, a.inst, embedded, where)
		}
		return bad()
	case LitInstance:
		if t != cim.Object {
			return bad()
		}
		inst, err := c.instance(l.Instance, false)
		if err != nil {
			return cim.Value{}, err
		}
		return c.embed(l.Pos, inst, embedded, where)
	}
	return bad()
}

// article returns "an" before a vowel, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// pathless says why an instance cannot have an object path, or "".
func pathless(class *cim.Class, inst *cim.Instance) string {
	if class.IsSingleton() {
		return ""
	}
	keys := class.Keys()
	if len(keys) == 0 {
		return "its class has no key property"
	}
	for _, k := range keys {
		if inst.Value(k.Name).IsNull() {
			return "key property " + k.Name + " is NULL"
		}
	}
	return ""
}

func (c *compiler) embed(pos Pos, inst *cim.Instance, class, where string) (cim.Value, error) {
	if class != "" && !inst.Class().IsA(class) {
		return cim.Value{}, errorAt(pos, status.New(status.WBEM_E_TYPE_MISMATCH, "%s: wants an instance of %s, got %s", where, class, inst.ClassName()))
	}
	return cim.NewObject(inst), nil
}

// IsErrorList reports whether err is a list of positioned MOF errors.
func IsErrorList(err error) bool {
	var l ErrorList
	return errors.As(err, &l)
}

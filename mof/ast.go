package mof

import "iter"

// File is one parsed MOF file.
type File struct {
	// Name is the file name used in positions: the path given to Parse or
	// ParseFile, or the resolved path of an included file.
	Name string
	// Productions are the top-level declarations of the file in source
	// order: *Pragma, *QualifierDecl, *ClassDecl and *InstanceDecl.
	Productions []Production
}

// All returns an iterator over the productions of f in source order with
// includes expanded where they appear: an include pragma is yielded, then
// (when the loader resolved it) the productions of the included file,
// recursively, then the productions that follow the pragma. This is the
// order in which a compiler applies them, so that a namespace pragma in an
// included file affects what follows it.
func (f *File) All() iter.Seq[Production] {
	return func(yield func(Production) bool) {
		onStack := map[*File]bool{}
		var walk func(f *File) bool
		walk = func(f *File) bool {
			if f == nil || onStack[f] {
				return true
			}
			onStack[f] = true
			defer delete(onStack, f)
			for _, p := range f.Productions {
				if !yield(p) {
					return false
				}
				if pr, ok := p.(*Pragma); ok && pr.Include != nil {
					if !walk(pr.Include) {
						return false
					}
				}
			}
			return true
		}
		walk(f)
	}
}

// Classes returns the class declarations of f itself (not of its includes).
func (f *File) Classes() []*ClassDecl {
	var out []*ClassDecl
	for _, p := range f.Productions {
		if c, ok := p.(*ClassDecl); ok {
			out = append(out, c)
		}
	}
	return out
}

// Production is a top-level declaration: *Pragma, *QualifierDecl,
// *ClassDecl or *InstanceDecl.
type Production interface {
	// Position returns where the production starts.
	Position() Pos
	production()
}

// Pragma is a compiler directive, "#pragma name (args)". Known names
// include include, namespace, locale, instancelocale, classflags,
// instanceflags, deleteclass, deleteinstance and autorecover; the parser
// keeps unknown pragmas too and leaves it to the compiler to warn.
type Pragma struct {
	// Name is the pragma name as written (compare with strings.EqualFold).
	Name string
	// Args are the parenthesised arguments: strings (adjacent string
	// literals are concatenated), numbers, or bare words such as FAIL and
	// NOFAIL (Kind LitIdent). Args is empty when the pragma has no
	// parentheses.
	Args []*Literal
	// Include is the parsed included file for an include pragma when the
	// file was loaded by ParseFile; nil otherwise, and nil when the include
	// failed.
	Include *File
	Pos     Pos
}

// Is reports whether the pragma's name is name, ignoring case.
func (p *Pragma) Is(name string) bool { return equalFoldASCII(p.Name, name) }

// Value returns the first argument if it is a string, else "".
func (p *Pragma) Value() string {
	if len(p.Args) > 0 && p.Args[0].Kind == LitString {
		return p.Args[0].Str
	}
	return ""
}

// QualifierDecl declares a qualifier type:
//
//	Qualifier Name : type[] = default, Scope(...), Flavor(...);
type QualifierDecl struct {
	Name string
	// Type is the qualifier's data type (never TypeReference, TypeObject or
	// TypeVoid); TypeName is the type name as written.
	Type      DataType
	TypeName  string
	IsArray   bool
	ArraySize int // fixed array size, 0 for a variable-size array
	// Default is the default value, or nil when none is given ("= null"
	// gives a Literal of Kind LitNull).
	Default *Literal
	// Scopes are the names in Scope(...) as written (class, association,
	// indication, property, reference, method, parameter, qualifier, any).
	Scopes []string
	// Flavors are the names in Flavor(...) as written (EnableOverride,
	// DisableOverride, ToSubclass, Restricted, Translatable, ToInstance...).
	Flavors []string
	Pos     Pos
}

// ClassDecl declares a class. Association and Indication are qualifiers in
// Qualifiers, as DSP0004 writes them.
type ClassDecl struct {
	Qualifiers []*Qualifier
	Name       string
	Alias      string // class alias ("as $Alias") without the '$', or ""
	Super      string // superclass name, or "" for a root class
	// Features are the properties, references and methods in declaration
	// order.
	Features []Feature
	Pos      Pos
}

// Properties returns the non-reference properties of c in order.
func (c *ClassDecl) Properties() []*PropertyDecl {
	var out []*PropertyDecl
	for _, f := range c.Features {
		if p, ok := f.(*PropertyDecl); ok && !p.Type.IsReference() {
			out = append(out, p)
		}
	}
	return out
}

// References returns the reference properties of c in order.
func (c *ClassDecl) References() []*PropertyDecl {
	var out []*PropertyDecl
	for _, f := range c.Features {
		if p, ok := f.(*PropertyDecl); ok && p.Type.IsReference() {
			out = append(out, p)
		}
	}
	return out
}

// Methods returns the methods of c in order.
func (c *ClassDecl) Methods() []*MethodDecl {
	var out []*MethodDecl
	for _, f := range c.Features {
		if m, ok := f.(*MethodDecl); ok {
			out = append(out, m)
		}
	}
	return out
}

// Feature is a class feature: *PropertyDecl (a property or a reference)
// or *MethodDecl.
type Feature interface {
	// FeatureName returns the property or method name.
	FeatureName() string
	// Position returns where the feature starts (its qualifier list, if
	// any).
	Position() Pos
	feature()
}

// TypeSpec is the type of a property, reference, parameter or method
// return value.
type TypeSpec struct {
	// Type is the data type. TypeReference for "ClassName REF".
	Type DataType
	// Name is the type name as written ("UInt32", "STRING"), or for a
	// reference the referenced class name as written.
	Name string
	// RefClass is the referenced class name when Type is TypeReference.
	RefClass string
	// IsArray is set for an array ("Name[]", "Name[5]"; for a method
	// return value, "type[] Method()").
	IsArray bool
	// ArraySize is the size of a fixed-size array ("Name[5]"), else 0.
	ArraySize int
}

// IsReference reports whether t is a reference type.
func (t TypeSpec) IsReference() bool { return t.Type == TypeReference }

// PropertyDecl declares a property or, when Type.Type is TypeReference, a
// reference:
//
//	[qualifiers] uint32 Name[] = {1, 2};
//	[qualifiers] CIM_Foo REF Name = $alias;
type PropertyDecl struct {
	Qualifiers []*Qualifier
	Type       TypeSpec
	Name       string
	// Default is the default value, or nil when none is given.
	Default *Literal
	Pos     Pos
}

// MethodDecl declares a method:
//
//	[qualifiers] uint32 Name([In] string p, [In, Out] CIM_Foo REF r);
type MethodDecl struct {
	Qualifiers []*Qualifier
	// ReturnType is the return type; Type is TypeVoid for "void".
	ReturnType TypeSpec
	Name       string
	Params     []*Parameter
	Pos        Pos
}

// Parameter is a method parameter:
//
//	[In, Out] CIM_Foo REF p2
//	[In] string arr[]
type Parameter struct {
	Qualifiers []*Qualifier
	Type       TypeSpec
	Name       string
	// Default is a default value ("= value", MOF 3 syntax), or nil.
	Default *Literal
	Pos     Pos
}

// InstanceDecl declares an instance, at top level or as the value of an
// embedded-instance property:
//
//	[qualifiers] instance of Class as $Alias { Prop = value; ... };
type InstanceDecl struct {
	Qualifiers []*Qualifier
	Class      string
	Alias      string // without the '$', or ""
	Props      []*PropertyValue
	Pos        Pos
}

// PropertyValue is one "[qualifiers] Name = value;" in an instance body.
type PropertyValue struct {
	Qualifiers []*Qualifier
	Name       string
	Value      *Literal
	Pos        Pos
}

// Qualifier is one qualifier in a qualifier list:
//
//	Key                                   (bare flag: Value is nil)
//	Description("a" "b")                  (adjacent strings concatenated)
//	ValueMap{"0", "1"}                    (array value)
//	Description("x"): ToSubclass Translatable
type Qualifier struct {
	Name string
	// Value is the value given in parentheses or braces, or nil for a bare
	// qualifier (which means true for a boolean qualifier).
	Value *Literal
	// Flavors are the flavor names written after a colon, as written.
	Flavors []string
	Pos     Pos
}

// LiteralKind says which fields of a Literal hold its value.
type LiteralKind uint8

// Literal kinds.
const (
	LitNull     LiteralKind = iota // null
	LitBool                        // true or false: Bool
	LitInt                         // integer: Text, Neg, Base, Int, Uint and overflow flags
	LitReal                        // real number: Text, Real, RealOverflow
	LitString                      // string: Str (escapes resolved, adjacent literals concatenated)
	LitChar16                      // char16: Char
	LitArray                       // array: Elems
	LitAlias                       // alias reference $name: Alias
	LitInstance                    // embedded "instance of": Instance
	LitIdent                       // bare word (pragma arguments only): Text
)

var litKindNames = [...]string{"null", "boolean", "integer", "real", "string", "char16", "array", "alias", "instance", "identifier"}

// String returns the kind's name ("integer", "string", ...).
func (k LiteralKind) String() string {
	if int(k) < len(litKindNames) {
		return litKindNames[k]
	}
	return "invalid"
}

// Literal is a value: a tagged union whose Kind says which fields are set.
type Literal struct {
	Kind LiteralKind
	Pos  Pos

	// Text is the literal as written, for LitInt and LitReal (with sign
	// and base prefix or suffix, e.g. "-0x1F", "101b") and LitIdent.
	Text string

	Bool bool // LitBool

	// Integers (LitInt). The sign matters: Neg is set when a minus sign was
	// written. Int is the value when it fits in int64 (IntOverflow false);
	// Uint is the value when it is non-negative and fits in uint64
	// (UintOverflow false; a negative value other than -0 always sets
	// UintOverflow). For hex, octal and binary literals, Uint is the bit
	// pattern, so a compiler can accept 0x8000000000000000 for sint64 as
	// two's complement if it wants to.
	Neg          bool
	Base         int // 2, 8, 10 or 16
	Int          int64
	Uint         uint64
	IntOverflow  bool
	UintOverflow bool

	// Reals (LitReal). RealOverflow is set when the magnitude is too large
	// for float64 (Real is then ±Inf).
	Real         float64
	RealOverflow bool

	Str  string // LitString
	Char uint16 // LitChar16 (a UCS-2 code unit)

	Elems    []*Literal    // LitArray (elements are never arrays)
	Alias    string        // LitAlias, without the '$'
	Instance *InstanceDecl // LitInstance
}

func (*Pragma) production()        {}
func (*QualifierDecl) production() {}
func (*ClassDecl) production()     {}
func (*InstanceDecl) production()  {}

// Position returns where the pragma starts (its '#').
func (p *Pragma) Position() Pos { return p.Pos }

// Position returns where the declaration starts (the Qualifier keyword).
func (q *QualifierDecl) Position() Pos { return q.Pos }

// Position returns where the declaration starts (its qualifier list, if any).
func (c *ClassDecl) Position() Pos { return c.Pos }

// Position returns where the declaration starts (its qualifier list, if any).
func (i *InstanceDecl) Position() Pos { return i.Pos }

func (*PropertyDecl) feature() {}
func (*MethodDecl) feature()   {}

// FeatureName returns the property name.
func (p *PropertyDecl) FeatureName() string { return p.Name }

// FeatureName returns the method name.
func (m *MethodDecl) FeatureName() string { return m.Name }

// Position returns where the declaration starts.
func (p *PropertyDecl) Position() Pos { return p.Pos }

// Position returns where the declaration starts.
func (m *MethodDecl) Position() Pos { return m.Pos }

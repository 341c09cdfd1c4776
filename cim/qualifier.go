package cim

import (
	"strings"
)

// Flavor holds the flavor bits of a qualifier. The zero Flavor is the DMTF
// default: EnableOverride, ToSubclass, not Translatable.
type Flavor uint8

// Flavor bits.
const (
	// FlavorDisableOverride forbids subclasses to change the value.
	FlavorDisableOverride Flavor = 1 << iota
	// FlavorRestricted stops the qualifier from propagating to subclasses
	// (the opposite of ToSubclass).
	FlavorRestricted
	// FlavorTranslatable marks a localisable string value.
	FlavorTranslatable
	// FlavorToInstance propagates the qualifier to instances (WMI).
	FlavorToInstance
	// FlavorAmended marks a localised (amended) qualifier (WMI).
	FlavorAmended
)

// WMI flavor bits of a qualifier (spec §1.6).
const (
	WMIFlavorPropagateToInstance     = 0x1
	WMIFlavorPropagateToDerivedClass = 0x2
	WMIFlavorNotOverridable          = 0x10
	WMIFlavorOriginPropagated        = 0x20
	WMIFlavorOriginSystem            = 0x40
	WMIFlavorAmended                 = 0x80
)

// ToSubclass reports whether the qualifier propagates to subclasses.
func (f Flavor) ToSubclass() bool { return f&FlavorRestricted == 0 }

// Overridable reports whether subclasses may change the value.
func (f Flavor) Overridable() bool { return f&FlavorDisableOverride == 0 }

// ParseFlavor applies one MOF flavor keyword (EnableOverride,
// DisableOverride, ToSubclass, Restricted, Translatable, ToInstance,
// Amended; any case) to f. It returns false for unknown keywords.
func (f Flavor) ParseFlavor(word string) (Flavor, bool) {
	switch strings.ToLower(word) {
	case "enableoverride":
		return f &^ FlavorDisableOverride, true
	case "disableoverride":
		return f | FlavorDisableOverride, true
	case "tosubclass":
		return f &^ FlavorRestricted, true
	case "restricted":
		return f | FlavorRestricted, true
	case "translatable":
		return f | FlavorTranslatable, true
	case "toinstance":
		return f | FlavorToInstance, true
	case "amended":
		return f | FlavorAmended, true
	}
	return f, false
}

// Keywords returns the MOF flavor keywords that differ from the default.
func (f Flavor) Keywords() []string {
	var out []string
	if f&FlavorDisableOverride != 0 {
		out = append(out, "DisableOverride")
	}
	if f&FlavorRestricted != 0 {
		out = append(out, "Restricted")
	}
	if f&FlavorTranslatable != 0 {
		out = append(out, "Translatable")
	}
	if f&FlavorToInstance != 0 {
		out = append(out, "ToInstance")
	}
	if f&FlavorAmended != 0 {
		out = append(out, "Amended")
	}
	return out
}

// Qualifier is a named value attached to a class, property, method or
// parameter.
type Qualifier struct {
	Name   string
	Value  Value
	Flavor Flavor
	// Propagated reports that the qualifier was inherited from a superclass
	// rather than declared on this element.
	Propagated bool
}

// WMIFlavor returns the WMI flavor bit mask of the qualifier.
func (q *Qualifier) WMIFlavor() int32 {
	var f int32
	if q.Flavor&FlavorToInstance != 0 {
		f |= WMIFlavorPropagateToInstance
	}
	if q.Flavor.ToSubclass() {
		f |= WMIFlavorPropagateToDerivedClass
	}
	if !q.Flavor.Overridable() {
		f |= WMIFlavorNotOverridable
	}
	if q.Propagated {
		f |= WMIFlavorOriginPropagated
	}
	if q.Flavor&FlavorAmended != 0 {
		f |= WMIFlavorAmended
	}
	return f
}

// Qualifiers is an ordered list of qualifiers with case-insensitive
// look-up. Lists are short, so look-up is a linear scan.
type Qualifiers []Qualifier

// Get returns the qualifier named name, or nil.
func (qs Qualifiers) Get(name string) *Qualifier {
	for i := range qs {
		if strings.EqualFold(qs[i].Name, name) {
			return &qs[i]
		}
	}
	return nil
}

// Has reports whether a qualifier named name is present.
func (qs Qualifiers) Has(name string) bool { return qs.Get(name) != nil }

// Bool reports whether the boolean qualifier name is present and true.
// A qualifier given without a value (a bare flag such as [Key]) is true.
func (qs Qualifiers) Bool(name string) bool {
	q := qs.Get(name)
	if q == nil {
		return false
	}
	if q.Value.IsNull() {
		return q.Value.Type() == Boolean || q.Value.Type() == TypeNone
	}
	return q.Value.Bool()
}

// Text returns the string value of qualifier name, or "".
func (qs Qualifiers) Text(name string) string {
	if q := qs.Get(name); q != nil && q.Value.Type() == String && !q.Value.IsArray() {
		return q.Value.Text()
	}
	return ""
}

// Strings returns the string-array value of qualifier name, or nil.
func (qs Qualifiers) Strings(name string) []string {
	q := qs.Get(name)
	if q == nil || !q.Value.IsArray() {
		return nil
	}
	out := make([]string, 0, q.Value.Len())
	for _, e := range q.Value.Elems() {
		out = append(out, e.Text())
	}
	return out
}

// Set adds q or replaces the qualifier of the same name, keeping its
// position.
func (qs *Qualifiers) Set(q Qualifier) {
	for i := range *qs {
		if strings.EqualFold((*qs)[i].Name, q.Name) {
			(*qs)[i] = q
			return
		}
	}
	*qs = append(*qs, q)
}

// Delete removes the qualifier named name and reports whether it existed.
func (qs *Qualifiers) Delete(name string) bool {
	for i := range *qs {
		if strings.EqualFold((*qs)[i].Name, name) {
			*qs = append((*qs)[:i], (*qs)[i+1:]...)
			return true
		}
	}
	return false
}

// Clone returns a copy of the list (values are cloned too).
func (qs Qualifiers) Clone() Qualifiers {
	if qs == nil {
		return nil
	}
	out := make(Qualifiers, len(qs))
	for i, q := range qs {
		q.Value = q.Value.Clone()
		out[i] = q
	}
	return out
}

// Scope is the set of schema elements a qualifier may be applied to.
type Scope uint16

// Scope bits.
const (
	ScopeClass Scope = 1 << iota
	ScopeAssociation
	ScopeIndication
	ScopeProperty
	ScopeReference
	ScopeMethod
	ScopeParameter
	ScopeQualifier
	// ScopeAny is every element.
	ScopeAny Scope = ScopeClass | ScopeAssociation | ScopeIndication | ScopeProperty |
		ScopeReference | ScopeMethod | ScopeParameter
)

var scopeWords = []struct {
	s    Scope
	word string
}{
	{ScopeClass, "class"}, {ScopeAssociation, "association"}, {ScopeIndication, "indication"},
	{ScopeProperty, "property"}, {ScopeReference, "reference"}, {ScopeMethod, "method"},
	{ScopeParameter, "parameter"}, {ScopeQualifier, "qualifier"},
}

// ParseScope returns the scope bit for a MOF scope keyword ("class",
// "property", ..., "any"), case-insensitively.
func ParseScope(word string) (Scope, bool) {
	w := strings.ToLower(word)
	if w == "any" {
		return ScopeAny, true
	}
	for _, sw := range scopeWords {
		if sw.word == w {
			return sw.s, true
		}
	}
	return 0, false
}

// Keywords returns the MOF scope keywords of s ("any" when all are set).
func (s Scope) Keywords() []string {
	if s&ScopeAny == ScopeAny {
		return []string{"any"}
	}
	var out []string
	for _, sw := range scopeWords {
		if s&sw.s != 0 {
			out = append(out, sw.word)
		}
	}
	return out
}

// QualifierDecl is a qualifier type declaration ("Qualifier Key : boolean
// = false, Scope(property, reference), Flavor(DisableOverride)").
type QualifierDecl struct {
	Name    string
	Type    Type
	IsArray bool
	// ArraySize is the fixed array size, 0 when variable.
	ArraySize int
	Default   Value
	Scopes    Scope
	Flavor    Flavor
}

package cim

import (
	"strconv"
	"strings"
)

// MOF renders the instance as MOF text, WMI's GetObjectText form:
//
//	instance of __PARAMETERS
//	{
//		ReturnValue = 0;
//	};
//
// NULL properties are left out.
func (i *Instance) MOF() string {
	var b strings.Builder
	i.writeMOF(&b, "")
	b.WriteString(";\n")
	return b.String()
}

func (i *Instance) writeMOF(b *strings.Builder, indent string) {
	if i == nil {
		b.WriteString("NULL")
		return
	}
	b.WriteString("instance of ")
	b.WriteString(i.class.Name)
	b.WriteString("\n")
	b.WriteString(indent)
	b.WriteString("{\n")
	for k, p := range i.class.Properties {
		v := i.values[k]
		if v.IsNull() {
			continue
		}
		b.WriteString(indent)
		b.WriteString("\t")
		b.WriteString(p.Name)
		b.WriteString(" = ")
		v.writeMOF(b, indent+"\t")
		b.WriteString(";\n")
	}
	b.WriteString(indent)
	b.WriteString("}")
}

// MOF renders the class as a MOF class declaration. When local is true
// only features declared by the class itself are written (the form that
// compiles back into the same class); otherwise every feature is written
// and inherited ones carry a comment naming their origin.
func (c *Class) MOF(local bool) string {
	var b strings.Builder
	writeQualifiers(&b, c.Qualifiers, "", local, true)
	b.WriteString("class ")
	b.WriteString(c.Name)
	if c.SuperClass != "" {
		b.WriteString(" : ")
		b.WriteString(c.SuperClass)
	}
	b.WriteString("\n{\n")
	for _, p := range c.Properties {
		if local && p.Propagated {
			continue
		}
		writeQualifiers(&b, p.Qualifiers, "\t", local, true)
		b.WriteString("\t")
		writeDecl(&b, p.Type, p.IsArray, p.ArraySize, p.RefClass, p.Name)
		if !p.Default.IsNull() {
			b.WriteString(" = ")
			p.Default.writeMOF(&b, "\t")
		}
		b.WriteString(";")
		writeOrigin(&b, c.Name, p.ClassOrigin)
		b.WriteString("\n")
	}
	for _, m := range c.Methods {
		if local && m.Propagated {
			continue
		}
		writeQualifiers(&b, m.Qualifiers, "\t", local, true)
		b.WriteString("\t")
		if m.ReturnType == Reference {
			b.WriteString(m.ReturnRefClass + " REF")
		} else if m.ReturnType == Object {
			b.WriteString("string")
		} else {
			b.WriteString(m.ReturnType.String())
		}
		b.WriteString(" ")
		b.WriteString(m.Name)
		b.WriteString("(")
		for k, p := range m.Parameters {
			if k > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n\t\t")
			writeQualifiers(&b, p.Qualifiers, "", false, false)
			writeDecl(&b, p.Type, p.IsArray, p.ArraySize, p.RefClass, p.Name)
		}
		b.WriteString(");")
		writeOrigin(&b, c.Name, m.ClassOrigin)
		b.WriteString("\n")
	}
	b.WriteString("};\n")
	return b.String()
}

func writeOrigin(b *strings.Builder, class, origin string) {
	if origin != "" && !strings.EqualFold(origin, class) {
		b.WriteString(" // from ")
		b.WriteString(origin)
	}
}

// writeDecl writes "type Name" for a property or parameter; embedded
// objects are written the DMTF way (string with EmbeddedInstance, which
// the qualifier list carries).
func writeDecl(b *strings.Builder, t Type, array bool, size int, ref, name string) {
	switch t {
	case Reference:
		b.WriteString(ref)
		b.WriteString(" REF ")
	case Object:
		b.WriteString("string ")
	default:
		b.WriteString(t.String())
		b.WriteString(" ")
	}
	b.WriteString(name)
	if array {
		b.WriteString("[")
		if size > 0 {
			b.WriteString(strconv.Itoa(size))
		}
		b.WriteString("]")
	}
}

func writeQualifiers(b *strings.Builder, qs Qualifiers, indent string, local, newline bool) {
	first := true
	for _, q := range qs {
		if local && q.Propagated {
			continue
		}
		if first {
			b.WriteString(indent)
			b.WriteString("[")
			first = false
		} else {
			b.WriteString(",")
			if newline {
				b.WriteString("\n" + indent + " ")
			} else {
				b.WriteString(" ")
			}
		}
		b.WriteString(q.Name)
		switch {
		case q.Value.IsNull():
		case q.Value.IsArray():
			q.Value.writeMOF(b, indent)
		case q.Value.Type() == Boolean && q.Value.Bool():
		default:
			b.WriteString("(")
			q.Value.writeMOF(b, indent)
			b.WriteString(")")
		}
	}
	if !first {
		b.WriteString("]")
		if newline {
			b.WriteString("\n")
		} else {
			b.WriteString(" ")
		}
	}
}

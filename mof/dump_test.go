package mof

import (
	"fmt"
	"strconv"
	"strings"
)

// dump renders productions as an indented, deterministic text for golden
// files and table tests. Positions are written as line:col.
func dump(prods []Production) string {
	var d dumper
	for _, p := range prods {
		d.production(p)
	}
	return d.b.String()
}

type dumper struct {
	b      strings.Builder
	indent int
}

func (d *dumper) line(pos Pos, format string, args ...any) {
	d.b.WriteString(strings.Repeat("  ", d.indent))
	fmt.Fprintf(&d.b, "%d:%d ", pos.Line, pos.Col)
	fmt.Fprintf(&d.b, format, args...)
	d.b.WriteByte('\n')
}

func (d *dumper) production(p Production) {
	switch p := p.(type) {
	case *Pragma:
		inc := ""
		if p.Include != nil {
			inc = " -> " + p.Include.Name
		}
		d.line(p.Pos, "pragma %s%s", p.Name, inc)
		d.values(p.Args)
	case *QualifierDecl:
		d.line(p.Pos, "qualifier %s : %s(%s)%s scope=%v flavor=%v", p.Name, p.TypeName, p.Type, arr(p.IsArray, p.ArraySize), p.Scopes, p.Flavors)
		if p.Default != nil {
			d.indent++
			d.value("default ", p.Default)
			d.indent--
		}
	case *ClassDecl:
		extra := ""
		if p.Alias != "" {
			extra += " as $" + p.Alias
		}
		if p.Super != "" {
			extra += " : " + p.Super
		}
		d.line(p.Pos, "class %s%s", p.Name, extra)
		d.indent++
		d.qualifiers(p.Qualifiers)
		for _, f := range p.Features {
			switch f := f.(type) {
			case *PropertyDecl:
				kind := "property"
				if f.Type.IsReference() {
					kind = "reference"
				}
				d.line(f.Pos, "%s %s %s", kind, typeString(f.Type), f.Name)
				d.indent++
				d.qualifiers(f.Qualifiers)
				if f.Default != nil {
					d.value("default ", f.Default)
				}
				d.indent--
			case *MethodDecl:
				d.line(f.Pos, "method %s %s", typeString(f.ReturnType), f.Name)
				d.indent++
				d.qualifiers(f.Qualifiers)
				for _, prm := range f.Params {
					d.line(prm.Pos, "param %s %s", typeString(prm.Type), prm.Name)
					d.indent++
					d.qualifiers(prm.Qualifiers)
					if prm.Default != nil {
						d.value("default ", prm.Default)
					}
					d.indent--
				}
				d.indent--
			}
		}
		d.indent--
	case *InstanceDecl:
		d.instance(p)
	default:
		d.b.WriteString(fmt.Sprintf("unknown production %T\n", p))
	}
}

func (d *dumper) instance(p *InstanceDecl) {
	alias := ""
	if p.Alias != "" {
		alias = " as $" + p.Alias
	}
	d.line(p.Pos, "instance of %s%s", p.Class, alias)
	d.indent++
	d.qualifiers(p.Qualifiers)
	for _, pv := range p.Props {
		d.line(pv.Pos, "set %s", pv.Name)
		d.indent++
		d.qualifiers(pv.Qualifiers)
		d.value("", pv.Value)
		d.indent--
	}
	d.indent--
}

func arr(isArray bool, size int) string {
	switch {
	case !isArray:
		return ""
	case size > 0:
		return "[" + strconv.Itoa(size) + "]"
	}
	return "[]"
}

func typeString(t TypeSpec) string {
	s := t.Name + "(" + t.Type.String() + ")"
	if t.IsReference() {
		s = t.RefClass + " REF"
	}
	return s + arr(t.IsArray, t.ArraySize)
}

func (d *dumper) qualifiers(qs []*Qualifier) {
	for _, q := range qs {
		fl := ""
		if len(q.Flavors) > 0 {
			fl = " : " + strings.Join(q.Flavors, " ")
		}
		if q.Value == nil {
			d.line(q.Pos, "qualifier %s%s", q.Name, fl)
			continue
		}
		d.line(q.Pos, "qualifier %s%s", q.Name, fl)
		d.indent++
		d.value("", q.Value)
		d.indent--
	}
}

func (d *dumper) values(ls []*Literal) {
	d.indent++
	for _, l := range ls {
		d.value("", l)
	}
	d.indent--
}

func (d *dumper) value(prefix string, l *Literal) {
	switch l.Kind {
	case LitNull:
		d.line(l.Pos, "%snull", prefix)
	case LitBool:
		d.line(l.Pos, "%sboolean %v", prefix, l.Bool)
	case LitInt:
		d.line(l.Pos, "%sinteger %s base=%d neg=%v int=%d/%v uint=%d/%v", prefix, l.Text, l.Base, l.Neg, l.Int, okFlag(l.IntOverflow), l.Uint, okFlag(l.UintOverflow))
	case LitReal:
		d.line(l.Pos, "%sreal %s = %v overflow=%v", prefix, l.Text, l.Real, l.RealOverflow)
	case LitString:
		d.line(l.Pos, "%sstring %s", prefix, strconv.Quote(l.Str))
	case LitChar16:
		d.line(l.Pos, "%schar16 %#04x", prefix, l.Char)
	case LitAlias:
		d.line(l.Pos, "%salias $%s", prefix, l.Alias)
	case LitIdent:
		d.line(l.Pos, "%sident %s", prefix, l.Text)
	case LitArray:
		d.line(l.Pos, "%sarray len=%d", prefix, len(l.Elems))
		d.values(l.Elems)
	case LitInstance:
		d.line(l.Pos, "%sembedded", prefix)
		d.indent++
		d.instance(l.Instance)
		d.indent--
	default:
		d.line(l.Pos, "%sbad literal kind %d", prefix, l.Kind)
	}
}

func okFlag(overflow bool) string {
	if overflow {
		return "overflow"
	}
	return "ok"
}

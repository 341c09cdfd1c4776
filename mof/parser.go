package mof

import (
	"fmt"
	"strings"
)

// bailout is the panic value the parser uses to abandon a construct after
// reporting an error; it is always recovered inside the parser.
type bailout struct{}

// parser is a recursive-descent parser over the token stream of one file.
type parser struct {
	lx       lexer
	src      []byte
	tok      token
	file     *File
	errs     *errorSink
	depth    int
	maxDepth int
	maxStr   int
	names    map[string]string // interned identifiers, shared by the files of a load
	sb       strings.Builder
}

// parseText parses UTF-8 text into f.
func parseText(f *File, text []byte, o *Options, errs *errorSink, names map[string]string) {
	p := &parser{src: text, file: f, errs: errs, maxDepth: o.MaxDepth, maxStr: o.MaxStringSize, names: names}
	p.lx.init(f.Name, text, errs, o.MaxStringSize)
	// Defence in depth: a bug in the parser must not take down a server
	// that compiles MOF it was sent. The fuzz target checks that this
	// never happens.
	defer func() {
		if r := recover(); r != nil {
			errs.full = false
			errs.add(p.pos(p.tok), fmt.Sprintf("%s: %v", internalErrorMsg, r), nil)
		}
	}()
	p.next()
	for p.tok.kind != tEOF && !p.errs.full {
		p.production()
	}
}

// internalErrorMsg starts the message of an error reported for a bug in
// the parser rather than for bad input.
const internalErrorMsg = "internal error in MOF parser"

func (p *parser) next() { p.tok = p.lx.next() }

func (p *parser) pos(t token) Pos { return Pos{File: p.file.Name, Line: t.line, Col: t.col} }

func (p *parser) text(t token) []byte { return p.src[t.off:t.end] }

// intern returns b as a string, sharing one copy among equal identifiers.
func (p *parser) intern(b []byte) string {
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	s := string(b)
	p.names[s] = s
	return s
}

// describe names a token for an error message.
func (p *parser) describe(t token) string {
	switch t.kind {
	case tIdent:
		return fmt.Sprintf("%q", p.text(t))
	case tInt, tReal, tAlias:
		b := p.text(t)
		if len(b) > 40 {
			return t.kind.String()
		}
		return fmt.Sprintf("%s %s", t.kind, b)
	}
	return t.kind.String()
}

// fail reports an error at token t and abandons the current construct. An
// error token was reported by the lexer already.
func (p *parser) fail(t token, format string, args ...any) {
	if t.kind != tError {
		p.errs.add(p.pos(t), fmt.Sprintf(format, args...), nil)
	}
	panic(bailout{})
}

// failExpected reports that the current token is not what was expected.
func (p *parser) failExpected(what string) {
	p.fail(p.tok, "expected %s, found %s", what, p.describe(p.tok))
}

// expect consumes a token of kind k or fails.
func (p *parser) expect(k tokKind, context string) token {
	t := p.tok
	if t.kind != k {
		if context != "" {
			p.failExpected(k.String() + " " + context)
		}
		p.failExpected(k.String())
	}
	p.next()
	return t
}

// is reports whether the current token is the keyword kw (lower case),
// ignoring case.
func (p *parser) is(kw string) bool {
	return p.tok.kind == tIdent && equalFoldBytes(p.text(p.tok), kw)
}

// name consumes an identifier.
func (p *parser) name(what string) string {
	if p.tok.kind != tIdent {
		p.failExpected(what)
	}
	s := p.intern(p.text(p.tok))
	p.next()
	return s
}

// enter and leave track the nesting of values (instances and arrays).
func (p *parser) enter(t token) {
	p.depth++
	if p.depth > p.maxDepth {
		p.fail(t, "values nested more than %d deep", p.maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// recoverTo is deferred by a construct that can resume after an error: it
// recovers a bailout, then skips tokens to the end of the broken part (a ';'
// at nesting level 0, consumed) or to a '}' closing the enclosing body
// (when inBody), a '#' starting a pragma at top level, or the end of file.
// start is the offset of the construct's first token, which is always
// skipped so that parsing makes progress.
func (p *parser) recoverTo(start, depth int, inBody bool) {
	r := recover()
	if r == nil {
		return
	}
	if _, ok := r.(bailout); !ok {
		panic(r)
	}
	p.depth = depth
	if p.errs.full {
		if inBody {
			panic(bailout{})
		}
		return
	}
	level := 0
	for p.tok.kind != tEOF {
		switch p.tok.kind {
		case tLBrace, tLParen, tLBrack:
			level++
		case tRBrace, tRParen, tRBrack:
			if level == 0 && inBody && p.tok.kind == tRBrace && p.tok.off != start {
				return
			}
			if level > 0 {
				level--
			}
		case tSemi:
			if level == 0 {
				p.next()
				return
			}
		case tHash:
			if !inBody && level == 0 && p.tok.off != start {
				return
			}
		}
		p.next()
	}
}

// production parses one top-level declaration and appends it to the file.
func (p *parser) production() {
	defer p.recoverTo(p.tok.off, 0, false)
	var prod Production
	switch p.tok.kind {
	case tHash:
		prod = p.pragma()
	case tLBrack:
		pos := p.pos(p.tok)
		quals := p.qualifierList()
		switch {
		case p.is("class"):
			prod = p.classDecl(quals, pos)
		case p.is("instance"):
			prod = p.instanceDecl(quals, pos, true)
		default:
			p.failExpected("class or instance declaration after qualifier list")
		}
	case tIdent:
		switch {
		case p.is("class"):
			prod = p.classDecl(nil, p.pos(p.tok))
		case p.is("instance"):
			prod = p.instanceDecl(nil, p.pos(p.tok), true)
		case p.is("qualifier"):
			prod = p.qualifierDecl()
		default:
			p.failExpected("class, instance or qualifier declaration or #pragma")
		}
	default:
		p.failExpected("class, instance or qualifier declaration or #pragma")
	}
	p.file.Productions = append(p.file.Productions, prod)
}

// pragma parses "#pragma name (args)".
func (p *parser) pragma() *Pragma {
	pr := &Pragma{Pos: p.pos(p.tok)}
	p.next() // '#'
	if !p.is("pragma") {
		p.failExpected("pragma after '#'")
	}
	p.next()
	nameTok := p.tok
	pr.Name = p.name("pragma name")
	if p.tok.kind == tLParen {
		p.next()
		for p.tok.kind != tRParen {
			if len(pr.Args) > 0 {
				p.expect(tComma, "or ')' in pragma arguments")
			}
			if p.tok.kind == tIdent && !p.is("true") && !p.is("false") && !p.is("null") {
				pr.Args = append(pr.Args, &Literal{Kind: LitIdent, Pos: p.pos(p.tok), Text: p.name("")})
				continue
			}
			pr.Args = append(pr.Args, p.value())
		}
		p.next()
	}
	if pr.Is("include") && (len(pr.Args) != 1 || pr.Args[0].Kind != LitString || pr.Args[0].Str == "") {
		p.fail(nameTok, "#pragma include needs one file name in a string")
	}
	return pr
}

// qualifierList parses "[ qualifier, ... ]".
func (p *parser) qualifierList() []*Qualifier {
	p.next() // '['
	var quals []*Qualifier
	for {
		quals = append(quals, p.qualifier())
		if p.tok.kind == tRBrack {
			p.next()
			return quals
		}
		if p.tok.kind != tComma {
			p.failExpected("',' or ']' in qualifier list")
		}
		p.next()
	}
}

// qualifier parses "Name", "Name(value)", "Name{values}", each optionally
// followed by ": flavor ...".
func (p *parser) qualifier() *Qualifier {
	q := &Qualifier{Pos: p.pos(p.tok)}
	q.Name = p.name("qualifier name")
	switch p.tok.kind {
	case tLParen:
		p.next()
		q.Value = p.value()
		p.expect(tRParen, "after qualifier value")
	case tLBrace:
		q.Value = p.value()
	}
	if p.tok.kind == tColon {
		p.next()
		for p.tok.kind == tIdent {
			q.Flavors = append(q.Flavors, p.name(""))
		}
		if len(q.Flavors) == 0 {
			p.failExpected("flavor after ':'")
		}
	}
	return q
}

// qualifierDecl parses "Qualifier Name : type[] = default, Scope(...), Flavor(...);".
func (p *parser) qualifierDecl() *QualifierDecl {
	d := &QualifierDecl{Pos: p.pos(p.tok)}
	p.next() // 'qualifier'
	d.Name = p.name("qualifier name")
	p.expect(tColon, "before qualifier type")
	tt := p.tok
	if tt.kind != tIdent {
		p.failExpected("qualifier type")
	}
	d.Type = lookupTypeBytes(p.text(tt))
	if d.Type == TypeInvalid || d.Type == TypeVoid || d.Type == TypeObject {
		p.fail(tt, "invalid qualifier type %s", p.describe(tt))
	}
	d.TypeName = p.intern(p.text(tt))
	p.next()
	if p.tok.kind == tLBrack {
		d.IsArray = true
		d.ArraySize = p.arraySize()
	}
	if p.tok.kind == tEq {
		p.next()
		d.Default = p.value()
	}
	for p.tok.kind == tComma {
		p.next()
		kw := p.tok
		var list *[]string
		switch {
		case p.is("scope"):
			if d.Scopes != nil {
				p.fail(kw, "duplicate Scope")
			}
			list = &d.Scopes
		case p.is("flavor"):
			if d.Flavors != nil {
				p.fail(kw, "duplicate Flavor")
			}
			list = &d.Flavors
		default:
			p.failExpected("Scope or Flavor")
		}
		p.next()
		p.expect(tLParen, "after "+string(p.text(kw)))
		*list = []string{p.name("name in " + string(p.text(kw)))}
		for p.tok.kind == tComma {
			p.next()
			*list = append(*list, p.name("name in "+string(p.text(kw))))
		}
		p.expect(tRParen, "or ',' in "+string(p.text(kw)))
	}
	p.expect(tSemi, "after qualifier declaration")
	return d
}

// arraySize parses "[]" or "[N]" and returns N (0 for "[]").
func (p *parser) arraySize() int {
	p.next() // '['
	n := 0
	if p.tok.kind == tInt {
		t := p.tok
		var lit Literal
		intLiteral(&lit, p.text(t), t.base)
		if lit.Neg || lit.IntOverflow || lit.Int <= 0 || lit.Int > 1<<31-1 {
			p.fail(t, "invalid array size %s", p.text(t))
		}
		n = int(lit.Int)
		p.next()
	}
	p.expect(tRBrack, "after array size")
	return n
}

// classDecl parses "class Name [as $Alias] [: Super] { features };".
func (p *parser) classDecl(quals []*Qualifier, pos Pos) *ClassDecl {
	c := &ClassDecl{Qualifiers: quals, Pos: pos}
	p.next() // 'class'
	c.Name = p.name("class name")
	if p.is("as") {
		p.next()
		c.Alias = p.alias()
	}
	if p.tok.kind == tColon {
		p.next()
		c.Super = p.name("superclass name")
	}
	p.expect(tLBrace, "to open class body")
	for p.tok.kind != tRBrace {
		if p.tok.kind == tEOF {
			p.failExpected("'}' to close class " + c.Name)
		}
		if p.errs.full {
			panic(bailout{})
		}
		if f := p.featureRecover(); f != nil {
			c.Features = append(c.Features, f)
		}
	}
	p.next()
	p.expect(tSemi, "after class declaration")
	return c
}

func (p *parser) alias() string {
	if p.tok.kind != tAlias {
		p.failExpected("alias ($name) after 'as'")
	}
	s := p.intern(p.src[p.tok.off+1 : p.tok.end])
	p.next()
	return s
}

// featureRecover parses one class feature; after an error it skips to the
// next feature and returns nil.
func (p *parser) featureRecover() (f Feature) {
	defer p.recoverTo(p.tok.off, p.depth, true)
	return p.feature()
}

// feature parses a property, reference or method declaration.
func (p *parser) feature() Feature {
	pos := p.pos(p.tok)
	var quals []*Qualifier
	if p.tok.kind == tLBrack {
		quals = p.qualifierList()
	}
	typeTok := p.tok
	ts := p.typeSpec()
	if p.tok.kind == tLBrack {
		// "type[] Method(...)": an array return type.
		ts.IsArray = true
		ts.ArraySize = p.arraySize()
		if ts.ArraySize != 0 {
			p.fail(typeTok, "a method return type cannot be a fixed-size array")
		}
		m := &MethodDecl{Qualifiers: quals, ReturnType: ts, Pos: pos}
		m.Name = p.name("method name")
		if p.tok.kind != tLParen {
			p.failExpected("'(' (array brackets after a type are only allowed for a method return type)")
		}
		m.Params = p.params()
		p.expect(tSemi, "after method declaration")
		return m
	}
	nameTok := p.tok
	name := p.name("property or method name")
	if p.tok.kind == tLParen {
		m := &MethodDecl{Qualifiers: quals, ReturnType: ts, Name: name, Pos: pos}
		m.Params = p.params()
		p.expect(tSemi, "after method declaration")
		return m
	}
	if ts.Type == TypeVoid {
		p.fail(typeTok, "void is only allowed as a method return type")
	}
	prop := &PropertyDecl{Qualifiers: quals, Type: ts, Name: name, Pos: pos}
	if p.tok.kind == tLBrack {
		prop.Type.IsArray = true
		prop.Type.ArraySize = p.arraySize()
	}
	if p.tok.kind == tEq {
		p.next()
		prop.Default = p.value()
	}
	if p.tok.kind != tSemi {
		p.fail(p.tok, "expected ';' after property %s, found %s", p.text(nameTok), p.describe(p.tok))
	}
	p.next()
	return prop
}

// typeSpec parses a data type name or "ClassName REF".
func (p *parser) typeSpec() TypeSpec {
	t := p.tok
	if t.kind != tIdent {
		p.failExpected("data type")
	}
	name := p.text(t)
	dt := lookupTypeBytes(name)
	p.next()
	if dt != TypeInvalid {
		return TypeSpec{Type: dt, Name: p.intern(name)}
	}
	if !p.is("ref") {
		p.fail(t, "unknown data type %q (a reference is written \"ClassName REF name\")", name)
	}
	p.next()
	s := p.intern(name)
	return TypeSpec{Type: TypeReference, Name: s, RefClass: s}
}

// params parses "( [param, ...] )".
func (p *parser) params() []*Parameter {
	p.next() // '('
	var ps []*Parameter
	for p.tok.kind != tRParen {
		if len(ps) > 0 {
			p.expect(tComma, "or ')' in parameter list")
		}
		ps = append(ps, p.param())
	}
	p.next()
	return ps
}

func (p *parser) param() *Parameter {
	prm := &Parameter{Pos: p.pos(p.tok)}
	if p.tok.kind == tLBrack {
		prm.Qualifiers = p.qualifierList()
	}
	typeTok := p.tok
	prm.Type = p.typeSpec()
	if prm.Type.Type == TypeVoid {
		p.fail(typeTok, "a parameter cannot be void")
	}
	prm.Name = p.name("parameter name")
	if p.tok.kind == tLBrack {
		prm.Type.IsArray = true
		prm.Type.ArraySize = p.arraySize()
	}
	if p.tok.kind == tEq {
		p.next()
		prm.Default = p.value()
	}
	return prm
}

// instanceDecl parses "instance of Class [as $Alias] { Prop = value; ... }"
// and, at top level, the ';' that follows.
func (p *parser) instanceDecl(quals []*Qualifier, pos Pos, top bool) *InstanceDecl {
	inst := &InstanceDecl{Qualifiers: quals, Pos: pos}
	p.next() // 'instance'
	if !p.is("of") {
		p.failExpected("'of' after 'instance'")
	}
	p.next()
	inst.Class = p.name("class name")
	if p.is("as") {
		p.next()
		inst.Alias = p.alias()
	}
	p.expect(tLBrace, "to open instance body")
	for p.tok.kind != tRBrace {
		if p.tok.kind == tEOF {
			p.failExpected("'}' to close instance of " + inst.Class)
		}
		if p.errs.full {
			panic(bailout{})
		}
		if pv := p.propertyValueRecover(); pv != nil {
			inst.Props = append(inst.Props, pv)
		}
	}
	p.next()
	if top {
		p.expect(tSemi, "after instance declaration")
	}
	return inst
}

// propertyValueRecover parses one "[qualifiers] Name = value;" of an
// instance body; after an error it skips to the next one and returns nil.
func (p *parser) propertyValueRecover() (result *PropertyValue) {
	defer p.recoverTo(p.tok.off, p.depth, true)
	pv := &PropertyValue{Pos: p.pos(p.tok)}
	if p.tok.kind == tLBrack {
		pv.Qualifiers = p.qualifierList()
	}
	pv.Name = p.name("property name")
	p.expect(tEq, "after property name")
	pv.Value = p.value()
	p.expect(tSemi, "after property value")
	return pv
}

// value parses a constant, an array, an alias reference or an embedded
// instance.
func (p *parser) value() *Literal {
	t := p.tok
	lit := &Literal{Pos: p.pos(t)}
	switch t.kind {
	case tString:
		p.stringValue(lit)
	case tChar:
		c, e := char16Value(p.text(t))
		if e != nil {
			p.fail(token{line: t.line, col: t.col + e.off}, "%s", e.msg)
		}
		lit.Kind, lit.Char = LitChar16, c
		p.next()
	case tInt:
		lit.Kind = LitInt
		lit.Text = string(p.text(t))
		intLiteral(lit, p.text(t), t.base)
		p.next()
	case tReal:
		lit.Kind = LitReal
		lit.Text = string(p.text(t))
		if err := realLiteral(lit); err != nil {
			p.fail(t, "invalid real number %s", lit.Text)
		}
		p.next()
	case tAlias:
		lit.Kind = LitAlias
		lit.Alias = p.intern(p.src[t.off+1 : t.end])
		p.next()
	case tLBrace:
		p.enter(t)
		p.next()
		lit.Kind = LitArray
		lit.Elems = []*Literal{}
		for p.tok.kind != tRBrace {
			if len(lit.Elems) > 0 {
				p.expect(tComma, "or '}' in array")
			}
			if p.tok.kind == tLBrace {
				p.fail(p.tok, "nested arrays are not allowed")
			}
			lit.Elems = append(lit.Elems, p.value())
		}
		p.next()
		p.leave()
	case tIdent:
		switch {
		case p.is("true"):
			lit.Kind, lit.Bool = LitBool, true
			p.next()
		case p.is("false"):
			lit.Kind = LitBool
			p.next()
		case p.is("null"):
			lit.Kind = LitNull
			p.next()
		case p.is("instance"):
			p.enter(t)
			lit.Kind = LitInstance
			lit.Instance = p.instanceDecl(nil, lit.Pos, false)
			p.leave()
		default:
			p.failExpected("value")
		}
	case tLBrack:
		// "[qualifiers] instance of ..." as a value.
		p.enter(t)
		quals := p.qualifierList()
		if !p.is("instance") {
			p.failExpected("'instance' after qualifier list in a value")
		}
		lit.Kind = LitInstance
		lit.Instance = p.instanceDecl(quals, lit.Pos, false)
		p.leave()
	default:
		p.failExpected("value")
	}
	return lit
}

// stringValue parses one or more adjacent string literals into one string.
func (p *parser) stringValue(lit *Literal) {
	lit.Kind = LitString
	first := p.tok
	p.next()
	if p.tok.kind != tString && !first.esc {
		lit.Str = string(p.src[first.off+1 : first.end-1])
		return
	}
	// Several literals or escapes: size the builder once.
	total := first.end - first.off
	toks := []token{first}
	for p.tok.kind == tString {
		total += p.tok.end - p.tok.off
		if total > p.maxStr {
			p.fail(first, "string longer than %d bytes", p.maxStr)
		}
		toks = append(toks, p.tok)
		p.next()
	}
	b := &p.sb
	b.Reset()
	b.Grow(total)
	for _, t := range toks {
		if !t.esc {
			b.Write(p.src[t.off+1 : t.end-1])
			continue
		}
		if e := unescapeInto(b, p.text(t)); e != nil {
			p.fail(token{line: t.line, col: t.col + e.off}, "%s", e.msg)
		}
	}
	lit.Str = b.String()
	b.Reset()
}

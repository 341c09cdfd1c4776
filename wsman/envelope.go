package wsman

import (
	"bytes"
	"math"
	"strconv"
	"time"
)

// Actions of the operations the handler serves.
const (
	ActionGet               = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
	ActionGetResponse       = "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse"
	ActionEnumerate         = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
	ActionEnumerateResponse = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse"
	ActionPull              = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
	ActionPullResponse      = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse"
	ActionRelease           = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
	ActionReleaseResponse   = "http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse"
)

// AnonymousAddress is the WS-Addressing anonymous endpoint.
const AnonymousAddress = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

// Enumeration modes (w:EnumerationMode).
const (
	modeObject = iota
	modeObjectAndEPR
	modeEPR
)

// minEnvelopeSize is the smallest MaxEnvelopeSize a client may ask for
// (DSP0226 R6.2-4).
const minEnvelopeSize = 8192

// selector is one w:Selector: a text value or an endpoint reference.
type selector struct {
	name  []byte
	value []byte
	epr   int32 // the a:EndpointReference (or equivalent) node, or -1
	node  int32
}

// envelope is a decoded request. Its byte slices point into the pooled
// document and are valid until the request's state is released.
type envelope struct {
	doc *document

	op          op
	action      []byte
	to          []byte
	resourceURI []byte
	messageID   []byte
	method      []byte // the method name of an invoke

	maxEnvelope int // 0 when the client gave none
	timeout     time.Duration
	hasTimeout  bool

	selectors      []selector
	hasSelectorSet bool

	payload int32 // the first element of the body, or -1
}

// decodeEnvelope decodes the SOAP envelope d holds.
func decodeEnvelope(d *document, env *envelope) *Fault {
	*env = envelope{doc: d, payload: -1, selectors: env.selectors[:0]}
	if len(d.nodes) == 0 {
		return newFault(SubcodeSchemaValidationError, "", "empty document")
	}
	root := int32(0)
	if !d.is(root, nsSOAP, "Envelope") {
		if string(d.localName(root)) == "Envelope" {
			return &Fault{Code: "VersionMismatch", Reason: "only SOAP 1.2 envelopes are supported",
				Message: "only SOAP 1.2 envelopes are supported", Action: actionWSAFault,
				CIMStatus: subcodeInfo("").cim, WBEMCode: subcodeInfo("").wbem}
		}
		return newFault(SubcodeSchemaValidationError, "", "the document is not a SOAP envelope")
	}
	header, body := int32(-1), int32(-1)
	for c := d.nodes[root].first; c >= 0; c = d.nodes[c].next {
		switch {
		case d.is(c, nsSOAP, "Header") && header < 0 && body < 0:
			header = c
		case d.is(c, nsSOAP, "Body") && body < 0:
			body = c
		default:
			return newFault(SubcodeSchemaValidationError, "", "unexpected element "+string(d.localName(c))+" in the envelope")
		}
	}
	if body < 0 {
		return newFault(SubcodeSchemaValidationError, "", "the envelope has no body")
	}
	if p := d.nodes[body].first; p >= 0 {
		if d.nodes[p].next >= 0 {
			return newFault(SubcodeSchemaValidationError, "", "the body has more than one element")
		}
		env.payload = p
	}
	if header >= 0 {
		if f := env.decodeHeader(header); f != nil {
			return f
		}
	}
	return env.classify()
}

func (env *envelope) decodeHeader(header int32) *Fault {
	d := env.doc
	once := func(dst *[]byte, c int32, name string) *Fault {
		if *dst != nil {
			return newFault(SubcodeInvalidMessageInformationHeader, "", "duplicate "+name+" header")
		}
		*dst = d.trimmed(c)
		if *dst == nil {
			*dst = []byte{}
		}
		return nil
	}
	for c := d.nodes[header].first; c >= 0; c = d.nodes[c].next {
		n := &d.nodes[c]
		var f *Fault
		known := true
		switch n.code {
		case nsWSA:
			switch string(d.bytes(n.local)) {
			case "To":
				f = once(&env.to, c, "To")
			case "Action":
				f = once(&env.action, c, "Action")
			case "MessageID":
				f = once(&env.messageID, c, "MessageID")
			case "ReplyTo", "FaultTo", "From", "RelatesTo":
			default:
				known = false
			}
		case nsWSMan:
			switch string(d.bytes(n.local)) {
			case "ResourceURI":
				f = once(&env.resourceURI, c, "ResourceURI")
			case "SelectorSet":
				f = env.decodeSelectorSet(c)
			case "OptionSet":
				f = env.decodeOptionSet(c)
			case "MaxEnvelopeSize":
				f = env.decodeMaxEnvelope(c)
			case "OperationTimeout":
				dur, ok := parseDuration(d.trimmed(c))
				if !ok {
					f = newFault(SubcodeInvalidMessageInformationHeader, "", "invalid OperationTimeout "+strconvQuote(d.trimmed(c)))
				}
				env.timeout, env.hasTimeout = dur, true
			case "Locale":
			default:
				known = false
			}
		case nsMSWSMan:
			switch string(d.bytes(n.local)) {
			case "DataLocale", "SessionId", "OperationID", "SequenceId":
			default:
				known = false
			}
		default:
			known = false
		}
		if f != nil {
			return f
		}
		if !known && d.boolAttr(c, nsSOAP, "mustUnderstand") {
			return mustUnderstandFault(qname{space: d.namespaceOf(c), local: string(d.localName(c))})
		}
	}
	return nil
}

// namespaceOf returns the namespace URI of node n.
func (d *document) namespaceOf(n int32) string {
	nd := &d.nodes[n]
	switch nd.code {
	case nsNone:
		return ""
	case nsOther:
		return d.str(nd.space)
	}
	for _, k := range knownNamespaces {
		if k.code == nd.code {
			return k.uri
		}
	}
	return ""
}

func strconvQuote(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return strconv.Quote(string(b))
}

func (env *envelope) decodeSelectorSet(set int32) *Fault {
	d := env.doc
	if env.hasSelectorSet {
		return newFault(SubcodeInvalidMessageInformationHeader, "", "duplicate SelectorSet header")
	}
	env.hasSelectorSet = true
	sels, f := decodeSelectors(d, set, env.selectors[:0])
	env.selectors = sels
	return f
}

// decodeSelectors decodes the w:Selector children of a w:SelectorSet.
func decodeSelectors(d *document, set int32, out []selector) ([]selector, *Fault) {
	for s := d.nodes[set].first; s >= 0; s = d.nodes[s].next {
		if !d.is(s, nsWSMan, "Selector") {
			return out, newFault(SubcodeInvalidSelectors, DetailInvalidValue, "unexpected element "+string(d.localName(s))+" in SelectorSet")
		}
		name, ok := d.attrValue(s, nsNone, "Name")
		name = bytes.TrimSpace(name)
		if !ok || len(name) == 0 {
			return out, newFault(SubcodeInvalidSelectors, DetailInvalidValue, "selector without a Name")
		}
		for _, prev := range out {
			if bytes.EqualFold(prev.name, name) {
				return out, newFault(SubcodeInvalidSelectors, DetailDuplicateSelectors, "duplicate selector "+strconvQuote(name))
			}
		}
		sel := selector{name: name, epr: -1, node: s}
		if c := d.nodes[s].first; c >= 0 {
			if d.nodes[c].next >= 0 {
				return out, newFault(SubcodeInvalidSelectors, DetailInvalidValue, "selector "+strconvQuote(name)+" has more than one element")
			}
			if d.is(c, nsWSA, "EndpointReference") {
				sel.epr = c
			} else if d.is(c, nsWSA, "ReferenceParameters") || d.is(c, nsWSA, "Address") {
				sel.epr = s
			} else {
				return out, newFault(SubcodeInvalidSelectors, DetailInvalidValue, "selector "+strconvQuote(name)+" holds an unexpected element")
			}
		} else {
			sel.value = d.text(s)
		}
		out = append(out, sel)
	}
	return out, nil
}

// decodeOptionSet checks the options: the handler honours none, so an
// option the client says it must have obeyed (MustComply) is refused,
// except for the Microsoft options every server may ignore.
func (env *envelope) decodeOptionSet(set int32) *Fault {
	d := env.doc
	for o := d.nodes[set].first; o >= 0; o = d.nodes[o].next {
		if !d.is(o, nsWSMan, "Option") {
			continue
		}
		if !d.boolAttr(o, nsNone, "MustComply") {
			continue
		}
		name, _ := d.attrValue(o, nsNone, "Name")
		if bytes.HasPrefix(name, []byte("__MI_")) || bytes.HasPrefix(name, []byte("wmi:__MI_")) ||
			bytes.HasPrefix(name, []byte("wmiarray:__MI_")) || bytes.HasSuffix(name, []byte("UsePreciseArrays")) {
			continue
		}
		return newFault(SubcodeUnsupportedFeature, DetailOptionSet, "option "+strconvQuote(name)+" is not supported")
	}
	return nil
}

func (env *envelope) decodeMaxEnvelope(c int32) *Fault {
	t := env.doc.trimmed(c)
	n, err := strconv.ParseUint(string(t), 10, 32)
	if err != nil {
		return newFault(SubcodeInvalidMessageInformationHeader, "", "invalid MaxEnvelopeSize "+strconvQuote(t))
	}
	if n < minEnvelopeSize {
		return newFault(SubcodeEncodingLimit, DetailMinimumEnvelopeLimit,
			"MaxEnvelopeSize "+strconv.FormatUint(n, 10)+" is below the minimum of 8192")
	}
	if n > math.MaxInt32 {
		n = math.MaxInt32
	}
	env.maxEnvelope = int(n)
	return nil
}

const (
	prefixWSTransfer = "http://schemas.xmlsoap.org/ws/2004/09/"
	prefixWSMan      = "http://schemas.dmtf.org/wbem/wsman/"
	prefixWSA        = "http://schemas.xmlsoap.org/ws/2004/08/"
	prefixWSEventing = "http://schemas.xmlsoap.org/ws/2004/08/eventing/"
)

// classify finds the operation from the action and the body.
func (env *envelope) classify() *Fault {
	d := env.doc
	if env.payload >= 0 && d.is(env.payload, nsWSMID, "Identify") {
		env.op = opIdentify
		return nil
	}
	a := env.action
	if a == nil {
		return newFault(SubcodeMessageInformationHeaderRequired, "", "the Action header is missing")
	}
	want := ""
	switch string(a) {
	case ActionGet:
		env.op = opGet
	case ActionEnumerate:
		env.op, want = opEnumerate, "Enumerate"
	case ActionPull:
		env.op, want = opPull, "Pull"
	case ActionRelease:
		env.op, want = opRelease, "Release"
	default:
		if bytes.HasPrefix(a, []byte(prefixWSTransfer)) || bytes.HasPrefix(a, []byte(prefixWSMan)) ||
			bytes.HasPrefix(a, []byte(prefixWSA)) || bytes.HasPrefix(a, []byte("http://schemas.microsoft.com/wbem/wsman/1/windows/")) {
			return newFault(SubcodeActionNotSupported, DetailActionMismatch, "action "+strconvQuote(a)+" is not supported")
		}
		k := bytes.LastIndexByte(a, '/')
		m := a[k+1:]
		if k < 0 || !isIdentifier(m) {
			return newFault(SubcodeActionNotSupported, DetailActionMismatch, "action "+strconvQuote(a)+" names no method")
		}
		env.op, env.method = opInvoke, m
	}
	if want != "" && (env.payload < 0 || !d.is(env.payload, nsWSEn, want)) {
		return newFault(SubcodeSchemaValidationError, "", "the body of "+want+" must be an n:"+want+" element")
	}
	if env.op != opPull && env.op != opRelease && len(env.resourceURI) == 0 {
		return newFault(SubcodeDestinationUnreachable, DetailInvalidResourceURI, "the ResourceURI header is missing")
	}
	return nil
}

// isIdentifier reports whether b is a CIM identifier (class, property or
// method name).
func isIdentifier(b []byte) bool {
	if len(b) == 0 || len(b) > 256 {
		return false
	}
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_', c >= 0x80:
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// parseDuration parses an xs:duration ("PT60S", "PT60.000S", "P1DT2H").
// Years count as 365 days and months as 30. Negative durations and
// durations beyond the range of time.Duration are rejected.
func parseDuration(b []byte) (time.Duration, bool) {
	if len(b) < 3 || b[0] != 'P' {
		return 0, false
	}
	b = b[1:]
	var total float64
	inTime, any := false, false
	lastDate, lastTime := -1, -1
	for len(b) > 0 {
		if b[0] == 'T' {
			if inTime {
				return 0, false
			}
			inTime = true
			b = b[1:]
			if len(b) == 0 {
				return 0, false
			}
			continue
		}
		k := 0
		dot := false
		for k < len(b) && ('0' <= b[k] && b[k] <= '9' || b[k] == '.') {
			if b[k] == '.' {
				if dot {
					return 0, false
				}
				dot = true
			}
			k++
		}
		if k == 0 || k == len(b) || b[k-1] == '.' || b[0] == '.' {
			return 0, false
		}
		v, err := strconv.ParseFloat(string(b[:k]), 64)
		if err != nil {
			return 0, false
		}
		u := b[k]
		var unit float64
		var pos int
		if !inTime {
			switch u {
			case 'Y':
				unit, pos = 365*24*3600, 0
			case 'M':
				unit, pos = 30*24*3600, 1
			case 'D':
				unit, pos = 24*3600, 2
			default:
				return 0, false
			}
			if pos <= lastDate {
				return 0, false
			}
			lastDate = pos
		} else {
			switch u {
			case 'H':
				unit, pos = 3600, 0
			case 'M':
				unit, pos = 60, 1
			case 'S':
				unit, pos = 1, 2
			default:
				return 0, false
			}
			if pos <= lastTime {
				return 0, false
			}
			lastTime = pos
		}
		if dot && u != 'S' {
			return 0, false
		}
		total += v * unit
		any = true
		b = b[k+1:]
	}
	if !any || total*1e9 >= math.MaxInt64 {
		return 0, false
	}
	return time.Duration(total * 1e9), true
}

// formatDuration renders d as an xs:duration with millisecond precision
// ("PT60.000S").
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	return "PT" + strconv.FormatInt(ms/1000, 10) + "." + pad3(ms%1000) + "S"
}

func pad3(n int64) string {
	s := strconv.FormatInt(n, 10)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

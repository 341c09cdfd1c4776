package native

import (
	"bytes"
	"strconv"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimjson"
	"github.com/gowbem/gowbem/status"
)

// op is the kind of a protocol message (its "op" member).
type op uint8

// The messages of the protocol; see docs/PROTOCOL.md.
const (
	opNone op = iota
	// Server to client.
	opHello
	opObject
	opProgress
	opComplete
	opResult
	// Client to server.
	opOpen
	opExec
	opCancel
	opExecMethod
	opGetClass
	opEnumerateClasses
	opEnumerateClassNames
	opGetInstance
	opEnumerateInstances
	opEnumerateInstanceNames
	opGetQualifier
	opEnumerateQualifiers
	opCount
)

var opNames = [opCount]string{
	opHello: "hello", opObject: "object", opProgress: "progress", opComplete: "complete",
	opResult: "result", opOpen: "open", opExec: "exec", opCancel: "cancel",
	opExecMethod: "execMethod", opGetClass: "getClass", opEnumerateClasses: "enumerateClasses",
	opEnumerateClassNames: "enumerateClassNames", opGetInstance: "getInstance",
	opEnumerateInstances: "enumerateInstances", opEnumerateInstanceNames: "enumerateInstanceNames",
	opGetQualifier: "getQualifier", opEnumerateQualifiers: "enumerateQualifiers",
}

// String returns the op's name as the wire spells it.
func (o op) String() string {
	if o < opCount && opNames[o] != "" {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

func parseOp(b []byte) op {
	switch string(b) {
	case "hello":
		return opHello
	case "object":
		return opObject
	case "progress":
		return opProgress
	case "complete":
		return opComplete
	case "result":
		return opResult
	case "open":
		return opOpen
	case "exec":
		return opExec
	case "cancel":
		return opCancel
	case "execMethod":
		return opExecMethod
	case "getClass":
		return opGetClass
	case "enumerateClasses":
		return opEnumerateClasses
	case "enumerateClassNames":
		return opEnumerateClassNames
	case "getInstance":
		return opGetInstance
	case "enumerateInstances":
		return opEnumerateInstances
	case "enumerateInstanceNames":
		return opEnumerateInstanceNames
	case "getQualifier":
		return opGetQualifier
	case "enumerateQualifiers":
		return opEnumerateQualifiers
	}
	return opNone
}

// isRequest reports whether o is sent by clients.
func (o op) isRequest() bool { return o >= opOpen && o < opCount }

// result says which payload member a result message carries.
type result uint8

const (
	resNone result = iota
	resNamespace
	resClass
	resClasses
	resNames
	resInstance
	resInstances
	resPaths
	resQualifier
	resQualifiers
	resOut
)

// message is one protocol message, decoded. Only the members that belong
// to its op are meaningful.
type message struct {
	op op
	id uint64

	// Requests.
	ns      string
	path    string
	method  string
	class   string // getClass; superclass or class of the enumerations
	name    string // getQualifier
	deep    bool
	flags   int32
	in      *cim.Instance
	context *cim.NamedValues

	// hello.
	version        int64
	server         string
	maxMessageSize int64
	maxInFlight    int64

	// object and progress.
	objects        []*cim.Instance
	current, total uint16
	text           string

	// complete.
	hr     status.HRESULT
	param  string
	err    *status.Error
	errObj *cim.Instance

	// result.
	res        result
	resClass   *cim.Class
	classes    []*cim.Class
	names      []string
	instance   *cim.Instance // getInstance, and execMethod's "out"
	instances  []*cim.Instance
	paths      []*cim.ObjectPath
	qualifier  *cim.QualifierDecl
	qualifiers []*cim.QualifierDecl
}

// appendMessage appends m as one line of JSON (with its '\n').
func appendMessage(dst []byte, m *message) []byte {
	dst = append(dst, `{"op":"`...)
	dst = append(dst, opNames[m.op]...)
	dst = append(dst, '"')
	if m.op != opHello {
		dst = append(dst, `,"id":`...)
		dst = strconv.AppendUint(dst, m.id, 10)
	}
	str := func(key, v string) {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst = cimjson.AppendString(dst, v)
	}
	switch m.op {
	case opHello:
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, m.version, 10)
		if m.server != "" {
			str("server", m.server)
		}
		dst = append(dst, `,"maxMessageSize":`...)
		dst = strconv.AppendInt(dst, m.maxMessageSize, 10)
		dst = append(dst, `,"maxInFlight":`...)
		dst = strconv.AppendInt(dst, m.maxInFlight, 10)
	case opObject:
		dst = append(dst, `,"objects":[`...)
		for i, o := range m.objects {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = cimjson.AppendInstance(dst, o)
		}
		dst = append(dst, ']')
	case opProgress:
		dst = append(dst, `,"current":`...)
		dst = strconv.AppendUint(dst, uint64(m.current), 10)
		dst = append(dst, `,"total":`...)
		dst = strconv.AppendUint(dst, uint64(m.total), 10)
		if m.text != "" {
			str("message", m.text)
		}
	case opComplete:
		dst = append(dst, `,"hr":`...)
		dst = strconv.AppendUint(dst, uint64(m.hr), 10)
		if m.param != "" {
			str("param", m.param)
		}
		if m.err != nil {
			dst = append(dst, `,"error":`...)
			dst = cimjson.AppendError(dst, m.err)
		}
		if m.errObj != nil {
			dst = append(dst, `,"errorObject":`...)
			dst = cimjson.AppendInstance(dst, m.errObj)
		}
	case opResult:
		dst = appendResult(dst, m)
	case opCancel:
	default:
		str("ns", m.ns)
		switch m.op {
		case opExec, opExecMethod:
			str("path", m.path)
			str("method", m.method)
			if m.in != nil {
				dst = append(dst, `,"in":`...)
				dst = cimjson.AppendInstance(dst, m.in)
			}
			if m.flags != 0 {
				dst = append(dst, `,"flags":`...)
				dst = strconv.AppendInt(dst, int64(m.flags), 10)
			}
			if m.context != nil {
				dst = append(dst, `,"context":`...)
				dst = cimjson.AppendNamedValues(dst, m.context)
			}
		case opGetClass, opEnumerateClasses, opEnumerateClassNames, opEnumerateInstances, opEnumerateInstanceNames:
			if m.class != "" || m.op == opGetClass {
				str("class", m.class)
			}
			if m.deep {
				dst = append(dst, `,"deep":true`...)
			}
		case opGetInstance:
			str("path", m.path)
		case opGetQualifier:
			str("name", m.name)
		}
	}
	return append(dst, '}', '\n')
}

func appendResult(dst []byte, m *message) []byte {
	switch m.res {
	case resNamespace:
		dst = append(dst, `,"ns":`...)
		dst = cimjson.AppendString(dst, m.ns)
	case resClass:
		dst = append(dst, `,"class":`...)
		dst = cimjson.AppendClass(dst, m.resClass)
	case resClasses:
		dst = append(dst, `,"classes":`...)
		dst = cimjson.AppendArray(dst, m.classes, cimjson.AppendClass)
	case resNames:
		dst = append(dst, `,"names":`...)
		dst = cimjson.AppendArray(dst, m.names, cimjson.AppendString)
	case resInstance:
		dst = append(dst, `,"instance":`...)
		dst = cimjson.AppendInstance(dst, m.instance)
	case resOut:
		dst = append(dst, `,"out":`...)
		dst = cimjson.AppendInstance(dst, m.instance)
	case resInstances:
		dst = append(dst, `,"instances":`...)
		dst = cimjson.AppendArray(dst, m.instances, cimjson.AppendInstance)
	case resPaths:
		dst = append(dst, `,"paths":`...)
		dst = cimjson.AppendArray(dst, m.paths, cimjson.AppendPath)
	case resQualifier:
		dst = append(dst, `,"qualifier":`...)
		dst = cimjson.AppendQualifierDecl(dst, m.qualifier)
	case resQualifiers:
		dst = append(dst, `,"qualifiers":`...)
		dst = cimjson.AppendArray(dst, m.qualifiers, cimjson.AppendQualifierDecl)
	}
	return dst
}

// codec decodes messages. It keeps the caches of a cimjson.Decoder, so
// each connection direction has its own; it is not safe for concurrent
// use.
type codec struct {
	dec cimjson.Decoder
	r   cimjson.Reader
}

// maxID is the largest request id: ids must survive a trip through
// JavaScript numbers.
const maxID = 1<<53 - 1

// decode decodes one message into m, which it clears first. A message
// whose op is known but whose members are wrong still gets m.op and m.id
// set, so that the error can be reported against the request.
func (c *codec) decode(data []byte, m *message) error {
	*m = message{}
	r := &c.r
	r.Reset(data)
	d := &c.dec
	unknown := ""
	for more := r.ObjectStart(); more; more = r.ObjectNext() {
		key := r.Key()
		switch string(key) {
		case "op":
			b := r.StringBytes()
			m.op = parseOp(b)
			if m.op == opNone && r.Err() == nil {
				// Read on, so that the error can name the request's id.
				unknown = string(b)
			}
		case "id":
			if id := r.Uint64(); id > maxID {
				r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "id %d out of range (1 to 2^53-1)", id))
			} else {
				m.id = id
			}
		case "ns":
			m.ns = d.Intern(r.StringBytes())
		case "path":
			m.path = d.Intern(r.StringBytes())
		case "method":
			m.method = d.Intern(r.StringBytes())
		case "class":
			if r.Peek() == '{' || r.Peek() == 'n' {
				m.resClass = d.ReadClass(r)
				m.res = resClass
			} else {
				m.class = d.Intern(r.StringBytes())
			}
		case "name":
			m.name = d.Intern(r.StringBytes())
		case "deep":
			m.deep = r.Bool()
		case "flags":
			n := r.Int64()
			if n < -1<<31 || n > 1<<31-1 {
				r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "flags out of range"))
			}
			m.flags = int32(n)
		case "in":
			m.in = d.ReadInstance(r)
		case "context":
			m.context = d.ReadNamedValues(r)
		case "version":
			m.version = r.Int64()
		case "server":
			m.server = r.String()
		case "maxMessageSize":
			m.maxMessageSize = r.Int64()
		case "maxInFlight":
			m.maxInFlight = r.Int64()
		case "objects":
			m.objects = d.ReadInstances(r)
		case "current":
			m.current = readUint16(r)
		case "total":
			m.total = readUint16(r)
		case "message":
			m.text = r.String()
		case "hr":
			m.hr = cimjson.ReadHRESULT(r)
		case "param":
			m.param = r.String()
		case "error":
			m.err = cimjson.ReadError(r)
		case "errorObject":
			m.errObj = d.ReadInstance(r)
		case "classes":
			m.classes, m.res = d.ReadClasses(r), resClasses
		case "names":
			m.res = resNames
			if !r.Null() {
				for more := r.ArrayStart(); more; more = r.ArrayNext() {
					m.names = append(m.names, d.Intern(r.StringBytes()))
				}
			}
		case "instance":
			m.instance, m.res = d.ReadInstance(r), resInstance
		case "out":
			m.instance, m.res = d.ReadInstance(r), resOut
		case "instances":
			m.instances, m.res = d.ReadInstances(r), resInstances
		case "paths":
			m.res = resPaths
			if !r.Null() {
				for more := r.ArrayStart(); more; more = r.ArrayNext() {
					m.paths = append(m.paths, cimjson.ReadPath(r))
				}
			}
		case "qualifier":
			m.qualifier, m.res = d.ReadQualifierDecl(r), resQualifier
		case "qualifiers":
			m.qualifiers, m.res = d.ReadQualifierDecls(r), resQualifiers
		default:
			r.Skip()
		}
	}
	if err := r.End(); err != nil {
		return err
	}
	if unknown != "" {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "unknown op %q", unknown)
	}
	if m.op == opNone {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "message without an op")
	}
	if m.op == opResult && m.res == resNone && m.ns != "" {
		m.res = resNamespace
	}
	if m.op != opHello && m.id == 0 && m.op != opComplete {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "%s message without an id (ids start at 1)", m.op)
	}
	return nil
}

func readUint16(r *cimjson.Reader) uint16 {
	n := r.Uint64()
	if n > 0xFFFF {
		r.Fail(status.New(status.WBEM_E_INVALID_PARAMETER, "progress value %d out of range", n))
	}
	return uint16(n)
}

// lines calls fn for each non-empty line of a WebSocket message, with
// surrounding white space removed.
func lines(data []byte, fn func(line []byte)) {
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSpace(line)
		if len(line) > 0 {
			fn(line)
		}
	}
}

// Package wbem is the client API of gowbem: the services of one namespace
// of an object manager (Services), the asynchronous result sink
// (ObjectSink) and the WMI calling modes built on it — synchronous,
// semisynchronous (CallResult) and asynchronous (ExecMethodAsync with a
// sink, or the Go form: a Call with events, Wait and Cancel).
//
// The same interface is implemented by the in-process engine
// (engine.Engine.Services) and by remote connections (package client), so
// code written against Services runs unchanged in both places.
package wbem

import (
	"context"
	"reflect"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/status"
)

// Flags of ExecMethod and ExecMethodAsync (spec §1.1).
const (
	// FlagReturnWhenComplete is the synchronous mode (0).
	FlagReturnWhenComplete int32 = 0x0
	// FlagReturnImmediately is the semisynchronous mode.
	FlagReturnImmediately int32 = 0x10
	// FlagForwardOnly is for enumerators only.
	FlagForwardOnly int32 = 0x20
	// FlagNoErrorObject suppresses extended error objects.
	FlagNoErrorObject int32 = 0x40
	// FlagSendStatus asks ExecMethodAsync for progress reports.
	FlagSendStatus int32 = 0x80
	// FlagUseAmendedQualifiers must not be used with ExecMethodAsync.
	FlagUseAmendedQualifiers int32 = 0x20000
)

// Status types passed as the flags of ObjectSink.SetStatus (spec §1.2).
const (
	// StatusComplete marks the one final status of an operation.
	StatusComplete int32 = 0x0
	// StatusProgress marks an intermediate progress report; its HRESULT is
	// status.MakeProgress(current, total).
	StatusProgress int32 = 0x2
)

// Timeouts of CallResult, in milliseconds (spec §1.3).
const (
	// NoWait polls without waiting.
	NoWait int32 = 0
	// Infinite waits until the call completes.
	Infinite int32 = -1
)

// ObjectSink receives the results of an asynchronous operation, as WMI's
// IWbemObjectSink does: zero or more Indicate calls with the out-parameter
// objects, progress SetStatus calls when asked for, then exactly one
// SetStatus(StatusComplete, hr, "", errObj).
//
// Sinks must be comparable values (pointers): the sink value identifies
// the operations to cancel in CancelAsyncCall. An object manager never
// makes two callbacks at once for one operation; operations sharing a
// sink may call it concurrently.
type ObjectSink interface {
	// Indicate delivers objects. The slice and the objects belong to the
	// caller; clone what you keep. A failure code cancels the operation.
	Indicate(objs []*cim.Instance) status.HRESULT
	// SetStatus reports progress (flags StatusProgress) or the final
	// status (flags StatusComplete) with its error object on failure.
	SetStatus(flags int32, hr status.HRESULT, param string, errObj *cim.Instance) status.HRESULT
}

// CheckCallArgs checks what every method call needs (spec §2.2 S1, DD-2,
// DD-23): an object path and a method name, the name at most 255
// characters long.
func CheckCallArgs(path, method string) error {
	switch {
	case path == "":
		return status.New(status.WBEM_E_INVALID_PARAMETER, "object path is empty")
	case method == "":
		return status.New(status.WBEM_E_INVALID_PARAMETER, "method name is empty")
	case len(method) > 255:
		return status.New(status.WBEM_E_METHOD_NAME_TOO_WIDE, "method name longer than 255 characters")
	}
	return nil
}

// CheckAsyncArgs checks the arguments of ExecMethodAsync that are
// answered synchronously (spec §2.4 A1, §13.1 step 1): a sink (A1 comes
// first), CheckCallArgs, and flags 0 or FlagSendStatus.
func CheckAsyncArgs(path, method string, flags int32, sink ObjectSink) error {
	if sink == nil {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "sink is nil")
	}
	if flags&^FlagSendStatus != 0 {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "flags 0x%X are not allowed for ExecMethodAsync (0 or 0x80)", flags)
	}
	if err := CheckCallArgs(path, method); err != nil {
		return err
	}
	return CheckSink(sink)
}

// CheckSink returns a WBEM_E_INVALID_PARAMETER error for a sink that an
// object manager cannot take: nil, or not comparable (see ObjectSink).
func CheckSink(sink ObjectSink) error {
	if sink == nil {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "sink is nil")
	}
	if !reflect.TypeOf(sink).Comparable() {
		return status.New(status.WBEM_E_INVALID_PARAMETER, "sink must be a pointer (comparable) value")
	}
	return nil
}

// Services is the set of operations on one namespace of an object
// manager. The identity of the caller travels in ctx (package security).
// Errors are *status.Error values (or status.HRESULT) usable with
// errors.Is against the WBEM codes.
type Services interface {
	// Namespace returns the namespace the services are bound to.
	Namespace() string

	// GetClass returns a class, resolved (inherited features included).
	GetClass(ctx context.Context, className string) (*cim.Class, error)
	// EnumerateClasses returns the subclasses of superClass ("" for the
	// top-level classes); deep includes every level below.
	EnumerateClasses(ctx context.Context, superClass string, deep bool) ([]*cim.Class, error)
	// EnumerateClassNames is EnumerateClasses returning names only.
	EnumerateClassNames(ctx context.Context, superClass string, deep bool) ([]string, error)
	// GetInstance returns the instance an object path names.
	GetInstance(ctx context.Context, path string) (*cim.Instance, error)
	// EnumerateInstances returns the instances of a class and, when deep,
	// of its subclasses.
	EnumerateInstances(ctx context.Context, className string, deep bool) ([]*cim.Instance, error)
	// EnumerateInstanceNames returns the paths of the instances of a class
	// and its subclasses.
	EnumerateInstanceNames(ctx context.Context, className string) ([]*cim.ObjectPath, error)
	// GetQualifier returns a qualifier declaration.
	GetQualifier(ctx context.Context, name string) (*cim.QualifierDecl, error)
	// EnumerateQualifiers returns every qualifier declaration.
	EnumerateQualifiers(ctx context.Context) ([]*cim.QualifierDecl, error)

	// ExecMethod runs a method synchronously and returns its out-parameters
	// (nil when the method has none). The method's own result is the
	// ReturnValue property; the error reports failures of the call itself.
	ExecMethod(ctx context.Context, path, method string, in *cim.Instance, wctx *cim.NamedValues) (*cim.Instance, error)
	// ExecMethodAsync starts a method and returns at once. Argument errors
	// come back here and the sink is never called; everything else reaches
	// the sink. flags is 0 or FlagSendStatus. ctx supplies the caller's
	// identity; cancelling it cancels the call like CancelAsyncCall.
	ExecMethodAsync(ctx context.Context, path, method string, in *cim.Instance, flags int32, wctx *cim.NamedValues, sink ObjectSink) error
	// CancelAsyncCall cancels every pending operation of sink: each gets
	// one final SetStatus with WBEM_E_CALL_CANCELLED, and the provider's
	// context is cancelled. An unknown sink is WBEM_E_NOT_FOUND.
	CancelAsyncCall(sink ObjectSink) error

	// Close releases the services; pending asynchronous calls are
	// cancelled.
	Close() error
}

// Connector opens the Services of a namespace for the caller whose
// identity ctx carries. The engine implements it; transports serve
// requests through it.
type Connector interface {
	Services(ctx context.Context, namespace string) (Services, error)
}

// FinalErrorReceiver is an optional interface of ObjectSink. An in-process
// object manager calls FinalError with the Go error of a failed operation
// just before the final SetStatus, so that callers keep details (such as
// an exact CIM status code) that the __ExtendedStatus object cannot carry.
type FinalErrorReceiver interface {
	FinalError(err error)
}

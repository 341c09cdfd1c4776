// Package native is gowbem's own streaming protocol: the operations of
// wbem.Services, above all ExecMethodAsync with its full semantics
// (out-parameters, progress, one final status, cancellation that reaches
// the provider), carried as JSON messages over one WebSocket connection
// that multiplexes many calls. docs/PROTOCOL.md specifies the wire format
// for implementers in other languages.
//
// The server side is Handler, mounted at Path:
//
//	mux.Handle(native.Path, native.NewHandler(native.HandlerOptions{Connector: eng, Logger: log}))
//
// Each connection opens its own engine Services per namespace, so the
// engine's per-connection quota applies per WebSocket connection, and
// closing the connection (or losing it) cancels its pending calls, the
// providers' contexts included. Each exec request gets its own sink, so
// a cancel message cancels exactly that call (CancelAsyncCall on its
// sink).
//
// The client side is Dial, whose Conn is a wbem.Connector; package client
// chooses it for wbem://, wbems://, ws:// and wss:// URLs. Its
// ExecMethodAsync queues the request and returns at once; the sink's
// callbacks run on one dispatcher goroutine per connection, in arrival
// order, so they are serialised per call (and across calls) and a sink
// may call the connection's synchronous operations. CancelAsyncCall ends
// the sink's calls locally with WBEM_E_CALL_CANCELLED before it returns
// (the server's own final status for them is then dropped) and asks the
// server to cancel them. A lost connection ends every pending call with
// WBEM_E_TRANSPORT_FAILURE. The async context of the scripting facade
// (wbem/swbem) never crosses the wire: the facade keeps it per call.
//
// # Performance
//
// Messages are encoded with append-based encoders (package cimjson) into
// pooled buffers and queued on a per-connection outbox; one writer
// goroutine takes everything queued and writes it as one WebSocket
// message, so under load many protocol messages share a frame. The
// reader decodes with a hand-written parser and hands exec requests to
// the engine inline, without a goroutine per message.
//
// # Backpressure
//
// The server bounds what it queues for a client (SendQueueBytes). While
// the queue is over its bound the server stops reading requests from the
// connection. An object or progress message that does not fit fails its
// call with WBEM_E_QUOTA_VIOLATION (the provider's context is
// cancelled); final statuses are always queued, and a queue that grows
// past four times the bound, or a write that the client does not accept
// within WriteTimeout, closes the connection. The client bounds its own
// send queue (callers wait) and the events queued for sinks (the reader
// waits, which in turn holds the server back).
package native

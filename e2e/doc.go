// Package e2e holds gowbem's end-to-end tests: each test starts a real
// wbemd (wbemd.New, Listen and Serve in-process on loopback ports, with a
// fresh data directory and password file) and drives it with real
// clients over the wire: sblim-wbemcli over CIM-XML, Debian's
// python3-winrm over WS-Management, and the Go client (package client,
// the swbem facade) over the native protocol, on TCP and on the Unix
// socket. Other tests feed it hostile input while well-behaved callers
// keep being served, and check authentication per protocol.
//
// The interoperability tests need /usr/bin/wbemcli (apt-get install
// sblim-wbemcli) and /usr/bin/python3 with the winrm module (apt-get
// install python3-winrm); they fail, rather than skip, without them.
//
// The package has no non-test code besides this comment.
package e2e

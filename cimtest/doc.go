// Package cimtest holds helpers for testing code built on gowbem, in the
// way net/http/httptest serves handlers: a RecordingSink that records
// every callback an object manager makes, an in-memory Repository with a
// ready-made test model (namespace root/test), fake method providers for
// every behaviour the sink contract has to survive (echo, blocking,
// parked, panicking, failing, double status, progress), and CheckFor to
// poll for a condition instead of sleeping.
//
// The package does not import the engine, so the engine's own tests can
// use it; the Repository satisfies engine.Repository structurally.
package cimtest

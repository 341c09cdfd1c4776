// Package cim is the CIM data model of gowbem: the intrinsic types and
// typed values (Value), qualifiers and their flavors, classes with
// properties, methods and parameters, instances, the WMI system
// properties, the __PARAMETERS in- and out-signatures of methods, the
// __ExtendedStatus error object, context objects (NamedValues), and object
// paths in WMI and DMTF form.
//
// The package knows nothing about storage, the engine or the network; all
// other gowbem packages build on it. Names (classes, properties, methods,
// parameters, qualifiers) compare case-insensitively everywhere and keep
// the spelling they were declared with.
package cim

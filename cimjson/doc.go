// Package cimjson is the JSON encoding of the CIM model: values,
// instances, classes, qualifier declarations, object paths, named-value
// sets and status errors. It keeps types exactly, so that a value decodes
// to the same cim.Value it was encoded from, and it stays readable: the
// out-parameters of a method call look like
//
//	{"class":"__PARAMETERS","properties":{
//	    "sOutArg":{"type":"string","value":"hello"},
//	    "ReturnValue":{"type":"uint32","value":5}}}
//
// The native protocol (package native) carries these forms, and the wbem
// command prints them with --json (pretty-print them with json.Indent).
//
// # Values
//
// A value is an object with its "type" (the MOF type name: boolean,
// uint8 … sint64, real32, real64, char16, string, datetime, reference,
// object), "array":true for arrays, and "value". An untyped NULL is
// written as a bare null; a typed NULL as {"type":"uint32","value":null};
// array elements may be null. The data of each type is:
//
//   - boolean: true or false.
//   - uint8, sint8, uint16, sint16, uint32, sint32: a JSON number.
//   - uint64, sint64: a decimal string ("18446744073709551615"), since
//     many JSON readers hold numbers as IEEE doubles; numbers are accepted
//     on input too.
//   - real32, real64: the shortest number that reads back to the same
//     value at that precision; NaN and the infinities as the strings
//     "NaN", "Infinity" and "-Infinity" (NaN payload bits are not kept).
//   - char16: a one-character string; a lone surrogate code unit
//     (U+D800–U+DFFF), which UTF-8 cannot hold, as its number.
//   - string: a JSON string. Text that is not valid UTF-8 is written with
//     U+FFFD for each bad byte.
//   - datetime: the CIM datetime string, checked on input.
//   - reference: the object path as a string in WMI form
//     (\\server\root\cimv2:Class.Key="v"); the DMTF URI form is accepted.
//   - object: an embedded instance in the form below.
//
// # Instances
//
// {"class":"Name","namespace":"root/cimv2","server":"host",
// "derivation":["Super","Root"],"properties":{...}} with one member per
// property in class order: {"type":..., "array":true, "key":true,
// "refClass":..., "embeddedClass":..., "value":...}. namespace, server
// and derivation are written when not empty; array, key, refClass and
// embeddedClass when they apply.
//
// Decoding builds the instance against the class a resolver returns
// (converting values to the declared types), or against a synthetic class
// made from the JSON: properties in the written order with their types,
// the Key qualifier on keys (so Instance.Path works), reference and
// embedded classes, and the derivation.
//
// On input, a property may also be written loosely as a bare JSON value
// ("sInArg":"hello", "Count":3); its type is inferred (string, boolean,
// sint64 or uint64 for integers, real64 for other numbers, arrays of
// one such type), or taken from the resolved class. The object manager
// converts in-parameters to their declared types, so loose values suit
// hand-written clients.
//
// # Classes, qualifiers, paths, errors
//
// A class is {"name", "superClass", "derivation", "namespace", "server",
// "qualifiers", "properties", "methods"}; properties, methods and
// parameters carry their declared type members ("type", "array",
// "arraySize", "refClass", "embeddedClass"; "returnType" and
// "returnRefClass"/"returnEmbeddedClass" for methods, "void" for none),
// their qualifiers, a property's "default" value, and "classOrigin" and
// "propagated". A qualifier is {"name", "type", "value", "flavor",
// "propagated"} with the flavor as MOF keywords (["DisableOverride",
// "Restricted", "Translatable", "ToInstance", "Amended"]). A qualifier
// declaration is {"name", "type", "array", "arraySize", "default",
// "scopes", "flavor"}. An object path is a string. A named-value set is
// an array of {"name", "type", "value"}. A status error is {"code",
// "name", "description", "operation", "parameterInfo", "providerName",
// "cimStatus"}.
//
// Unknown members are ignored on input, so that newer writers can add
// members without breaking older readers.
//
// # Performance
//
// The encoder appends to a caller's buffer and allocates nothing. The
// decoder is a hand-written pull parser (Reader) that does not allocate
// for structure; a Decoder interns recurring names and caches synthetic
// classes, so that decoding a stream of similar messages allocates little
// more than the values themselves.
package cimjson

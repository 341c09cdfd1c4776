package cimjson

import (
	"bytes"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to every decoder. None may panic, and
// whatever decodes must re-encode to a form that decodes to the same
// encoding again.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"type":"uint32","value":5}`))
	f.Add([]byte(`{"type":"sint64","array":true,"value":["-9223372036854775808",null,1]}`))
	f.Add([]byte(`{"type":"real64","value":"NaN"}`))
	f.Add([]byte(`{"type":"char16","value":55296}`))
	f.Add([]byte(`{"type":"reference","value":"\\\\srv\\root\\cimv2:CIM_A.Name=\"x\""}`))
	f.Add([]byte(`{"type":"datetime","value":"20240102030405.123456+060"}`))
	f.Add([]byte(`{"type":"object","value":{"class":"X","derivation":["B"],"properties":{"k":{"type":"string","key":true,"value":"v"}}}}`))
	f.Add([]byte(`{"class":"__PARAMETERS","properties":{"sOutArg":{"type":"string","value":"hello"},"ReturnValue":{"type":"uint32","value":5}}}`))
	f.Add([]byte(`{"class":"P","properties":{"a":"x","b":[1,2],"c":null,"d":1.5,"e":true}}`))
	f.Add(AppendClass(nil, testClass()))
	f.Add([]byte(`{"name":"Key","type":"boolean","default":{"type":"boolean","value":false},"scopes":["property","0x100"],"flavor":["DisableOverride"]}`))
	f.Add([]byte(`[{"name":"a","type":"string","value":"x"}]`))
	f.Add([]byte(`{"code":2147749890,"description":"\u00e9\ud83d\ude00","cimStatus":6}`))
	f.Add([]byte(`"root/cimv2:CIM_A=@"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		if v, err := d.Value(data); err == nil {
			b := AppendValue(nil, v)
			v2, err := d.Value(b)
			if err != nil {
				t.Fatalf("re-decoding value %s: %v", b, err)
			}
			if b2 := AppendValue(nil, v2); !bytes.Equal(b, b2) {
				t.Fatalf("value not stable:\n%s\n%s", b, b2)
			}
		}
		if i, err := d.Instance(data); err == nil {
			b := AppendInstance(nil, i)
			i2, err := d.Instance(b)
			if err != nil {
				t.Fatalf("re-decoding instance %s: %v", b, err)
			}
			if b2 := AppendInstance(nil, i2); !bytes.Equal(b, b2) {
				t.Fatalf("instance not stable:\n%s\n%s", b, b2)
			}
		}
		if c, err := DecodeClass(data); err == nil {
			b := AppendClass(nil, c)
			c2, err := DecodeClass(b)
			if err != nil {
				t.Fatalf("re-decoding class %s: %v", b, err)
			}
			if b2 := AppendClass(nil, c2); !bytes.Equal(b, b2) {
				t.Fatalf("class not stable:\n%s\n%s", b, b2)
			}
		}
		if q, err := DecodeQualifierDecl(data); err == nil {
			b := AppendQualifierDecl(nil, q)
			if _, err := DecodeQualifierDecl(b); err != nil {
				t.Fatalf("re-decoding qualifier %s: %v", b, err)
			}
		}
		if nv, err := DecodeNamedValues(data); err == nil {
			b := AppendNamedValues(nil, nv)
			if _, err := DecodeNamedValues(b); err != nil {
				t.Fatalf("re-decoding named values %s: %v", b, err)
			}
		}
		if e, err := DecodeError(data); err == nil && e != nil {
			b := AppendError(nil, e)
			e2, err := DecodeError(b)
			if err != nil || *e2 != *e {
				t.Fatalf("error not stable: %s: %v", b, err)
			}
		}
		if p, err := DecodePath(data); err == nil && p != nil {
			if _, err := DecodePath(AppendPath(nil, p)); err != nil {
				t.Fatalf("re-decoding path %s: %v", p, err)
			}
		}
	})
}

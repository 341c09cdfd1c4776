package testmeth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/providertest"
	"github.com/gowbem/gowbem/status"
)

func boolQ(name string) cim.Qualifier { return cim.Qualifier{Name: name, Value: cim.NewBool(true)} }

// testClass builds TestMeth as testmeth.mof declares it.
func testClass() *cim.Class {
	return &cim.Class{
		Name:       ClassName,
		Qualifiers: cim.Qualifiers{{Name: "Provider", Value: cim.NewString(ProviderName)}},
		Methods: []*cim.Method{{
			Name: "Echo", ReturnType: cim.Uint32,
			Qualifiers: cim.Qualifiers{boolQ("Static"), boolQ("Implemented")},
			Parameters: []*cim.Parameter{
				{Name: "sInArg", Type: cim.String, Qualifiers: cim.Qualifiers{boolQ("In")}},
				{Name: "sOutArg", Type: cim.String, Qualifiers: cim.Qualifiers{boolQ("Out")}},
			},
		}},
	}
}

func echoCall(t testing.TB, c *cim.Class, arg *string) *provider.Call {
	t.Helper()
	in := c.Method("Echo").NewInParams()
	if arg != nil {
		if err := in.Set("sInArg", cim.NewString(*arg)); err != nil {
			t.Fatal(err)
		}
	}
	return providertest.NewCall(Namespace, c, "Echo", nil, in)
}

func ptr(s string) *string { return &s }

func TestEcho(t *testing.T) {
	c := testClass()
	p := New()
	tests := []struct {
		name string
		arg  *string
		want uint32
	}{
		{"empty", ptr(""), 0},
		{"ascii", ptr("Hello, world"), 12},
		{"latin", ptr("héllo"), 5},
		{"cjk", ptr("日本語"), 3},
		{"astral needs a surrogate pair", ptr("a😀b"), 4},
		{"invalid utf-8 byte counts once", ptr("a\xffb"), 3},
		{"embedded NUL is a character", ptr("a\x00b"), 3},
		{"null gives 0", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, rec, err := providertest.Exec(context.Background(), p, echoCall(t, c, tt.arg), time.Second)
			if err != nil {
				t.Fatalf("Echo: %v", err)
			}
			if err := rec.Violations(); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.Objects()); n != 1 {
				t.Fatalf("indicated %d objects, want 1", n)
			}
			rv := out.Value("ReturnValue")
			if rv.Type() != cim.Uint32 || rv.IsNull() || uint32(rv.Uint64()) != tt.want {
				t.Errorf("ReturnValue = %v (%s), want %d", rv, rv.TypeName(), tt.want)
			}
			got := out.Value("sOutArg")
			if tt.arg == nil {
				if !got.IsNull() {
					t.Errorf("sOutArg = %v, want NULL", got)
				}
				return
			}
			if got.IsNull() || got.Text() != *tt.arg {
				t.Errorf("sOutArg = %v, want %q", got, *tt.arg)
			}
		})
	}
}

func TestEchoNoInParams(t *testing.T) {
	c := testClass()
	call := providertest.NewCall(Namespace, c, "Echo", nil, nil)
	out, _, err := providertest.Exec(context.Background(), New(), call, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rv := out.Value("ReturnValue"); rv.Uint64() != 0 || rv.IsNull() {
		t.Errorf("ReturnValue = %v, want 0", rv)
	}
}

func TestUnknownMethod(t *testing.T) {
	c := testClass()
	c.Methods = append(c.Methods, &cim.Method{Name: "Other", ReturnType: cim.Uint32})
	call := providertest.NewCall(Namespace, c, "Other", nil, nil)
	_, _, err := providertest.Exec(context.Background(), New(), call, time.Second)
	if status.Code(err) != status.WBEM_E_INVALID_METHOD {
		t.Fatalf("err = %v, want WBEM_E_INVALID_METHOD", err)
	}
}

func TestEchoTypeMismatch(t *testing.T) {
	// A class whose sInArg is not a string: the provider must refuse
	// rather than echo garbage.
	c := testClass()
	c.Methods[0].Parameters[0].Type = cim.Uint32
	in := c.Method("Echo").NewInParams()
	if err := in.Set("sInArg", cim.NewUint32(7)); err != nil {
		t.Fatal(err)
	}
	call := providertest.NewCall(Namespace, c, "Echo", nil, in)
	_, _, err := providertest.Exec(context.Background(), New(), call, time.Second)
	if status.Code(err) != status.WBEM_E_TYPE_MISMATCH {
		t.Fatalf("err = %v, want WBEM_E_TYPE_MISMATCH", err)
	}
}

// TestLayoutCacheFollowsClass calls Echo alternately through two
// independently built classes whose parameters sit at different
// positions: the cached indexes must follow the class.
func TestLayoutCacheFollowsClass(t *testing.T) {
	a := testClass()
	b := testClass()
	m := b.Methods[0]
	// b: an extra in-parameter before sInArg and an extra out-parameter
	// before sOutArg.
	m.Parameters = append([]*cim.Parameter{
		{Name: "Pad", Type: cim.Uint32, Qualifiers: cim.Qualifiers{boolQ("In")}},
		{Name: "PadOut", Type: cim.String, Qualifiers: cim.Qualifiers{boolQ("Out")}},
	}, m.Parameters...)
	p := New()
	for i := range 6 {
		c := a
		if i%2 == 1 {
			c = b
		}
		out, _, err := providertest.Exec(context.Background(), p, echoCall(t, c, ptr("abc")), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Value("sOutArg").Text(); got != "abc" {
			t.Fatalf("call %d: sOutArg = %q", i, got)
		}
		if c == b && !out.Value("PadOut").IsNull() {
			t.Fatalf("call %d: PadOut = %v, want NULL", i, out.Value("PadOut"))
		}
	}
}

func TestEchoConcurrent(t *testing.T) {
	c := testClass()
	p := New()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				s := strings.Repeat("x", g+i%5)
				out, _, err := providertest.Exec(context.Background(), p, echoCall(t, c, &s), time.Second)
				if err == nil && (out.Value("sOutArg").Text() != s || out.Value("ReturnValue").Uint64() != uint64(len(s))) {
					err = errors.New("wrong echo for " + s)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestUTF16LenMatchesUTF16Encode(t *testing.T) {
	for _, s := range []string{"", "a", "é", "€", "😀", "a\xffb", "\xed\xa0\x80", "mixed 😀 ü 日"} {
		if got, want := UTF16Len(s), len(utf16.Encode([]rune(s))); int(got) != want {
			t.Errorf("UTF16Len(%q) = %d, want %d", s, got, want)
		}
	}
}

func FuzzUTF16Len(f *testing.F) {
	f.Add("hello")
	f.Add("😀\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := UTF16Len(s), len(utf16.Encode([]rune(s))); int(got) != want {
			t.Fatalf("UTF16Len(%q) = %d, want %d", s, got, want)
		}
	})
}

func TestModule(t *testing.T) {
	if Module.Name != ProviderName || Module.Namespace != "root/default" || Module.New == nil {
		t.Fatalf("Module = %+v", Module)
	}
	mof := string(Module.MOF)
	for _, want := range []string{
		"Qualifier Static", "Qualifier Implemented", "Qualifier Provider",
		`instance of __Win32Provider as $P`, `Name         = "TestMethProvider"`,
		`HostingModel = "NetworkServiceHostOrSelfHost"`, "instance of __MethodProviderRegistration",
		`[Provider ("TestMethProvider")`, "[Static, Implemented",
		"uint32 Echo(", "string sInArg", "string sOutArg",
	} {
		if !strings.Contains(mof, want) {
			t.Errorf("module MOF lacks %q", want)
		}
	}
	pv, err := Module.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pv.(provider.MethodProvider); !ok {
		t.Fatalf("Module.New returned %T, not a MethodProvider", pv)
	}
	r := provider.NewRegistry()
	if err := Module.Register(r); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Lookup("testmethprovider"); !ok {
		t.Fatal("registered provider not found")
	}
}

// nopSink is the cheapest possible sink, so that the benchmark measures
// the provider.
type nopSink struct{}

func (nopSink) Indicate(...*cim.Instance) error       { return nil }
func (nopSink) Progress(uint16, uint16, string) error { return nil }
func (nopSink) SetStatus(error)                       {}

// BenchmarkEcho measures one Echo call without the engine; the figure
// bounds the method-call throughput the engine can reach with TestMeth.
func BenchmarkEcho(b *testing.B) {
	c := testClass()
	call := echoCall(b, c, ptr("The quick brown fox"))
	p := New()
	ctx := context.Background()
	var sink nopSink
	b.ReportAllocs()
	for b.Loop() {
		if err := p.ExecMethod(ctx, call, sink); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEchoParallel(b *testing.B) {
	c := testClass()
	call := echoCall(b, c, ptr("The quick brown fox"))
	p := New()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var sink nopSink
		for pb.Next() {
			if err := p.ExecMethod(ctx, call, sink); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

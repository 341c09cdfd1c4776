package tstwidget

import (
	"context"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/providers/internal/providertest"
	"github.com/gowbem/gowbem/status"
)

// TestMOFCompiles compiles the module's MOF into a memory repository,
// checks the model and the registration, and runs the provider against
// the compiled classes.
func TestMOFCompiles(t *testing.T) {
	r := providertest.Compile(t, &Module)
	providertest.CheckRegistration(t, r, &Module)
	c := providertest.Class(t, r, Namespace, ClassName)
	if !c.Qualifiers.Bool("Dynamic") || c.Qualifiers.Text("Provider") != ProviderName {
		t.Errorf("TST_Widget qualifiers: %v", c.Qualifiers)
	}
	if keys := c.Keys(); len(keys) != 1 || keys[0].Name != "Id" {
		t.Errorf("keys %v", keys)
	}
	// The provider owns the widgets: no static instances.
	if insts, err := r.Instances(Namespace, ClassName, true); err != nil || len(insts) != 0 {
		t.Errorf("static TST_Widget instances: %d, %v", len(insts), err)
	}
	impl := []string{"Implemented"}
	static := []string{"Implemented", "Static"}
	for name, want := range map[string]providertest.MethodSignature{
		"Resize":         {Qualifiers: impl, In: []string{"NewSize:uint32", "Force:boolean"}, Out: []string{"OldSize:uint32", "ReturnValue:uint32"}},
		"Create":         {Qualifiers: static, In: []string{"Id:string", "Size:uint32"}, Out: []string{"Widget:TST_Widget ref", "ReturnValue:uint32"}},
		"Delay":          {Qualifiers: static, In: []string{"Seconds:uint32"}, Out: []string{"Slept:uint32", "ReturnValue:uint32"}},
		"Fail":           {Qualifiers: impl, In: []string{"Code:uint32"}, Out: []string{"ReturnValue:uint32"}},
		"NotImplemented": {Qualifiers: impl, Out: []string{"ReturnValue:uint32"}},
	} {
		providertest.CheckMethod(t, c, name, want)
	}
	echo := []string{"S:string", "B:boolean", "U8:uint8", "S8:sint8", "U16:uint16", "S16:sint16",
		"U32:uint32", "S32:sint32", "U64:uint64", "S64:sint64", "R32:real32", "R64:real64",
		"C16:char16", "DT:datetime", "SA:string[]", "UA:uint32[]", "Peer:TST_Widget ref",
		"Peers:TST_Widget ref[]", "Emb:object"}
	providertest.CheckMethod(t, c, "EchoTypes", providertest.MethodSignature{
		Qualifiers: static, In: echo, Out: append(append([]string(nil), echo...), "ReturnValue:uint32"),
	})
	if emb := c.Method("EchoTypes").Parameter("Emb"); emb.EmbeddedClass != "TST_Settings" {
		t.Errorf("Emb embeds %q", emb.EmbeddedClass)
	}

	// The provider works with the compiled classes.
	p := New()
	defer p.Close()
	out, err := exec(t, p, call(t, c, "Resize", widgetPath("w2"), "NewSize", uint32(21)))
	if err != nil || out.Value("OldSize").Uint64() != 20 {
		t.Fatalf("Resize: %v %v", out, err)
	}
	settings := cim.NewInstance(providertest.Class(t, r, Namespace, "TST_Settings"))
	_ = settings.Set("Name", cim.NewString("s"))
	out, err = exec(t, p, call(t, c, "EchoTypes", nil, "Emb", cim.NewObject(settings), "Peers",
		cim.MustArray(cim.Reference, cim.NewReference(widgetPath("w1")))))
	if err != nil || !cim.Equal(out.Value("Emb"), cim.NewObject(settings)) || out.Value("Peers").Len() != 1 {
		t.Fatalf("EchoTypes: %v %v", out, err)
	}
	_, err = exec(t, p, call(t, c, "Fail", widgetPath("w1"), "Code", uint32(status.CIM_ERR_ALREADY_EXISTS)))
	wantErr(t, err, status.WBEM_E_ALREADY_EXISTS, status.CIM_ERR_ALREADY_EXISTS)
	inst, err := p.GetInstance(context.Background(), &provider.InstanceRequest{Namespace: Namespace, Class: c, Path: widgetPath("w2")})
	if err != nil || inst.Value("Size").Uint64() != 21 {
		t.Fatalf("GetInstance: %v %v", inst, err)
	}
	if got := inst.Value("__PATH").Text(); got != `root\test:TST_Widget.Id="w2"` {
		t.Errorf("__PATH %q", got)
	}
}

package testmeth_test

import (
	"context"
	"testing"

	"github.com/gowbem/gowbem/providers/internal/providertest"
	"github.com/gowbem/gowbem/providers/testmeth"
	"github.com/gowbem/gowbem/wbem"
)

// TestThroughEngine runs the seed's scenario end to end: the module's MOF
// compiled into a repository, the provider registered, and Echo called
// synchronously and asynchronously through the engine.
func TestThroughEngine(t *testing.T) {
	ctx := context.Background()
	e := providertest.Engine(t, &testmeth.Module)
	svc := providertest.Services(ctx, t, e, testmeth.Namespace)
	in := providertest.InParams(ctx, t, svc, "TestMeth", "Echo", "sInArg", "Hello, 世界")
	out, err := svc.ExecMethod(ctx, "TestMeth", "Echo", in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Value("sOutArg").Text() != "Hello, 世界" || out.Value("ReturnValue").Uint64() != 9 {
		t.Errorf("Echo: %s", out.MOF())
	}
	call, err := wbem.Start(ctx, svc, "TestMeth", "Echo", in, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err = call.Wait(ctx)
	if err != nil || out.Value("ReturnValue").Uint64() != 9 {
		t.Fatalf("ExecMethodAsync: %v, %v", out, err)
	}
}

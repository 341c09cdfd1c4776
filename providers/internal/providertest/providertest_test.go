package providertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gowbem/gowbem/provider"
)

func TestRecorderContract(t *testing.T) {
	r := NewRecorder()
	_ = r.Progress(1, 2, "half")
	r.SetStatus(nil)
	if r.Violations() != nil {
		t.Fatal(r.Violations())
	}
	_ = r.Indicate(nil)
	r.SetStatus(errors.New("again"))
	if r.Violations() == nil || r.Err() != nil {
		t.Fatalf("violations %v, err %v", r.Violations(), r.Err())
	}
	if got := r.ProgressReports(); len(got) != 1 || got[0].Message != "half" {
		t.Fatalf("progress %v", got)
	}
}

func TestExec(t *testing.T) {
	boom := errors.New("boom")
	fails := provider.MethodProviderFunc(func(context.Context, *provider.Call, provider.Sink) error { return boom })
	if _, _, err := Exec(context.Background(), fails, &provider.Call{}, time.Second); !errors.Is(err, boom) {
		t.Errorf("returned error: %v", err)
	}
	silent := provider.MethodProviderFunc(func(context.Context, *provider.Call, provider.Sink) error { return nil })
	if _, _, err := Exec(context.Background(), silent, &provider.Call{}, 10*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("no status: %v", err)
	}
}

func TestCheckFor(t *testing.T) {
	n := 0
	if err := CheckFor(time.Second, time.Millisecond, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	}); err != nil || n != 3 {
		t.Errorf("CheckFor: %v after %d", err, n)
	}
	if err := CheckFor(5*time.Millisecond, time.Millisecond, func() error { return errors.New("never") }); err == nil {
		t.Error("CheckFor did not time out")
	}
}

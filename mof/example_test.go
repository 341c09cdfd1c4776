package mof_test

import (
	"fmt"

	"github.com/gowbem/gowbem/mof"
)

func ExampleParse() {
	src := []byte(`
[Description("A widget" " of some kind")]
class Ex_Widget : Ex_Base {
	[Key] string Id;
	uint32 Sizes[] = {1, 2};
	Ex_Widget REF Peer;
	uint32 Resize([In] uint32 NewSize, [In(false), Out] uint32 OldSize);
};
instance of Ex_Widget as $w { Id = "w1"; Sizes = {0x10, -1}; };
`)
	f, err := mof.Parse("widget.mof", src, mof.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := f.Productions[0].(*mof.ClassDecl)
	fmt.Println(c.Name, "extends", c.Super, "-", c.Qualifiers[0].Value.Str)
	for _, feat := range c.Features {
		switch feat := feat.(type) {
		case *mof.PropertyDecl:
			fmt.Printf("  %s %s array=%v at %v\n", feat.Type.Type, feat.Name, feat.Type.IsArray, feat.Pos)
		case *mof.MethodDecl:
			fmt.Printf("  method %s with %d parameters\n", feat.Name, len(feat.Params))
		}
	}
	inst := f.Productions[1].(*mof.InstanceDecl)
	sizes := inst.Props[1].Value
	fmt.Println(inst.Class, "as $"+inst.Alias, sizes.Elems[0].Uint, sizes.Elems[1].Int)
	// Output:
	// Ex_Widget extends Ex_Base - A widget of some kind
	//   string Id array=false at widget.mof:4:2
	//   uint32 Sizes array=true at widget.mof:5:2
	//   ref Peer array=false at widget.mof:6:2
	//   method Resize with 2 parameters
	// Ex_Widget as $w 16 -1
}

func ExampleParse_errors() {
	_, err := mof.Parse("bad.mof", []byte("class A {\n  strin B;\n};\n[Description(\"open)]\n"), mof.Options{})
	for _, e := range err.(mof.ErrorList) {
		fmt.Println(e.File, e.Line, e.Col, e.Msg)
	}
	// Output:
	// bad.mof 2 3 unknown data type "strin" (a reference is written "ClassName REF name")
	// bad.mof 4 14 unterminated string literal
}

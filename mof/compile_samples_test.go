package mof

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
)

// sampleGroups are the groups of shared/mof-samples (see its README),
// each compiled into a fresh namespace in this order, plus the
// conformance model.
var sampleGroups = []struct {
	ns    string
	files []string
}{
	{"root/dsc", []string{"QuaLIFIErs.mof", "dscschema.mof", "dscinstance.mof"}},
	{"root/extreme", []string{"dmtftypes.mof", "dmtftypes_instancemaxvalue.mof", "dmtftypes_instanceminvalue.mof"}},
	{"root/mint", []string{"QuaLIFIErs.mof", "mintschema.mof", "mintinstance.mof"}},
	{"root/test", []string{"../conformance/tst_methods.mof"}},
}

// compileSamples compiles every sample group into a fresh bbolt
// repository and returns it with the result of each group.
func compileSamples(t *testing.T) (*repository.Repository, map[string]*Result) {
	t.Helper()
	mustExist(t, samplesDir)
	mustExist(t, conformanceMOF)
	r, err := repository.Open(t.TempDir(), repository.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	results := map[string]*Result{}
	for _, g := range sampleGroups {
		var paths []string
		for _, f := range g.files {
			p := filepath.Join(samplesDir, filepath.FromSlash(f))
			mustExist(t, p)
			paths = append(paths, p)
		}
		res, err := Compile(r, paths, CompileOptions{Namespace: g.ns})
		if err != nil {
			t.Fatalf("group %s: %v", g.ns, err)
		}
		results[g.ns] = res
	}
	return r, results
}

func warningTexts(ws []*Error) []string {
	var out []string
	for _, w := range ws {
		out = append(out, strings.TrimPrefix(w.Error(), samplesDir+"/"))
	}
	return out
}

func classNamesOf(res *Result) []string {
	var out []string
	for _, c := range res.Classes {
		_, name, _ := strings.Cut(c, ":")
		out = append(out, name)
	}
	return out
}

// TestCompileSamplesDSC: a Desired State Configuration document, where an
// aliased keyless instance is used as an embedded instance and a keyless
// document is reported as unstored with a warning.
func TestCompileSamplesDSC(t *testing.T) {
	r, results := compileSamples(t)
	res := results["root/dsc"]
	if len(res.Qualifiers) != schemaQualifierDecls {
		t.Errorf("%d qualifiers, want %d", len(res.Qualifiers), schemaQualifierDecls)
	}
	wantClasses := []string{"MSFT_BaseCredential", "MSFT_WindowsCredential", "MSFT_BaseResourceConfiguration",
		"MSFT_FileDirectoryConfiguration", "MSFT_ConfigurationDocument"}
	if got := classNamesOf(res); !slices.Equal(got, wantClasses) {
		t.Errorf("classes %q, want %q", got, wantClasses)
	}
	if want := []string{`root\dsc:MSFT_FileDirectoryConfiguration.DestinationPath="C:\\Test"`}; !slices.Equal(res.Instances, want) {
		t.Errorf("instances %q, want %q", res.Instances, want)
	}
	if got, want := warningTexts(res.Warnings), []string{
		"dscinstance.mof:16:1: instance of MSFT_ConfigurationDocument is not stored: its class has no key property",
	}; !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	if len(res.Unstored) != 2 {
		t.Fatalf("%d unstored, want 2", len(res.Unstored))
	}
	cred, doc := res.Unstored[0], res.Unstored[1]
	if cred.ClassName() != "MSFT_WindowsCredential" || doc.ClassName() != "MSFT_ConfigurationDocument" ||
		doc.Value("Version").Text() != "1.0.0" {
		t.Errorf("unstored %s %s", cred.MOF(), doc.MOF())
	}

	fd := mustInstance(t, r, "root/dsc", `MSFT_FileDirectoryConfiguration.DestinationPath="C:\\Test"`)
	if fd.Value("DestinationPath").Text() != `C:\Test` || fd.Value("ResourceId").Text() != "R1" {
		t.Errorf("instance %s", fd.MOF())
	}
	emb := fd.Value("credential")
	if emb.Type() != cim.Object || emb.Object() == nil {
		t.Fatalf("credential = %v (%s), want an embedded instance", emb, emb.TypeName())
	}
	c := emb.Object()
	if c.ClassName() != "MSFT_WindowsCredential" || c.Value("UserName").Text() != "AAA" ||
		c.Value("Password").Text() != "BBB" || c.Value("Domain").Text() != "CCC" {
		t.Errorf("credential = %s", c.MOF())
	}
	if !c.Equal(cred) {
		t.Errorf("embedded credential differs from the aliased instance:\n%s\n%s", c.MOF(), cred.MOF())
	}
	cls := mustClass(t, r, "root/dsc", "MSFT_FileDirectoryConfiguration")
	if p := cls.Property("credential"); p.Type != cim.Object || p.EmbeddedClass != "MSFT_WindowsCredential" {
		t.Errorf("credential property %s %q", p.Type, p.EmbeddedClass)
	}
	if p := cls.Property("ResourceId"); p == nil || p.ClassOrigin != "MSFT_BaseResourceConfiguration" || !p.Qualifiers.Bool("Required") {
		t.Errorf("ResourceId = %+v", p)
	}
	golden(t, filepath.Join("testdata", "golden", "compile", "dsc.golden"),
		cls.MOF(false)+"\n"+fd.MOF()+"\n"+doc.MOF())
}

// extremeValues are the values of TestClass_AllDMTFTypes in the max and
// min instance files, by property.
var extremeValues = map[string]map[string]cim.Value{
	"max": {
		"sbool":     cim.NewBool(true),
		"suint8":    cim.NewUint8(math.MaxUint8),
		"ssint8":    cim.NewSint8(math.MaxInt8),
		"suint16":   cim.NewUint16(math.MaxUint16),
		"ssint16":   cim.NewSint16(math.MaxInt16),
		"suint32":   cim.NewUint32(math.MaxUint32),
		"ssint32":   cim.NewSint32(math.MaxInt32),
		"suint64":   cim.NewUint64(math.MaxUint64),
		"ssint64":   cim.NewSint64(math.MaxInt64),
		"sreal32":   cim.NewReal32(math.MaxFloat32),
		"sreal64":   cim.NewReal64(math.MaxFloat64),
		"schar16":   cim.NewChar16(0xFFFF),
		"sstring":   cim.NewString("11111111111111111111112222222222222222222"),
		"sdatetime": mustDateTime("99991231115959.999999-720"),
	},
	"min": {
		"sbool":     cim.NewBool(false),
		"suint8":    cim.NewUint8(0),
		"ssint8":    cim.NewSint8(math.MinInt8),
		"suint16":   cim.NewUint16(0),
		"ssint16":   cim.NewSint16(math.MinInt16),
		"suint32":   cim.NewUint32(0),
		"ssint32":   cim.NewSint32(math.MinInt32),
		"suint64":   cim.NewUint64(0),
		"ssint64":   cim.NewSint64(math.MinInt64), // written 0x8000000000000000
		"sreal32":   cim.NewReal32(-math.MaxFloat32),
		"sreal64":   cim.NewReal64(-math.MaxFloat64),
		"schar16":   cim.NewChar16(0),
		"sstring":   cim.NewString(""),
		"sdatetime": mustDateTime("00010101000001.000000+000"),
	},
}

// extremeArrays are the array values: the min file's reals are the
// smallest normal numbers rather than the scalars' negative limits.
var extremeArrays = map[string]map[string]cim.Value{
	"max": {
		"a_real32": twice(cim.NewReal32(math.MaxFloat32)),
		"a_real64": twice(cim.NewReal64(math.MaxFloat64)),
	},
	"min": {
		"a_real32": twice(cim.NewReal32(0x1p-126)),  // 1.175494351E-38
		"a_real64": twice(cim.NewReal64(0x1p-1022)), // 2.2250738585072014E-308
	},
}

func mustDateTime(s string) cim.Value {
	v, err := cim.NewDateTime(s)
	if err != nil {
		panic(err)
	}
	return v
}

func twice(v cim.Value) cim.Value { return cim.MustArray(v.Type(), v, v) }

// TestCompileSamplesExtremeValues: every CIM type at its limits, checked
// exactly, then round-tripped through the bbolt store and through MOF text.
func TestCompileSamplesExtremeValues(t *testing.T) {
	r, results := compileSamples(t)
	res := results["root/extreme"]
	if got, want := classNamesOf(res), []string{"TestClass_PropertyValues", "TestClass_ForEmbedded", "TestClass_AllDMTFTypes"}; !slices.Equal(got, want) {
		t.Errorf("classes %q, want %q", got, want)
	}
	forEmbedded := `root\extreme:TestClass_ForEmbedded.embeddedStringValue="abcd"`
	if want := []string{forEmbedded, forEmbedded}; !slices.Equal(res.Instances, want) {
		t.Errorf("instances %q, want %q", res.Instances, want)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %v (every unstored instance is aliased)", res.Warnings)
	}
	// $minvalue and $complex of each file: the key v_Key is NULL.
	if len(res.Unstored) != 4 {
		t.Fatalf("%d unstored, want 4", len(res.Unstored))
	}
	files := map[string]*cim.Instance{"max": res.Unstored[0], "min": res.Unstored[2]}
	complexes := map[string]*cim.Instance{"max": res.Unstored[1], "min": res.Unstored[3]}
	x := mustInstance(t, r, "root/extreme", `TestClass_ForEmbedded.embeddedStringValue="abcd"`)

	for which, inst := range files {
		t.Run(which, func(t *testing.T) {
			for prop, want := range extremeValues[which] {
				got := inst.Value(prop)
				if !cim.Equal(got, want) || got.Type() != want.Type() {
					t.Errorf("%s = %v (%s), want %v (%s)", prop, got, got.TypeName(), want, want.TypeName())
				}
				arr := "a_" + strings.TrimPrefix(prop, "s")
				wantArr := extremeArrays[which][arr]
				if wantArr.Type() == cim.TypeNone {
					wantArr = twice(want)
				}
				if got := inst.Value(arr); !cim.Equal(got, wantArr) {
					t.Errorf("%s = %v, want %v", arr, got, wantArr)
				}
			}
			if got := inst.Value("ssint64").Int64(); got != math.MinInt64 && which == "min" {
				t.Errorf("0x8000000000000000 as sint64 = %d", got)
			}
			ref := inst.Value("embeddedReference")
			if ref.Type() != cim.Reference || ref.Ref().Namespace != "root/extreme" || ref.Ref().Class != "TestClass_ForEmbedded" {
				t.Errorf("embeddedReference = %v", ref)
			}
			for _, p := range []string{"embeddedinstance", "embeddedobject"} {
				if o := inst.Value(p).Object(); o == nil || !o.Equal(x) {
					t.Errorf("%s = %v, want $x", p, inst.Value(p))
				}
			}
			for _, p := range []string{"embeddedinstancearray", "embeddedobjectarray"} {
				v := inst.Value(p)
				if v.Len() != 2 || !v.Index(0).Object().Equal(x) || !v.Index(1).Object().Equal(x) {
					t.Errorf("%s = %v, want {$x, $x}", p, v)
				}
			}
			if o := complexes[which].Value("embeddedobject").Object(); o == nil || !o.Equal(inst) {
				t.Errorf("$complex.embeddedobject is not $minvalue")
			}

			// Round trip through the store: give the instance a key, put
			// it, read it back after reopening... here: read it back in a
			// new transaction of the same bbolt file.
			stored := inst.Clone()
			key := map[string]uint64{"max": math.MaxUint64, "min": 0}[which]
			if err := stored.Set("v_Key", cim.NewUint64(key)); err != nil {
				t.Fatal(err)
			}
			var path *cim.ObjectPath
			err := r.Update(func(tx *repository.Tx) error {
				var err error
				path, _, err = tx.PutInstance("root/extreme", stored)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			back, err := r.Instance("root/extreme", path)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Equal(stored) {
				t.Errorf("store round trip differs:\n%s", diffLines(stored.MOF(), back.MOF()))
			}

			// Round trip through MOF text: the instance as MOF compiles
			// back into an equal instance.
			r2 := repository.NewMemory()
			if _, err := Compile(r2, []string{filepath.Join(samplesDir, "dmtftypes.mof")}, CompileOptions{}); err != nil {
				t.Fatal(err)
			}
			res2, err := CompileSource(r2, "again.mof", []byte(inst.MOF()), CompileOptions{})
			if err != nil {
				t.Fatalf("MOF of the instance does not compile: %v\n%s", err, inst.MOF())
			}
			if len(res2.Unstored) != 1 {
				t.Fatalf("%d unstored", len(res2.Unstored))
			}
			again := res2.Unstored[0]
			for k := range again.Len() {
				p, v := again.At(k)
				if strings.EqualFold(p.Name, "embeddedReference") {
					continue // written with the namespace of the first repository
				}
				if w := inst.Value(p.Name); !cim.Equal(v, w) {
					t.Errorf("MOF round trip: %s = %v, want %v", p.Name, v, w)
				}
			}
			if got, want := again.Value("embeddedReference").Ref(), inst.Value("embeddedReference").Ref(); !got.Equal(want) {
				t.Errorf("MOF round trip: embeddedReference = %v, want %v", got, want)
			}
			golden(t, filepath.Join("testdata", "golden", "compile", "extreme_"+which+".golden"), inst.MOF())
		})
	}
	cls := mustClass(t, r, "root/extreme", "TestClass_AllDMTFTypes")
	golden(t, filepath.Join("testdata", "golden", "compile", "extreme_class.golden"), cls.MOF(false))
}

// TestCompileSamplesUTF16: a UTF-16LE instance file whose aliased
// keyless instances nest into one expression tree.
func TestCompileSamplesUTF16(t *testing.T) {
	_, results := compileSamples(t)
	res := results["root/mint"]
	files, err := ParseFile(filepath.Join(samplesDir, "mintschema.mof"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, c := range files[0].Classes() {
		declared = append(declared, c.Name)
	}
	if got := classNamesOf(res); !slices.Equal(got, declared) || len(got) != 40 {
		t.Errorf("%d classes %q, want the 40 of mintschema.mof", len(got), got)
	}
	if len(res.Instances) != 0 {
		t.Errorf("instances %q, want none (no class has a key)", res.Instances)
	}
	if got, want := warningTexts(res.Warnings), []string{
		"mintinstance.mof:54:1: instance of MSFT_ExpressionLambda is not stored: its class has no key property",
	}; !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	if len(res.Unstored) != 10 {
		t.Fatalf("%d unstored, want 10", len(res.Unstored))
	}
	lambda := res.Unstored[9]
	if lambda.ClassName() != "MSFT_ExpressionLambda" {
		t.Fatalf("last unstored is %s", lambda.ClassName())
	}
	params := lambda.Value("parameters")
	if params.Len() != 1 || params.Index(0).Object().Value("name").Text() != "x" {
		t.Errorf("parameters = %v", params)
	}
	body := lambda.Value("body").Object()
	cond := body.Value("condition").Object()
	if body.ClassName() != "MSFT_ExpressionIf" || cond.ClassName() != "MSFT_ExpressionCall" ||
		cond.Value("function").Object().Value("name").Text() != "-gt" {
		t.Fatalf("body = %s", body.MOF())
	}
	args := cond.Value("arguments")
	if args.Len() != 2 || args.Index(0).Object().Value("name").Text() != "x" ||
		args.Index(1).Object().ClassName() != "MSFT_ExpressionValue_sint32" || args.Index(1).Object().Value("value").Int64() != 3 {
		t.Errorf("arguments = %v", args)
	}
	if v := body.Value("falsecase").Object().Value("value"); v.Type() != cim.Sint32 || v.Int64() != 1 {
		t.Errorf("falsecase value = %v", v)
	}
	golden(t, filepath.Join("testdata", "golden", "compile", "mint_lambda.golden"), lambda.MOF())
}

// TestCompileConformanceModel: the method-call test model.
func TestCompileConformanceModel(t *testing.T) {
	r, results := compileSamples(t)
	res := results["root/test"]
	if len(res.Qualifiers) != 6 || len(res.Warnings) != 0 || len(res.Unstored) != 0 {
		t.Errorf("%d qualifiers, warnings %v, %d unstored", len(res.Qualifiers), res.Warnings, len(res.Unstored))
	}
	if got := classNamesOf(res); !slices.Equal(got, []string{"TST_Settings", "TST_Widget"}) {
		t.Errorf("classes %q", got)
	}
	if want := []string{`root\test:TST_Widget.Id="w1"`, `root\test:TST_Widget.Id="w2"`}; !slices.Equal(res.Instances, want) {
		t.Errorf("instances %q, want %q", res.Instances, want)
	}
	if w2 := mustInstance(t, r, "root/test", `TST_Widget.Id="w2"`); w2.Value("Size").Uint64() != 20 {
		t.Errorf("w2 = %s", w2.MOF())
	}
	w := mustClass(t, r, "root/test", "TST_Widget")
	var methods []string
	for _, m := range w.Methods {
		methods = append(methods, m.Name)
	}
	if want := []string{"Resize", "Create", "EchoTypes", "Delay", "Fail", "NotImplemented"}; !slices.Equal(methods, want) {
		t.Errorf("methods %q, want %q", methods, want)
	}
	resize := w.Method("Resize")
	if resize.IsStatic() || len(resize.Parameters) != 3 {
		t.Errorf("Resize: static %v, %d parameters", resize.IsStatic(), len(resize.Parameters))
	}
	if p := resize.Parameter("OldSize"); p.IsIn() || !p.IsOut() {
		t.Errorf("OldSize: in %v out %v, want out only ([In (false), Out])", p.IsIn(), p.IsOut())
	}
	if p := resize.Parameter("NewSize"); !p.IsIn() || p.IsOut() {
		t.Errorf("NewSize: in %v out %v", p.IsIn(), p.IsOut())
	}
	echo := w.Method("EchoTypes")
	if !echo.IsStatic() || len(echo.Parameters) != 19 {
		t.Fatalf("EchoTypes: static %v, %d parameters", echo.IsStatic(), len(echo.Parameters))
	}
	for _, p := range echo.Parameters {
		if !p.IsIn() || !p.IsOut() {
			t.Errorf("EchoTypes.%s: in %v out %v", p.Name, p.IsIn(), p.IsOut())
		}
	}
	if p := echo.Parameter("Emb"); p.Type != cim.Object || p.EmbeddedClass != "TST_Settings" {
		t.Errorf("Emb: %s %q", p.Type, p.EmbeddedClass)
	}
	if p := echo.Parameter("Peers"); p.Type != cim.Reference || !p.IsArray || p.RefClass != "TST_Widget" {
		t.Errorf("Peers: %s", p.TypeName())
	}
	if p := echo.Parameter("C16"); p.Type != cim.Char16 {
		t.Errorf("C16: %s", p.TypeName())
	}
	if p := w.Method("Create").Parameter("Widget"); p.Type != cim.Reference || p.RefClass != "TST_Widget" || p.IsIn() {
		t.Errorf("Create.Widget: %s in %v", p.TypeName(), p.IsIn())
	}
	golden(t, filepath.Join("testdata", "golden", "compile", "tst_widget.golden"), w.MOF(false))
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// cliQualifiers are the qualifier declarations of the small MOF files the
// tests compile.
const cliQualifiers = `Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);
Qualifier Description : string = null, Scope(any), Flavor(Translatable);
`

const cliThingMOF = cliQualifiers + `[Description("A thing of the CLI tests")]
class CLI_Thing {
    [Key] string Id;
    uint32 Size;
};
instance of CLI_Thing { Id = "a"; Size = 1; };
instance of CLI_Thing { Id = "b"; Size = 2; };
`

// TestMofcomp checks that mofcomp prints what it added, reports warnings
// on stderr, and fails with file:line:col on stderr and a non-zero exit
// status without changing anything.
func TestMofcomp(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	good := writeFile(t, dir, "good.mof", cliThingMOF)
	r := mustRun(t, "--repository", repo, "mofcomp", "-n", "root/cli", good)
	want := `qualifier root/cli:Key
qualifier root/cli:Description
class root/cli:CLI_Thing
instance root\cli:CLI_Thing.Id="a"
instance root\cli:CLI_Thing.Id="b"
compiled 2 qualifiers, 1 classes, 2 instances
`
	if r.stdout != want || r.stderr != "" {
		t.Errorf("mofcomp: %s\nwant stdout:\n%s", r, want)
	}
	if _, err := os.Stat(filepath.Join(repo, "repository.db")); err != nil {
		t.Errorf("repository file: %v", err)
	}

	// A warning goes to stderr; the compilation succeeds.
	note := writeFile(t, dir, "note.mof", "class CLI_Note { string Text; };\ninstance of CLI_Note { Text = \"no key\"; };\n")
	r = mustRun(t, "--repository", repo, "mofcomp", "-n", "root/cli", note)
	if !strings.Contains(r.stdout, "class root/cli:CLI_Note\n") ||
		r.stderr != "warning: "+note+":2:1: instance of CLI_Note is not stored: its class has no key property\n" {
		t.Errorf("mofcomp with a warning: %s", r)
	}

	before := mustRun(t, "--repository", repo, "classes", "--deep", "-n", "root/cli").stdout
	beforeInst := mustRun(t, "--repository", repo, "instances", "CLI_Thing", "-n", "root/cli").stdout

	// All or nothing: the error is in the last file; nothing of the
	// first one is written either.
	first := writeFile(t, dir, "first.mof", "class CLI_New : CLI_Thing { string More; };\ninstance of CLI_Thing { Id = \"c\"; };\n")
	bad := writeFile(t, dir, "bad.mof", "instance of CLI_Thing {\n    Id = \"d\";\n    Size = \"big\";\n};\n")
	r = runWBEM(t, nil, "--repository", repo, "mofcomp", "-n", "root/cli", first, bad)
	if r.code == 0 || r.stdout != "" {
		t.Errorf("mofcomp with an error: %s", r)
	}
	wantErr := "wbem: " + bad + ":3:12: "
	if !strings.HasPrefix(r.stderr, wantErr) || !strings.Contains(r.stderr, "CLI_Thing.Size: a string value cannot be uint32") {
		t.Errorf("stderr %q, want it to start with %q", r.stderr, wantErr)
	}
	if after := mustRun(t, "--repository", repo, "classes", "--deep", "-n", "root/cli").stdout; after != before {
		t.Errorf("classes changed by a failed mofcomp:\n%s\nwas\n%s", after, before)
	}
	if after := mustRun(t, "--repository", repo, "instances", "CLI_Thing", "-n", "root/cli").stdout; after != beforeInst {
		t.Errorf("instances changed by a failed mofcomp:\n%s\nwas\n%s", after, beforeInst)
	}

	// A syntax error and a missing file.
	syntax := writeFile(t, dir, "syntax.mof", "class CLI_X {\n  strin A;\n};\n")
	r = runWBEM(t, nil, "--repository", repo, "mofcomp", syntax)
	if r.code == 0 || !strings.HasPrefix(r.stderr, "wbem: "+syntax+":2:3: unknown data type \"strin\"") {
		t.Errorf("syntax error: %s", r)
	}
	missing := filepath.Join(dir, "missing.mof")
	r = runWBEM(t, nil, "--repository", repo, "mofcomp", missing)
	if r.code == 0 || !strings.Contains(r.stderr, missing) || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("missing file: %s", r)
	}
	if r := runWBEM(t, nil, "--repository", repo, "mofcomp"); r.code == 0 {
		t.Errorf("mofcomp without files: %s", r)
	}
}

// TestClasses lists the classes of the CIM Schema.
func TestClasses(t *testing.T) {
	repo := cimSchemaRepository(t)
	top := lines(mustRun(t, "--repository", repo, "classes").stdout)
	if !slices.Contains(top, "CIM_ManagedElement") || !slices.Contains(top, "CIM_Dependency") ||
		!slices.Contains(top, "__SystemClass") || slices.Contains(top, "CIM_ComputerSystem") {
		t.Errorf("top-level classes: %d %q", len(top), top)
	}

	deep := lines(mustRun(t, "--repository", repo, "classes", "--deep").stdout)
	const systemClasses, schemaClasses = 11, 1418
	if len(deep) != schemaClasses+systemClasses {
		t.Errorf("classes --deep: %d lines, want %d", len(deep), schemaClasses+systemClasses)
	}
	if !slices.IsSortedFunc(deep, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }) {
		t.Error("classes --deep is not sorted case-insensitively")
	}

	sub := lines(mustRun(t, "--repository", repo, "classes", "CIM_System").stdout)
	if !slices.Contains(sub, "CIM_ComputerSystem") || slices.Contains(sub, "CIM_UnitaryComputerSystem") {
		t.Errorf("classes CIM_System (direct subclasses): %q", sub)
	}
	me := lines(mustRun(t, "--repository", repo, "classes", "--deep", "CIM_ManagedElement").stdout)
	if len(me) != 810 || !slices.Contains(me, "CIM_UnitaryComputerSystem") || slices.Contains(me, "CIM_ManagedElement") {
		t.Errorf("classes --deep CIM_ManagedElement: %d", len(me))
	}

	var jobs []string
	r := mustRun(t, "--repository", repo, "--json", "classes", "--deep", "CIM_Job")
	if err := json.Unmarshal([]byte(r.stdout), &jobs); err != nil || !slices.Equal(jobs, []string{"CIM_ConcreteJob", "CIM_PrintJob"}) {
		t.Errorf("--json classes --deep CIM_Job: %v %s", err, r)
	}

	r = runWBEM(t, nil, "--repository", repo, "classes", "CIM_Nowhere")
	if r.code != 2 || !strings.Contains(r.stderr, "WBEM_E_NOT_FOUND") || !strings.Contains(r.stderr, "CIM_Nowhere") {
		t.Errorf("classes of an unknown class: %s", r)
	}
	r = runWBEM(t, nil, "--repository", repo, "classes", "-n", "root/nowhere")
	if r.code != 2 || !strings.Contains(r.stderr, "WBEM_E_INVALID_NAMESPACE") {
		t.Errorf("classes of an unknown namespace: %s", r)
	}
}

// TestGetClass shows a class with its inherited members and their origin.
func TestGetClass(t *testing.T) {
	repo := cimSchemaRepository(t)
	out := mustRun(t, "--repository", repo, "get-class", "CIM_ComputerSystem").stdout
	for _, want := range []string{
		"class CIM_ComputerSystem : CIM_System\n{\n",
		"\tstring InstanceID; // from CIM_ManagedElement\n",
		"\tstring Caption; // from CIM_ManagedElement\n",
		"\tuint16 OperationalStatus[]; // from CIM_ManagedSystemElement\n",
		"\tstring CreationClassName; // from CIM_System\n",
		"\tuint16 EnabledState = 5; // from CIM_EnabledLogicalElement\n",
		"\tstring NameFormat;\n",
		"\tuint32 RequestStateChange(\n\t\t[In,",
		"\t\t[In(FALSE), Out, Description(",
		"] CIM_ConcreteJob REF Job,\n",
		"); // from CIM_EnabledLogicalElement\n",
		"\tuint32 SetPowerState(\n",
		"};\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("get-class CIM_ComputerSystem lacks %q", want)
		}
	}
	if strings.Contains(out, "string NameFormat; // from") || strings.Contains(out, "[Abstract") {
		t.Error("get-class CIM_ComputerSystem: a local property marked inherited, or Abstract inherited")
	}
	if n := strings.Count(out, "// from "); n != 28 { // 27 properties and RequestStateChange
		t.Errorf("%d inherited members, want 28", n)
	}

	var cls struct {
		Name       string   `json:"name"`
		SuperClass string   `json:"superClass"`
		Derivation []string `json:"derivation"`
		Properties []struct {
			Name string `json:"name"`
		} `json:"properties"`
		Methods []struct {
			Name string `json:"name"`
		} `json:"methods"`
	}
	r := mustRun(t, "--repository", repo, "--json", "get-class", "CIM_ConcreteJob")
	if err := json.Unmarshal([]byte(r.stdout), &cls); err != nil {
		t.Fatalf("--json get-class: %v\n%s", err, r.stdout)
	}
	var methods []string
	for _, m := range cls.Methods {
		methods = append(methods, m.Name)
	}
	if cls.Name != "CIM_ConcreteJob" || cls.SuperClass != "CIM_Job" || len(cls.Derivation) != 4 || len(cls.Properties) != 38 ||
		!slices.Equal(methods, []string{"KillJob", "RequestStateChange", "GetError", "GetErrors"}) {
		t.Errorf("--json get-class CIM_ConcreteJob: %s %s %q, %d properties, methods %q",
			cls.Name, cls.SuperClass, cls.Derivation, len(cls.Properties), methods)
	}

	r = runWBEM(t, nil, "--repository", repo, "get-class", "CIM_Nowhere")
	if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, "wbem: WBEM_E_NOT_FOUND") {
		t.Errorf("get-class of an unknown class: %s", r)
	}
}

// TestInstances lists instances by path, and reads the repository from
// WBEM_REPOSITORY when --repository is not given.
func TestInstances(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "repo")
	mof := writeFile(t, dir, "things.mof", cliThingMOF)

	// Compile through the environment variable.
	r := runWBEM(t, []string{"WBEM_REPOSITORY=" + repo}, "mofcomp", "-n", "root/cli", mof)
	if r.code != 0 {
		t.Fatalf("mofcomp with WBEM_REPOSITORY: %s", r)
	}
	if _, err := os.Stat(filepath.Join(repo, "repository.db")); err != nil {
		t.Fatalf("WBEM_REPOSITORY not used: %v", err)
	}
	want := "CLI_Thing.Id=\"a\"\nCLI_Thing.Id=\"b\"\n"
	if r := runWBEM(t, []string{"WBEM_REPOSITORY=" + repo}, "instances", "CLI_Thing", "-n", "root/cli"); r.code != 0 || r.stdout != want {
		t.Errorf("instances with WBEM_REPOSITORY: %s", r)
	}
	if r := mustRun(t, "--repository", repo, "instances", "CLI_Thing", "--namespace", "root/cli"); r.stdout != want {
		t.Errorf("instances with --repository: %s", r)
	}
	// --repository wins over the environment.
	other := filepath.Join(dir, "other")
	if r := runWBEM(t, []string{"WBEM_REPOSITORY=" + other}, "--repository", repo, "instances", "CLI_Thing", "-n", "root/cli"); r.code != 0 || r.stdout != want {
		t.Errorf("--repository over WBEM_REPOSITORY: %s", r)
	}

	var paths []string
	r = mustRun(t, "--repository", repo, "--json", "instances", "CLI_Thing", "-n", "root/cli")
	if err := json.Unmarshal([]byte(r.stdout), &paths); err != nil || !slices.Equal(paths, lines(want)) {
		t.Errorf("--json instances: %v %s", err, r)
	}
	if r := runWBEM(t, nil, "--repository", repo, "instances", "CLI_Ghost", "-n", "root/cli"); r.code != 2 || !strings.Contains(r.stderr, "WBEM_E_INVALID_CLASS") {
		t.Errorf("instances of an unknown class: %s", r)
	}
}

// TestMethodAndInvoke shows method signatures and calls the built-in
// providers: TestMeth.Echo, TST_Widget.Delay with progress, and
// Win32_Process.Create.
func TestMethodAndInvoke(t *testing.T) {
	repo := filepath.Join(t.TempDir(), "repo")

	r := mustRun(t, "--repository", repo, "method", "TestMeth", "Echo", "-n", "root/default")
	want := `uint32 Echo (static: true)
in:
  string     sInArg [ID 0]
out:
  string     sOutArg [ID 1]
  uint32     ReturnValue
`
	if r.stdout != want {
		t.Errorf("method TestMeth Echo: %s\nwant:\n%s", r, want)
	}

	r = mustRun(t, "--repository", repo, "invoke", "TestMeth", "Echo", "sInArg=hello", "-n", "root/default")
	for _, want := range []string{"instance of __PARAMETERS\n", "\tReturnValue = 5;\n", "\tsOutArg = \"hello\";\n", "status: 0x00000000 "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("invoke TestMeth Echo: stdout lacks %q: %s", want, r)
		}
	}
	var js struct {
		Out struct {
			Class      string `json:"class"`
			Properties map[string]struct {
				Value any `json:"value"`
			} `json:"properties"`
		} `json:"out"`
		Status struct {
			Code int `json:"code"`
		} `json:"status"`
	}
	r = mustRun(t, "--repository", repo, "--json", "invoke", "TestMeth", "Echo", "sInArg=hello", "-n", "root/default")
	if err := json.Unmarshal([]byte(r.stdout), &js); err != nil || js.Out.Class != "__PARAMETERS" ||
		js.Out.Properties["ReturnValue"].Value != float64(5) || js.Out.Properties["sOutArg"].Value != "hello" || js.Status.Code != 0 {
		t.Errorf("--json invoke: %v %s", err, r)
	}

	// A failed call: exit status 2, the status on stdout and the error on
	// stderr.
	r = runWBEM(t, nil, "--repository", repo, "invoke", "TestMeth", "Nope", "-n", "root/default")
	if r.code != 2 || !strings.Contains(r.stderr, "WBEM_E_INVALID_METHOD") {
		t.Errorf("invoke of an unknown method: %s", r)
	}
	r = runWBEM(t, nil, "--repository", repo, "invoke", "TestMeth", "Echo", "Nope=1", "-n", "root/default")
	if r.code != 2 || !strings.Contains(r.stderr, "WBEM_E_INVALID_METHOD_PARAMETERS") || !strings.Contains(r.stderr, "Nope") {
		t.Errorf("invoke with an unknown parameter: %s", r)
	}
	r = runWBEM(t, nil, "--repository", repo, "invoke", `TST_Widget.Id="w1"`, "Fail", "Code=6", "-n", "root/test")
	if r.code != 2 || !strings.Contains(r.stdout, "status: 0x80041002 ") || !strings.Contains(r.stderr, "WBEM_E_NOT_FOUND") {
		t.Errorf("invoke Fail Code=6: %s", r)
	}

	// Asynchronous calls with status: Delay reports progress once a
	// second while it waits (not at all for one second).
	r = mustRun(t, "--repository", repo, "invoke", "--async", "--status", "TST_Widget", "Delay", "Seconds=1", "-n", "root/test")
	if !strings.Contains(r.stdout, "\tSlept = 1;\n") || !strings.Contains(r.stdout, "\tReturnValue = 0;\n") {
		t.Errorf("invoke --async --status Delay Seconds=1: %s", r)
	}
	r = mustRun(t, "--repository", repo, "invoke", "--async", "--status", "TST_Widget", "Delay", "Seconds=2", "-n", "root/test")
	if !strings.Contains(r.stdout, "\tSlept = 2;\n") {
		t.Errorf("invoke --async --status Delay Seconds=2: %s", r)
	}
	if want := "[###############...............] 1/2 slept 1 of 2 s\n"; r.stderr != want {
		t.Errorf("progress on stderr %q, want %q", r.stderr, want)
	}
	r = mustRun(t, "--repository", repo, "invoke", "--async", "TST_Widget", "Delay", "Seconds=1", "-n", "root/test")
	if !strings.Contains(r.stdout, "\tSlept = 1;\n") || r.stderr != "" {
		t.Errorf("invoke --async without --status: %s", r)
	}

	// Win32_Process.Create starts a real process.
	r = mustRun(t, "--repository", repo, "invoke", "Win32_Process", "Create", "CommandLine=sleep 1")
	m := regexp.MustCompile(`\tProcessId = (\d+);\n`).FindStringSubmatch(r.stdout)
	if m == nil || !strings.Contains(r.stdout, "\tReturnValue = 0;\n") {
		t.Fatalf("invoke Win32_Process Create: %s", r)
	}
	if pid, err := strconv.Atoi(m[1]); err != nil || pid <= 0 {
		t.Errorf("ProcessId %s", m[1])
	}
}

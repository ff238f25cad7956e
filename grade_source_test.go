package main

// What the grader makes of a submission before any of it runs (README,
// "For instructors"):
//
//   - Intake. A submission is the directory of the three student files,
//     each a regular file of at most maxStudentFile bytes. A file that is
//     missing, a symbolic link, not a regular file or too big is not taken:
//     its methods are graded as stubs (their parts lose their points, with
//     the reason); the other two are graded. Anything else in the directory
//     is ignored and named in the report.
//   - Rules of the source, checked on the syntax tree: package main, no
//     build constraints or //go: directives, only the imports of
//     allowedImports, no init function, and no package-level variable whose
//     initialiser calls a function. So no student code runs before the
//     grader's TestMain, and without os, syscall, unsafe or reflect it
//     cannot reach a file descriptor, a process or the grader's memory on
//     its own. A file that breaks a rule is not taken, with the rule.
//   - Compilation with the provided non-test files only (go/types), so that
//     names of the tests (`other`, the reference copy's ref…) are undefined.
//     A function that does not compile is replaced by a stub (a lab method
//     by its handout stub): it costs its own part, with the compiler's
//     message, and the rest is graded. An import left unused by that
//     becomes a blank import.
//   - The provided code a submission may call: the matrices and products
//     and the stubs' panic (studentUsableFiles), not the command, the
//     files, the downloads or the training loop, which could write files or
//     end the process. A function that uses any other provided name is
//     refused like one that does not compile.

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/importer"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// maxStudentFile is the largest student file taken: the solution's files
// are under 20 KB.
const maxStudentFile = 256 << 10

// allowedImports are the packages a student file may import, and why the
// lab needs each. Everything else is refused: os, os/exec, syscall,
// unsafe, reflect, runtime…, plugin, net/…, io (files), time, sync, C.
var allowedImports = map[string]string{
	"math":      "the lab's exp, log, max",
	"math/bits": "float bit tricks",
	"fmt":       "the provided String methods and panic messages (fmt has no file of its own to write)",
	"errors":    "error values",
	"strings":   "names and messages",
	"strconv":   "names and messages",
	"sort":      "sorting",
	"slices":    "slice helpers",
	"cmp":       "comparisons",
}

// studentUsableFiles are the provided files whose declarations student
// code may use: the matrices and products, sharing work over cores, the
// generator the layers are drawn with, and the stubs' panic; and the files
// of the machinery whose buffers the MLP keeps (its fields name their
// types): the evaluation in chunks and the batch gradient in parts.
var studentUsableFiles = []string{"tensor.go", "gemm.go", "gemm_amd64.go", "gemm_other.go", "parallel.go", "rng.go", "notimplemented.go",
	"evaluate.go", "batches.go"}

// graderOutputs are files the grader itself writes into a submission
// directory (make grade-class): not the student's, not reported.
var graderOutputs = []string{"grade.txt"}

// preparedSubmission is a submission as it is graded.
type preparedSubmission struct {
	files       map[string][]byte // student file → the source compiled
	fileIssue   map[string]string // student file → why it was not taken
	methodIssue map[string]string // lab method → why it is graded as a stub
	ignored     []string          // other entries of the submission directory
}

// labMethodAssignments maps each graded method to its assignment (the
// first part that grades it).
func labMethodAssignments() map[string]string {
	out := map[string]string{}
	for _, p := range labParts {
		for _, m := range p.methods {
			if _, ok := out[m]; !ok {
				out[m] = p.assignment
			}
		}
	}
	return out
}

// declName is "Type.Method" for a method, the name for a function.
func declName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fn.Name.Name
	}
	return fn.Name.Name
}

// intake reads the student files of sub: the files taken, why the others
// were not, and the other entries of the directory.
func intake(sub string) (files map[string][]byte, issues map[string]string, ignored []string, err error) {
	fi, err := os.Stat(sub)
	if err != nil || !fi.IsDir() {
		return nil, nil, nil, fmt.Errorf("the submission %s is not a directory: give the directory that holds %s", sub, strings.Join(studentFiles, ", "))
	}
	files, issues = map[string][]byte{}, map[string]string{}
	for _, f := range studentFiles {
		path := filepath.Join(sub, f)
		fi, err := os.Lstat(path)
		switch {
		case err != nil:
			issues[f] = f + " is missing"
			continue
		case fi.Mode()&os.ModeSymlink != 0:
			issues[f] = f + " is a symbolic link: a submission's files must be regular files"
			continue
		case !fi.Mode().IsRegular():
			issues[f] = f + " is not a regular file"
			continue
		case fi.Size() > maxStudentFile:
			issues[f] = fmt.Sprintf("%s has %d bytes: more than the %d a student file may have", f, fi.Size(), maxStudentFile)
			continue
		}
		data, err := readStudentFile(path, maxStudentFile)
		if err != nil {
			issues[f] = f + ": " + err.Error()
			continue
		}
		files[f] = data
	}
	entries, err := os.ReadDir(sub)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, e := range entries {
		if !slices.Contains(studentFiles, e.Name()) && !slices.Contains(graderOutputs, e.Name()) {
			ignored = append(ignored, e.Name())
		}
	}
	return files, issues, ignored, nil
}

// readStudentFile reads path, refusing anything but a regular file of at most
// limit bytes (opened without following a link swapped in after Lstat).
func readStudentFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("is not a regular file")
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("has more than %d bytes", limit)
	}
	return data, nil
}

// checkSourceRules returns why a parsed student file breaks the rules
// above, or "".
func checkSourceRules(fset *token.FileSet, name string, f *ast.File) string {
	at := func(p token.Pos) string { return fmt.Sprintf("%s:%d", name, fset.Position(p).Line) }
	if f.Name.Name != "main" {
		return fmt.Sprintf("%s: package %s; the lab is package main", at(f.Name.Pos()), f.Name.Name)
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:") || strings.HasPrefix(c.Text, "// +build") {
				return fmt.Sprintf("%s: %q: a student file may have no build constraints or //go: directives", at(c.Pos()), c.Text)
			}
			// A line directive moves the compiler's positions into another
			// file: its errors would be blamed on the grader's files.
			if strings.HasPrefix(c.Text, "//line ") || strings.HasPrefix(c.Text, "/*line ") {
				return fmt.Sprintf("%s: %q: a student file may have no //line directives", at(c.Pos()), c.Text)
			}
		}
	}
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if _, ok := allowedImports[path]; !ok {
			var ok []string
			for p := range allowedImports {
				ok = append(ok, p)
			}
			sort.Strings(ok)
			return fmt.Sprintf("%s: imports %q; a student file may import only %s", at(imp.Pos()), path, strings.Join(ok, ", "))
		}
		if imp.Name != nil && imp.Name.Name == "." {
			return fmt.Sprintf("%s: a dot import of %q; import it by name", at(imp.Pos()), path)
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name == "init" {
				return fmt.Sprintf("%s: func init: a student file may not declare init functions (code that runs before any test)", at(d.Pos()))
			}
		case *ast.GenDecl:
			if d.Tok != token.VAR {
				continue
			}
			for _, s := range d.Specs {
				for _, v := range s.(*ast.ValueSpec).Values {
					if call := firstCall(v); call != nil {
						return fmt.Sprintf("%s: a package-level variable initialised by a call (%s): it would run before any test; compute it in the method", at(call.Pos()), exprString(fset, call.Fun))
					}
					if risk := firstRisk(v); risk != nil {
						return fmt.Sprintf("%s: a package-level variable initialised by %s, which can panic or block before any test; compute it in the method", at(risk.Pos()), exprString(fset, risk))
					}
				}
			}
		}
	}
	return ""
}

// basicTypes are the conversions a package-level initialiser may make.
var basicTypes = map[string]bool{"int": true, "int8": true, "int16": true, "int32": true, "int64": true, "uint": true, "uint8": true,
	"uint16": true, "uint32": true, "uint64": true, "float32": true, "float64": true, "string": true, "byte": true, "rune": true, "bool": true}

// firstCall returns the first call in e other than a conversion to a basic
// type, or nil. Function literals are not entered: defining one runs
// nothing.
func firstCall(e ast.Expr) *ast.CallExpr {
	var found *ast.CallExpr
	ast.Inspect(e, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && basicTypes[id.Name] {
				return true
			}
			found = n
			return false
		}
		return true
	})
	return found
}

// firstRisk returns the first expression in e that can panic or block
// when evaluated (an index, a slice, a type assertion, a dereference, a
// receive, a division or shift of anything but literals), or nil.
func firstRisk(e ast.Expr) ast.Expr {
	var found ast.Expr
	lit := func(x ast.Expr) bool { _, ok := ast.Unparen(x).(*ast.BasicLit); return ok }
	ast.Inspect(e, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.IndexExpr, *ast.IndexListExpr, *ast.SliceExpr, *ast.TypeAssertExpr, *ast.StarExpr:
			found = n.(ast.Expr)
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				found = n
			}
		case *ast.BinaryExpr:
			switch n.Op {
			case token.QUO, token.REM, token.SHL, token.SHR:
				if !lit(n.X) || !lit(n.Y) {
					found = n
				}
			}
		}
		return found == nil
	})
	return found
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, e); err != nil {
		return "a function"
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// Stubs

// stubBodies returns src with the bodies of the named functions replaced
// by a panic, keeping the line count (so later lines keep their numbers):
// a lab method's handout stub, or for another function a panic that names
// the reason.
func stubBodies(src []byte, fset *token.FileSet, f *ast.File, stubs map[string]string, assignments map[string]string) []byte {
	type edit struct {
		from, to int
		text     string
	}
	var edits []edit
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		why, ok := stubs[declName(fn)]
		if !ok {
			continue
		}
		from, to := fset.Position(fn.Body.Lbrace).Offset, fset.Position(fn.Body.Rbrace).Offset+1
		var call string
		if a, lab := assignments[declName(fn)]; lab {
			call = fmt.Sprintf("panic(notImplemented(%q, %q))", declName(fn), a)
		} else {
			call = fmt.Sprintf("panic(%q)", "the grader replaced "+declName(fn)+": "+why)
		}
		text := "{ " + call + strings.Repeat("\n", bytes.Count(src[from:to], []byte("\n"))) + "}"
		edits = append(edits, edit{from, to, text})
	}
	sort.Slice(edits, func(i, j int) bool { return edits[i].from > edits[j].from })
	out := append([]byte{}, src...)
	for _, e := range edits {
		out = append(append(append([]byte{}, out[:e.from]...), e.text...), out[e.to:]...)
	}
	return out
}

// stubbedGraderFile is the grader's own student file name with every lab
// method stubbed: what a file that was not taken is graded as.
func stubbedGraderFile(grader, name string, why string) ([]byte, error) {
	src, err := os.ReadFile(filepath.Join(grader, name))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	assignments := labMethodAssignments()
	stubs := map[string]string{}
	for m := range assignments {
		stubs[m] = why
	}
	return stubBodies(src, fset, f, stubs, assignments), nil
}

// funcLineRE matches the first line of a top-level function.
var funcLineRE = regexp.MustCompile(`^func (\((\w+ )?\*?(\w+)\) )?(\w+)\(.*\{\s*$`)

// stubSyntaxError replaces, in a file that does not parse, the body of
// the top-level function around line (1-based) by a stub, found by its
// gofmt layout: a first line "func …{" and a last line "}". It returns
// the function's name, or "" when line is not inside one.
func stubSyntaxError(src []byte, line int, assignments map[string]string) ([]byte, string) {
	lines := strings.Split(string(src), "\n")
	start := -1
	for i := line - 1; i >= 0 && i < len(lines); i-- {
		if funcLineRE.MatchString(lines[i]) {
			start = i
			break
		}
		if i < line-1 && lines[i] == "}" {
			return nil, ""
		}
	}
	if start < 0 {
		return nil, ""
	}
	end := -1
	for i := start + 1; i < len(lines); i++ {
		if lines[i] == "}" {
			end = i
			break
		}
		if i > start && funcLineRE.MatchString(lines[i]) {
			return nil, ""
		}
	}
	if end < 0 || end < line-1 {
		return nil, ""
	}
	m := funcLineRE.FindStringSubmatch(lines[start])
	name := m[4]
	if m[3] != "" {
		name = m[3] + "." + m[4]
	}
	call := fmt.Sprintf("panic(%q)", "the grader replaced "+name+": it does not compile")
	if a, ok := assignments[name]; ok {
		call = fmt.Sprintf("panic(notImplemented(%q, %q))", name, a)
	}
	for i := start + 1; i < end; i++ {
		lines[i] = ""
	}
	lines[start+1] = "\t" + call
	return []byte(strings.Join(lines, "\n")), name
}

// ---------------------------------------------------------------------------
// Compilation

// exportFiles maps import paths to their compiled export data (go list
// -export), shared by every type check of the process.
var exportFiles = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

// lookupExport opens the export data of an import path for the gc
// importer, asking the go command (and its build cache) once per path.
func lookupExport(path string) (io.ReadCloser, error) {
	exportFiles.Lock()
	defer exportFiles.Unlock()
	if p, ok := exportFiles.m[path]; ok && p != "" {
		return os.Open(p)
	}
	cmd := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}", path)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GO111MODULE=off")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -export %s: %v", path, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if ip, file, ok := strings.Cut(sc.Text(), "\t"); ok && file != "" {
			exportFiles.m[ip] = file
		}
	}
	if p := exportFiles.m[path]; p != "" {
		return os.Open(p)
	}
	return nil, fmt.Errorf("no export data for %s", path)
}

// compileError is one compiler error in a student file.
type compileError struct {
	file string
	line int
	msg  string
}

func (e compileError) String() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// typeCheck compiles the student files with the grader's provided non-test
// files (those of this platform) and returns the errors and, when there
// are none, the uses of every identifier.
func typeCheck(grader string, provided map[string][]byte, students map[string][]byte) (errs []types.Error, fset *token.FileSet, files map[string]*ast.File, info *types.Info, err error) {
	fset = token.NewFileSet()
	files = map[string]*ast.File{}
	var all []*ast.File
	names := make([]string, 0, len(provided))
	for n := range provided {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, err := parser.ParseFile(fset, filepath.Join(grader, n), provided[n], parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("the grader's %s: %v", n, err)
		}
		all = append(all, f)
	}
	for _, n := range studentFiles {
		f, err := parser.ParseFile(fset, n, students[n], parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		files[n] = f
		all = append(all, f)
	}
	info = &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{
		Importer: importer.ForCompiler(fset, "gc", lookupExport),
		Error: func(e error) {
			if te, ok := e.(types.Error); ok && len(errs) < 100 {
				errs = append(errs, te)
			}
		},
	}
	conf.Check("backprop", fset, all, info)
	return errs, fset, files, info, nil
}

// providedSources reads the grader's non-test Go files that build on this
// platform, but the student files.
func providedSources(grader string) (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(grader, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, p := range paths {
		n := filepath.Base(p)
		if strings.HasSuffix(n, "_test.go") || slices.Contains(studentFiles, n) {
			continue
		}
		if ok, err := build.Default.MatchFile(grader, n); err != nil || !ok {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out[n] = data
	}
	return out, nil
}

// testOnlyNames returns the top-level names the grader's test files
// declare (a submission that uses one is told so).
func testOnlyNames(grader string) map[string]string {
	out := map[string]string{}
	paths, _ := filepath.Glob(filepath.Join(grader, "*_test.go"))
	for _, p := range paths {
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					out[d.Name.Name] = filepath.Base(p)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						out[s.Name.Name] = filepath.Base(p)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							out[n.Name] = filepath.Base(p)
						}
					}
				}
			}
		}
	}
	return out
}

// prepare takes the submission in sub through intake, the rules of the
// source and compilation, and returns what is graded. An error means the
// grader could not do its work (not a fault of the submission).
func prepare(grader, sub string) (*preparedSubmission, error) {
	files, fileIssue, ignored, err := intake(sub)
	if err != nil {
		return nil, err
	}
	ps := &preparedSubmission{files: map[string][]byte{}, fileIssue: fileIssue, methodIssue: map[string]string{}, ignored: ignored}
	assignments := labMethodAssignments()
	notTaken := func(name, why string) error {
		ps.fileIssue[name] = why
		data, err := stubbedGraderFile(grader, name, why)
		if err != nil {
			return err
		}
		ps.files[name] = data
		return nil
	}
	for _, name := range studentFiles {
		src, ok := files[name]
		if !ok {
			if err := notTaken(name, fileIssue[name]); err != nil {
				return nil, err
			}
			continue
		}
		// Syntax errors: the function around each is stubbed (found by
		// its layout), a few times over; past that the file is not taken.
		for tries := 0; ; tries++ {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
			if err == nil {
				if why := checkSourceRules(fset, name, f); why != "" {
					if err := notTaken(name, why); err != nil {
						return nil, err
					}
				} else {
					ps.files[name] = src
				}
				break
			}
			msg, line := err.Error(), 0
			if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
				line = el[0].Pos.Line
				msg = fmt.Sprintf("%s:%d: %s", name, line, el[0].Msg)
			}
			fixed, fn := stubSyntaxError(src, line, assignments)
			if fn == "" || tries >= 10 {
				if err := notTaken(name, "does not parse: "+msg); err != nil {
					return nil, err
				}
				break
			}
			if _, done := ps.methodIssue[fn]; !done {
				ps.methodIssue[fn] = "does not compile: " + msg
			}
			src = fixed
		}
	}

	provided, err := providedSources(grader)
	if err != nil {
		return nil, err
	}
	testNames := testOnlyNames(grader)
	for round := 0; ; round++ {
		if round > 16 {
			// Every round stubs or refuses something; the handout's stubs
			// themselves failing the checks would loop here for ever.
			return nil, fmt.Errorf("the grader's checks refuse even the handout's stubs (a provided file missing from studentUsableFiles?): a bug of the grader, not of the submission")
		}
		errs, fset, parsed, info, err := typeCheck(grader, provided, ps.files)
		if err != nil {
			return nil, fmt.Errorf("compiling the submission: %v", err)
		}
		stubs := map[string]map[string]string{} // file → function → why
		blank := map[string]map[string]bool{}   // file → imports to make blank
		refuse := map[string]string{}
		for _, e := range errs {
			if strings.Contains(e.Msg, "could not import") {
				return nil, fmt.Errorf("compiling the submission: %v (the grader asks the go command for the standard library's export data)", e)
			}
		}
		for _, e := range errs {
			pos := fset.Position(e.Pos)
			file := filepath.Base(pos.Filename)
			if !slices.Contains(studentFiles, file) || pos.Filename != file {
				continue
			}
			msg, _, _ := strings.Cut(e.Msg, "\n")
			ce := compileError{file, pos.Line, strings.TrimSpace(msg)}
			if name, ok := strings.CutPrefix(e.Msg, "undefined: "); ok && testNames[name] != "" {
				ce.msg += " (only the grader's tests declare it: a submission may use the provided code, not the tests)"
			}
			if m := regexp.MustCompile(`^"([^"]+)" imported( as \w+)? and not used`).FindStringSubmatch(e.Msg); m != nil {
				if blank[file] == nil {
					blank[file] = map[string]bool{}
				}
				blank[file][m[1]] = true
				continue
			}
			if fn := enclosingDecl(parsed[file], e.Pos); fn != nil {
				if stubs[file] == nil {
					stubs[file] = map[string]string{}
				}
				if _, ok := stubs[file][declName(fn)]; !ok {
					stubs[file][declName(fn)] = "does not compile: " + ce.String()
				}
				continue
			}
			if _, ok := refuse[file]; !ok {
				refuse[file] = "does not compile: " + ce.String()
			}
		}
		if len(errs) == 0 {
			// The provided names student code may use.
			for _, name := range studentFiles {
				f := parsed[name]
				ast.Inspect(f, func(n ast.Node) bool {
					id, ok := n.(*ast.Ident)
					if !ok {
						return true
					}
					obj := info.Uses[id]
					if obj == nil || obj.Pkg() == nil || obj.Pkg().Path() != "backprop" || !obj.Pos().IsValid() {
						return true
					}
					decl := fset.Position(obj.Pos()).Filename
					if base := filepath.Base(decl); decl == base && slices.Contains(studentFiles, base) || slices.Contains(studentUsableFiles, base) {
						return true
					}
					pos := fset.Position(id.Pos())
					why := fmt.Sprintf("%s:%d: uses %s of %s, which a submission may not call (the lab needs only %s)", name, pos.Line, id.Name,
						filepath.Base(decl), strings.Join(studentUsableFiles, ", "))
					if fn := enclosingDecl(f, id.Pos()); fn != nil {
						if stubs[name] == nil {
							stubs[name] = map[string]string{}
						}
						if _, ok := stubs[name][declName(fn)]; !ok {
							stubs[name][declName(fn)] = why
						}
					} else if _, ok := refuse[name]; !ok {
						refuse[name] = why
					}
					return true
				})
			}
			if len(stubs) == 0 && len(refuse) == 0 {
				renameClashes(grader, ps, fset, parsed, info)
				return ps, nil
			}
		}
		if len(stubs) == 0 && len(blank) == 0 && len(refuse) == 0 {
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			return nil, fmt.Errorf("the grader's own files do not compile with this submission: %s", strings.Join(msgs, "; "))
		}
		if round >= 8 {
			for _, name := range studentFiles {
				if stubs[name] != nil || blank[name] != nil {
					refuse[name] = "does not compile, even with its broken functions replaced by stubs"
				}
			}
		}
		for name, why := range refuse {
			if err := notTaken(name, why); err != nil {
				return nil, err
			}
			delete(stubs, name)
			delete(blank, name)
		}
		for name, fns := range stubs {
			for fn, why := range fns {
				if _, lab := assignments[fn]; lab {
					if _, done := ps.methodIssue[fn]; !done {
						ps.methodIssue[fn] = why
					}
				}
			}
			src := ps.files[name]
			fs := token.NewFileSet()
			f, err := parser.ParseFile(fs, name, src, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			ps.files[name] = stubBodies(src, fs, f, fns, assignments)
		}
		for name, paths := range blank {
			ps.files[name] = blankImports(ps.files[name], paths)
		}
	}
}

// enclosingDecl returns the function declaration of f around pos.
func enclosingDecl(f *ast.File, pos token.Pos) *ast.FuncDecl {
	if f == nil {
		return nil
	}
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil && fn.Pos() <= pos && pos < fn.End() {
			return fn
		}
	}
	return nil
}

// blankImports makes the imports of paths in src blank (`_ "math"`): a
// stub left them unused.
func blankImports(src []byte, paths map[string]bool) []byte {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ImportsOnly)
	if err != nil {
		return src
	}
	out := append([]byte{}, src...)
	for i := len(f.Imports) - 1; i >= 0; i-- {
		imp := f.Imports[i]
		p, _ := strconv.Unquote(imp.Path.Value)
		if !paths[p] {
			continue
		}
		from, to := fset.Position(imp.Pos()).Offset, fset.Position(imp.End()).Offset
		out = append(append(append([]byte{}, out[:from]...), "_ "+imp.Path.Value...), out[to:]...)
	}
	return out
}

// renameClashes renames the student files' package-level names that the
// graded test files declare too (a helper called mean, say): compiled with
// the tests, they would clash. Every identifier that denotes such a name
// becomes student_<name>; line numbers stay.
func renameClashes(grader string, ps *preparedSubmission, fset *token.FileSet, parsed map[string]*ast.File, info *types.Info) {
	testNames := map[string]bool{"TestMain": true, "graderVerdict": true}
	for name, file := range testOnlyNames(grader) {
		if slices.Contains(gradedTestFiles, file) {
			testNames[name] = true
		}
	}
	clash := map[types.Object]bool{}
	for id, obj := range info.Defs {
		if obj == nil || !testNames[id.Name] || obj.Parent() == nil || obj.Parent() != obj.Pkg().Scope() {
			continue
		}
		if slices.Contains(studentFiles, fset.Position(id.Pos()).Filename) {
			clash[obj] = true
		}
	}
	if len(clash) == 0 {
		return
	}
	type edit struct {
		at   int
		name string
	}
	edits := map[string][]edit{}
	for _, m := range []map[*ast.Ident]types.Object{info.Defs, info.Uses} {
		for id, obj := range m {
			if clash[obj] {
				pos := fset.Position(id.Pos())
				edits[pos.Filename] = append(edits[pos.Filename], edit{pos.Offset, id.Name})
			}
		}
	}
	for file, es := range edits {
		src, ok := ps.files[file]
		if !ok {
			continue
		}
		sort.Slice(es, func(i, j int) bool { return es[i].at > es[j].at })
		out := append([]byte{}, src...)
		for _, e := range es {
			out = append(append(append([]byte{}, out[:e.at]...), "student_"+e.name...), out[e.at+len(e.name):]...)
		}
		ps.files[file] = out
	}
}

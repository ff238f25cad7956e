package main

// How the grader builds and runs a prepared submission (README, "For
// instructors"):
//
//   - The test binary is built in a temporary directory from the provided
//     files, the prepared student files, only the test files the graded
//     tests need (gradedTestFiles) and a TestMain of the grader's own
//     (graderMainSrc). The sources are removed as soon as it is built.
//   - Each method's graded tests (and subtests) run in a process of their
//     own (a method earns its share only when they all pass, so they may
//     share a fate), in a process group of its own, with an empty scratch
//     directory as its working directory (only the fuzz seeds in it),
//     never the grader's.
//   - The verdict does not come from the test's output: TestMain reads a
//     random nonce from file descriptor 3 and closes it before any test
//     runs, and after the test writes "nonce test pass|fail" on file
//     descriptor 4, from what catchPanic recorded. Student code does not
//     know the nonce, so whatever it prints or writes, it cannot forge a
//     pass; a process that ends before TestMain reports has failed. The
//     output only explains a failure.
//   - The methods run in parallel over the cores; once one of a method's
//     tests runs out of time (the process's limit), its other tests are
//     not run. A test's process group is killed when it ends or
//     runs out of time, and every temporary file is removed on every path,
//     Ctrl-C and SIGTERM included.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// gradedTestFiles are the test files the graded tests are built from
// (reference_test.go only in the solution repository).
var gradedTestFiles = []string{"layers_test.go", "mlp_test.go", "helpers_test.go", "parts_test.go", "needlab_test.go", "reference_test.go"}

// graderMainFile is the grader's TestMain, written into the build only.
const graderMainFile = "zz_grader_main_test.go"

const graderMainSrc = `package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMain of a graded test binary (grade_run_test.go): the nonce and the
// tests' names come on descriptor 3, closed before any test runs; a
// verdict per test goes out on descriptor 4.
func TestMain(m *testing.M) {
	if os.Getenv("BACKPROP_GRADE_CHANNEL") != "3,4" {
		os.Exit(m.Run())
	}
	in, out := os.NewFile(3, "grade-in"), os.NewFile(4, "grade-out")
	line, err := bufio.NewReader(in).ReadString('\n')
	in.Close()
	fields := strings.Fields(line)
	if err != nil || len(fields) < 2 {
		fmt.Fprintln(os.Stderr, "the grader's channel:", err)
		os.Exit(3)
	}
	code := m.Run()
	w := bufio.NewWriter(out)
	for _, unit := range fields[1:] {
		fmt.Fprintf(w, "%s %s %s\n", fields[0], unit, graderVerdict(unit))
	}
	w.Flush()
	out.Close()
	os.Exit(code)
}

func graderVerdict(unit string) string {
	testRecord.Lock()
	defer testRecord.Unlock()
	if strings.HasPrefix(unit, "Fuzz") {
		n := 0
		for name, o := range testRecord.m {
			if strings.HasPrefix(name, unit+"/") {
				if o.failed || o.skipped {
					return "fail"
				}
				n++
			}
		}
		if n == 0 {
			return "fail"
		}
		return "pass"
	}
	if o, ok := testRecord.m[unit]; !ok || o.failed || o.skipped {
		return "fail"
	}
	return "pass"
}
`

// cleanups are what an interrupted grader removes and kills on its way
// out: temporary directories and running test processes.
var cleanups = struct {
	sync.Mutex
	dirs   map[string]bool
	cmds   map[*exec.Cmd]bool
	active bool
}{dirs: map[string]bool{}, cmds: map[*exec.Cmd]bool{}}

// watchSignals makes SIGINT and SIGTERM remove the grader's temporary
// files and kill its test processes before the process ends (130, 143).
func watchSignals() {
	cleanups.Lock()
	defer cleanups.Unlock()
	if cleanups.active {
		return
	}
	cleanups.active = true
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		cleanups.Lock()
		for cmd := range cleanups.cmds {
			killGroup(cmd)
		}
		for dir := range cleanups.dirs {
			os.RemoveAll(dir)
		}
		fmt.Fprintf(os.Stderr, "grading stopped by %v: temporary files removed\n", sig)
		if sig == syscall.SIGTERM {
			os.Exit(143)
		}
		os.Exit(130)
	}()
}

// tempDir makes a temporary directory that an interrupt removes; remove
// removes it.
func tempDir(pattern string) (dir string, remove func(), err error) {
	dir, err = os.MkdirTemp("", pattern)
	if err != nil {
		return "", nil, err
	}
	cleanups.Lock()
	cleanups.dirs[dir] = true
	cleanups.Unlock()
	return dir, func() {
		os.RemoveAll(dir)
		cleanups.Lock()
		delete(cleanups.dirs, dir)
		cleanups.Unlock()
	}, nil
}

// buildGraded builds the graded test binary of a prepared submission into
// bin. A build failure is returned as its compiler output (buildErr).
func buildGraded(grader string, ps *preparedSubmission, bin string) (buildErr string, err error) {
	src, remove, err := tempDir("backprop-grade-src-")
	if err != nil {
		return "", err
	}
	defer remove()
	entries, err := os.ReadDir(grader)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		name := e.Name()
		take := e.Type().IsRegular() && (name == "go.mod" || name == "go.sum" ||
			(strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, ".s")) && !slices.Contains(studentFiles, name) ||
			slices.Contains(gradedTestFiles, name))
		if !take {
			continue
		}
		data, err := os.ReadFile(filepath.Join(grader, name))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(src, name), data, 0o600); err != nil {
			return "", err
		}
	}
	for name, data := range ps.files {
		if err := os.WriteFile(filepath.Join(src, name), data, 0o600); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(src, graderMainFile), []byte(graderMainSrc), 0o600); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// No debug information (linking is faster; panics still name their
	// file and line) and no optimisation of this package (a fifth less
	// compile time, the most of a class's grading; the graded tests are
	// small, and Go's arithmetic does not depend on it on amd64).
	build := exec.CommandContext(ctx, "go", "test", "-c", "-gcflags=-N -l", "-ldflags=-s -w", "-o", bin, ".")
	build.Dir = src
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		msg := strings.TrimSpace(strings.ReplaceAll(string(out), src+string(filepath.Separator), ""))
		if msg == "" {
			msg = err.Error()
		}
		return msg, nil
	}
	return "", nil
}

// scratchDir makes the working directory of the graded tests: empty but
// for the fuzz seeds of the graded fuzz tests.
func scratchDir(grader string) (string, func(), error) {
	dir, remove, err := tempDir("backprop-grade-run-")
	if err != nil {
		return "", nil, err
	}
	for _, p := range labParts {
		for _, name := range p.tests {
			if !strings.HasPrefix(name, "Fuzz") {
				continue
			}
			seeds := filepath.Join("testdata", "fuzz", name)
			if _, err := os.Stat(filepath.Join(grader, seeds)); err == nil {
				if err := copyDir(filepath.Join(grader, seeds), filepath.Join(dir, seeds), nil); err != nil {
					remove()
					return "", nil, err
				}
			}
		}
	}
	return dir, remove, nil
}

// unitPattern is the -test.run pattern of "TestX" or "TestX/Sub".
func unitPattern(unit string) string {
	parts := strings.Split(unit, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// runUnit runs one graded test (or subtest) of bin in dir.
func runUnit(bin, dir, unit string, timeout time.Duration, env []string) testResult {
	return runChain(bin, dir, []string{unit}, timeout, env)[0]
}

// runChain runs graded tests (or subtests) of bin in dir, in one process
// (they are one method's: a method earns its share only when all pass, so
// they may share a fate), and returns their results in order: passed only
// on TestMain's verdict. Once the process runs out of time, the tests that
// had not run are "not run".
func runChain(bin, dir string, units []string, timeout time.Duration, env []string) []testResult {
	results := make([]testResult, len(units))
	fail := func(msg string) []testResult {
		for i, u := range units {
			results[i] = testResult{name: u, failure: msg}
		}
		return results
	}
	var nb [16]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return fail("the grader could not draw a nonce: " + err.Error())
	}
	nonce := hex.EncodeToString(nb[:])
	inR, inW, err := os.Pipe()
	if err != nil {
		return fail("the grader could not make a pipe: " + err.Error())
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return fail("the grader could not make a pipe: " + err.Error())
	}
	defer outR.Close()
	var patterns []string
	for _, u := range units {
		patterns = append(patterns, unitPattern(u))
	}
	cmd := exec.Command(bin, "-test.run", strings.Join(patterns, "|"), "-test.v", "-test.count", "1", "-test.timeout", timeout.String())
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), env...), "BACKPROP_GRADE_CHANNEL=3,4")
	cmd.ExtraFiles = []*os.File{inR, outW}
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 2 * time.Second
	ownProcessGroup(cmd)
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		return fail("the grader could not start the test: " + err.Error())
	}
	cleanups.Lock()
	cleanups.cmds[cmd] = true
	cleanups.Unlock()
	fmt.Fprintf(inW, "%s %s\n", nonce, strings.Join(units, " "))
	inW.Close()
	verdicts := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(outR, 1<<16))
		verdicts <- string(b)
	}()
	var killed bool
	var mu sync.Mutex
	timer := time.AfterFunc(timeout+10*time.Second, func() {
		mu.Lock()
		killed = true
		mu.Unlock()
		killGroup(cmd)
	})
	err = cmd.Wait()
	timer.Stop()
	killGroup(cmd) // anything the tests left behind
	cleanups.Lock()
	delete(cleanups.cmds, cmd)
	cleanups.Unlock()
	var v string
	select {
	case v = <-verdicts:
	case <-time.After(2 * time.Second):
	}
	passed := map[string]bool{}
	for _, line := range strings.Split(v, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == nonce && f[2] == "pass" {
			passed[f[1]] = true
		}
	}
	mu.Lock()
	wasKilled := killed
	mu.Unlock()

	// The output, cut into the sections of the top-level tests, explains
	// the failures; the last section is the one running when time ran out.
	sections := map[string]string{}
	last := ""
	for _, line := range strings.SplitAfter(out.String(), "\n") {
		if name, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "=== RUN   "); ok && !strings.Contains(name, "/") {
			last = name
		}
		if last != "" {
			sections[last] += line
		}
	}
	stopped := ""
	for i, u := range units {
		top, _, _ := strings.Cut(u, "/")
		section, ran := sections[top]
		switch {
		case passed[u]:
			results[i] = testResult{name: u, passed: true}
		case ran:
			results[i] = judge(u, section, err, wasKilled && top == last, timeout)
			if results[i].passed {
				results[i].passed = false
				results[i].failure = "the test process ended without the grader's verdict"
				if err != nil {
					results[i].failure += " (" + err.Error() + ")"
				}
			}
			if results[i].timedOut {
				stopped = "not run: " + u + " of the same method ran out of time"
			}
		default:
			results[i] = testResult{name: u, failure: "the test did not run"}
		}
	}
	for i := range results {
		if !results[i].passed && stopped != "" && results[i].failure == "the test did not run" {
			results[i].failure = stopped
		}
	}
	return results
}

// gradeParallel is how many graded tests run at once: the cores.
var gradeParallel = runtime.NumCPU()

// runUnits runs every method's tests (each method's in order, the methods
// in parallel) and the notes, and returns each unit's result. A method
// with an issue (it does not compile, its file was not taken) runs none.
func runUnits(bin, dir string, ps *preparedSubmission, timeout time.Duration, progress io.Writer) map[string]testResult {
	type chain struct {
		units []string
		issue string
	}
	var chains []chain
	for _, p := range labParts {
		for _, m := range p.graded {
			chains = append(chains, chain{m.tests, ps.methodIssue[m.name]})
		}
		for _, n := range p.notes {
			chains = append(chains, chain{units: []string{n}})
		}
	}
	results := map[string]testResult{}
	var mu sync.Mutex
	work := make(chan chain)
	var wg sync.WaitGroup
	workers := gradeParallel
	if workers < 1 {
		workers = 1
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				var res []testResult
				if c.issue != "" {
					for _, u := range c.units {
						res = append(res, testResult{name: u, failure: c.issue})
					}
				} else {
					res = runChain(bin, dir, c.units, timeout, nil)
				}
				for _, r := range res {
					u := r.name
					mu.Lock()
					results[u] = r
					if progress != nil {
						verdict := "ok"
						if !r.passed {
							verdict = "FAIL: " + r.failure
						}
						fmt.Fprintf(progress, "%-55s %s\n", u, verdict)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, c := range chains {
		work <- c
	}
	close(work)
	wg.Wait()
	return results
}

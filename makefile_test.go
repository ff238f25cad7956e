package main

// The Makefile passes every path it is given (OUT, SUBMISSION, MNIST_DIR,
// …) to the program as typed: no shell evaluates it, no make expands it.

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// makeRules returns the Makefile's rules: each target with its recipe.
func makeRules(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	target := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	head := regexp.MustCompile(`^([a-z][a-z-]*):`)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "\t") && target != "":
			rules[target] += line + "\n"
		case head.MatchString(line):
			target = head.FindStringSubmatch(line)[1]
			rules[target] += ""
		default:
			target = ""
		}
	}
	return rules
}

// TestMakefilePassesPathsVerbatim: no recipe puts a variable's value into
// the shell's text (make's $(OUT) would: a quote in a path breaks the
// command, a backtick or $(...) runs one); and every target that takes a
// path, run with a path that holds a space, quotes, a backtick, $(...) and
// $$, on the command line and in the environment, hands the program (a
// stand-in for go and python that records its arguments) that very path,
// and runs nothing in it.
func TestMakefilePassesPathsVerbatim(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("make recipes run in a POSIX shell")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	rules := makeRules(t)
	// The student version has no handout target.
	if len(rules) < 10 || (rules["handout"] == "") != isStudentVersion || rules["grade"] == "" {
		t.Fatalf("read %d rules from the Makefile, without grade, or with handout in the student version or without it in the solution: %v", len(rules), rules)
	}
	// Variables that are commands, not values, may be expanded.
	commands := map[string]bool{"GO": true, "PYTHON": true}
	makeRef := regexp.MustCompile(`(?:^|[^$])\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]`)
	shellRef := regexp.MustCompile(`\$\$\{?([A-Z][A-Z0-9_]*)|shq,([A-Z][A-Z0-9_]*)\)`)
	takes := map[string][]string{} // target: the variables it passes on
	for target, recipe := range rules {
		seen := map[string]bool{}
		for _, m := range makeRef.FindAllStringSubmatch(recipe, -1) {
			if !commands[m[1]] {
				t.Errorf("make %s: the recipe expands $(%s) into the shell's text; pass it as $(call shq,%s)", target, m[1], m[1])
				if !seen[m[1]] {
					seen[m[1]] = true
					takes[target] = append(takes[target], m[1])
				}
			}
		}
		for _, m := range shellRef.FindAllStringSubmatch(recipe, -1) {
			name := m[1] + m[2]
			if !seen[name] && !strings.HasPrefix(name, "OPENBLAS_") {
				seen[name] = true
				takes[target] = append(takes[target], name)
			}
		}
	}
	for _, want := range [][2]string{{"handout", "OUT"}, {"grade", "SUBMISSION"}, {"agree", "MNIST_DIR"}, {"bench-runs", "MNIST_DIR"}, {"compare-builds", "MNIST_DIR"}} {
		if want[0] == "handout" && isStudentVersion {
			continue
		}
		if !strings.Contains(" "+strings.Join(takes[want[0]], " ")+" ", " "+want[1]+" ") {
			t.Errorf("make %s does not take %s (it takes %v)", want[0], want[1], takes[want[0]])
		}
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	log := filepath.Join(dir, "args")
	// The stand-in records each call's arguments, NUL-separated, a call a
	// line.
	fake := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done >>\"$ARGLOG\"\necho >>\"$ARGLOG\"\n"
	for _, name := range []string{"go", "python"} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	m1, m2 := filepath.Join(dir, "ran-dollar"), filepath.Join(dir, "ran-backtick")
	hostile := filepath.Join(dir, `my "lab" dir`) + "/`touch " + m2 + "` $(touch " + m1 + `) it's $$HOME \x`
	// The targets whose variable reaches go or python as one argument (the
	// others hand it to a script).
	reaches := map[string]bool{"handout OUT": true, "grade SUBMISSION": true, "agree MNIST_DIR": true, "bench-runs MNIST_DIR": true}
	for target, vars := range takes {
		for _, v := range vars {
			for _, how := range []string{"command line", "environment"} {
				os.Remove(log)
				args := []string{"-s", target, "GO=" + filepath.Join(bin, "go"), "PYTHON=" + filepath.Join(bin, "python")}
				cmd := exec.Command("make", args...)
				cmd.Env = append(os.Environ(), "ARGLOG="+log, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
				if how == "command line" {
					cmd.Args = append(cmd.Args, v+"="+hostile)
				} else {
					cmd.Env = append(cmd.Env, v+"="+hostile)
				}
				output, _ := cmd.CombinedOutput() // the recipes fail on the stand-ins' empty results: what matters is what ran
				for _, m := range []string{m1, m2} {
					if _, err := os.Stat(m); err == nil {
						t.Errorf("make %s with %s=%q (%s) ran the command in the path (%s exists)\n%s", target, v, hostile, how, filepath.Base(m), output)
						os.Remove(m)
					}
				}
				calls, _ := os.ReadFile(log)
				whole := false
				for _, a := range strings.Split(string(calls), "\x00") {
					a = strings.TrimPrefix(a, "\n")
					if a == hostile {
						whole = true
					} else if strings.Contains(a, "touch ") {
						t.Errorf("make %s with %s (%s) passed %q; want the path as typed, %q", target, v, how, a, hostile)
					}
				}
				if reaches[target+" "+v] && !whole {
					t.Errorf("make %s with %s=%q (%s): the program did not get the path as one argument; it got %q\n%s", target, v, hostile, how, calls, output)
				}
			}
		}
	}
}

package main

// Outputs compared with files recorded under testdata/, one directory a
// test (the pictures: testdata/plot, TestPlotGoldens). After a change that
// is meant to alter an output, rewrite the files with
//
//	go test -run '^TestName$' -update
//
// and read the diff before committing it.

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var updateRef = flag.Bool("update", false, "rewrite the files under testdata/ that tests compare their outputs with: go test -run '^TestName$' -update, then read the diff")

// compareGolden checks that dir holds exactly the files of got, byte for
// byte; with -update it rewrites dir to hold them.
func compareGolden(t *testing.T, dir string, got map[string][]byte) {
	t.Helper()
	if *updateRef {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range got {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v (record the files with go test -run '^%s$' -update)", err, strings.SplitN(t.Name(), "/", 2)[0])
	}
	want := map[string]bool{}
	for _, e := range entries {
		want[e.Name()] = true
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		g, ok := got[e.Name()]
		if !ok {
			t.Errorf("%s: the run no longer writes it", e.Name())
			continue
		}
		if !bytes.Equal(g, b) {
			t.Errorf("%s differs from %s: %s", e.Name(), filepath.Join(dir, e.Name()), firstDifference(g, b))
		}
	}
	var extra []string
	for name := range got {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("the run writes files that are not recorded: %s", strings.Join(extra, ", "))
	}
}

// firstDifference shows the first line where got and want differ.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, clip(gl), clip(wl))
		}
	}
	return "the same lines, different bytes"
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

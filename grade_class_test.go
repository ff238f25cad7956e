package main

// A class, and Gradescope (README, "For instructors"):
//
//	make grade-class SUBMISSIONS=DIR GRADEBOOK=FILE.csv
//	make grade SUBMISSION=DIR RESULTS=results.json
//
// grade-class grades every subdirectory of DIR (one per student) two at a
// time (each runs its tests over the cores), prints a progress line, writes
// each student's table as DIR/<name>/grade.txt and the gradebook: a CSV
// with the header submission,<part id>…,score,max_score,note and one row
// per subdirectory, sorted by name. A submission that could not be graded
// at all gets 0 and a note saying why.

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// gradebookRow is one student's line of the gradebook.
type gradebookRow struct {
	name  string
	rep   *gradeResult // nil: not graded
	note  string
	table []byte
}

// gradeClass grades every subdirectory of dir and writes the gradebook to
// gradebook (and each table to dir/<name>/grade.txt). progress gets a
// line per submission graded.
func gradeClass(grader, dir, gradebook string, timeout time.Duration, progress io.Writer) ([]gradebookRow, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("the class directory: %v (give a directory with one subdirectory per student)", err)
	}
	var rows []gradebookRow
	for _, e := range entries {
		switch {
		case e.IsDir():
			rows = append(rows, gradebookRow{name: e.Name()})
		case e.Type()&os.ModeSymlink != 0:
			rows = append(rows, gradebookRow{name: e.Name(), note: "a symbolic link, not a directory: not graded"})
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s has no subdirectories: give a directory with one subdirectory per student", dir)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].name < rows[j].name })
	// Two submissions at a time: while one links its test binary (one
	// core), the other runs its tests.
	workers := max(1, min(2, runtime.NumCPU()))
	var mu sync.Mutex
	done := 0
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				row := &rows[i]
				if row.note == "" {
					rep, err := gradeSubmission(gradeOptions{grader: grader, submission: filepath.Join(dir, row.name), timeout: timeout})
					if err != nil {
						row.note = "not graded: " + err.Error()
					} else {
						row.rep = rep
						var b bytes.Buffer
						rep.write(&b)
						row.table = b.Bytes()
						if err := writeAtomic(filepath.Join(dir, row.name, "grade.txt"), row.table); err != nil {
							row.note = "table not written: " + err.Error()
						}
						row.note = joinNote(row.note, gradeNote(rep))
					}
				}
				mu.Lock()
				done++
				if progress != nil {
					score := "not graded"
					if row.rep != nil {
						got, auto := row.rep.score()
						score = formatPoints(got) + "/" + formatPoints(auto)
					}
					fmt.Fprintf(progress, "graded %d/%d in %v: %s %s\n", done, len(rows), time.Since(start).Round(time.Second), row.name, score)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range rows {
		work <- i
	}
	close(work)
	wg.Wait()
	var b bytes.Buffer
	writeGradebook(&b, rows)
	if err := writeAtomic(gradebook, b.Bytes()); err != nil {
		return rows, fmt.Errorf("the gradebook: %v", err)
	}
	return rows, nil
}

// gradeNote says in a few words what the gradebook should know of a
// graded submission: files not taken, a build failure.
func gradeNote(rep *gradeResult) string {
	var notes []string
	for _, f := range studentFiles {
		if why := rep.fileIssue[f]; why != "" {
			notes = append(notes, why)
		}
	}
	if rep.buildError != "" {
		notes = append(notes, "does not build")
	}
	return strings.Join(notes, "; ")
}

func joinNote(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

// writeGradebook writes the CSV: submission, the points of each part
// graded automatically, score, max_score, note.
func writeGradebook(w io.Writer, rows []gradebookRow) {
	cw := csv.NewWriter(w)
	header := []string{"submission"}
	auto := 0.0
	for _, p := range labParts {
		if !p.byHand {
			header = append(header, p.id)
			auto += p.points
		}
	}
	header = append(header, "score", "max_score", "note")
	cw.Write(header)
	for _, r := range rows {
		rec := []string{r.name}
		for _, p := range labParts {
			if p.byHand {
				continue
			}
			pts := 0.0
			if r.rep != nil {
				pts = r.rep.part(p.id).points()
			}
			rec = append(rec, formatPoints(pts))
		}
		got := 0.0
		if r.rep != nil {
			got, _ = r.rep.score()
		}
		rec = append(rec, formatPoints(got), formatPoints(auto), r.note)
		cw.Write(rec)
	}
	cw.Flush()
}

// writeAtomic writes data to path through a temporary file renamed into
// place: a symbolic link planted at path is replaced, not followed.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".grade-*.tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// gradescopeResults is Gradescope's results.json.
type gradescopeResults struct {
	Score         float64          `json:"score"`
	MaxScore      float64          `json:"max_score"`
	ExecutionTime float64          `json:"execution_time"`
	Output        string           `json:"output"`
	Visibility    string           `json:"visibility"`
	Tests         []gradescopeTest `json:"tests"`
}

type gradescopeTest struct {
	Name       string  `json:"name"`
	Score      float64 `json:"score"`
	MaxScore   float64 `json:"max_score"`
	Output     string  `json:"output"`
	Visibility string  `json:"visibility"`
}

// results returns the Gradescope results of a graded submission: one test
// per graded method, with its points and its first failure.
func (r *gradeResult) results() gradescopeResults {
	var table bytes.Buffer
	r.write(&table)
	got, auto := r.score()
	out := gradescopeResults{Score: got, MaxScore: auto, ExecutionTime: math.Round(r.elapsed.Seconds()*10) / 10,
		Output: table.String(), Visibility: "visible", Tests: []gradescopeTest{}}
	for _, p := range r.parts {
		if p.part.byHand {
			continue
		}
		for _, m := range p.methods {
			t := gradescopeTest{Name: p.part.assignment + ": " + m.method.name, MaxScore: m.method.points(p.part), Visibility: "visible"}
			switch f, failed := m.firstFailure(); {
			case m.issue != "":
				t.Output = m.issue
			case r.buildError != "":
				t.Output = "the submission does not build:\n" + r.buildError
			case failed:
				t.Output = "first failure " + f.name + ": " + f.failure
			case m.passed(): // what score() counts
				t.Score = t.MaxScore
				t.Output = fmt.Sprintf("all %d tests passed", len(m.tests))
			default:
				t.Output = "no graded test ran"
			}
			out.Tests = append(out.Tests, t)
		}
	}
	return out
}

// writeResults writes results.json for r.
func writeResults(path string, r *gradeResult) error {
	data, err := json.MarshalIndent(r.results(), "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(path, append(data, '\n'))
}

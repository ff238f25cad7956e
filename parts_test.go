package main

// The lab's parts and their points, and what a graded test uses around the
// part it grades.
//
// Every graded test belongs to exactly one part (its name starts with the
// part's prefix: go test -run PREFIX checks that part alone). The parts'
// points add up to the lab's 10; Assignment 2, the written analysis, is
// graded by hand. `make grade` (grade_test.go) runs each method's graded
// tests in a process of their own and scores the parts; TestGrade checks this table
// against the test files.
//
// A graded test calls the student's code for its own part only. For the
// other messages it needs (the forward pass whose delta it checks, the
// softmax before a loss, the layers of a network whose backpropagation it
// checks) it goes through `other`: the solution's implementations when
// the grader's reference copy is present (reference_test.go, generated
// from the solution regions, not in the student version), the student's
// own otherwise. So with the grader's copy, a broken ReLU costs points in
// the ReLU part and nowhere else.

import (
	"fmt"
	"math"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// studentFiles are the files students write; grading a submission takes
// these from it and everything else from the grader.
var studentFiles = []string{"layers.go", "loss.go", "mlp.go"}

// labPart is one part of the lab. Its points are shared out over the
// methods it grades (graded): a method earns its share when every one of
// its tests passes, and loses it when any fails, so the points follow the
// fault. The notes are tests of behaviour the lab does not ask for (NaN
// propagation, the 0·log 0 convention): they are run and reported, and
// cost nothing. Instructors may change points and shares here (README,
// "For instructors"); TestGrade checks that they add up.
type labPart struct {
	id         string // short name, e.g. "relu"
	assignment string // "Assignment 1"
	title      string
	points     float64
	byHand     bool           // graded by hand: no tests
	run        string         // the -run pattern that selects its tests
	graded     []gradedMethod // the lab's methods (solution regions) it grades
	notes      []string       // tests reported as notes, costing nothing

	methods []string // the names of graded, filled by newPart
	tests   []string // the top-level tests of graded and notes, filled by newPart
}

// gradedMethod is one method of a part and the tests that check it.
type gradedMethod struct {
	name  string   // "LinearLayer.Forward"
	share float64  // of its part's points; a part's shares add up to 1
	tests []string // "TestX" or "TestX/Sub", run in this order
}

// points returns the method's points in part p.
func (m gradedMethod) points(p *labPart) float64 { return math.Round(100*p.points*m.share) / 100 }

// newPart fills a part's methods and tests from graded and notes.
func newPart(p labPart) *labPart {
	seen := map[string]bool{}
	add := func(unit string) {
		top, _, _ := strings.Cut(unit, "/")
		if !seen[top] {
			seen[top] = true
			p.tests = append(p.tests, top)
		}
	}
	for _, m := range p.graded {
		p.methods = append(p.methods, m.name)
		for _, u := range m.tests {
			add(u)
		}
	}
	for _, u := range p.notes {
		add(u)
	}
	return &p
}

// labParts is the points split of the lab (10 points). A method may be
// graded in two parts: SoftmaxLayer.Forward is written in Assignment 1 (a
// plain softmax passes its tests there) and made stable in Assignment 3,
// whose tests grade the stability. Assignment 1 is
// the bulk of the work (6 points: the three layers, the loss and
// backpropagation, the last two with the most to get right); the written
// analysis of Assignment 2 carries 2, the stable softmax and the fused
// loss of Assignment 3 one each. The optional parts (training on the
// spirals, MNIST, plots) carry no points. Within a part the methods share
// its points evenly.
var labParts = []*labPart{
	newPart(labPart{
		id: "linear", assignment: "Assignment 1", title: "LinearLayer: Forward, Delta, Grad", points: 1.5,
		run: "^TestLinear",
		graded: []gradedMethod{
			{"LinearLayer.Forward", 1.0 / 3, []string{"TestLinearForwardHand", "TestLinearLeavesArgumentsUnchanged/Forward"}},
			{"LinearLayer.Delta", 1.0 / 3, []string{"TestLinearDeltaHand", "TestLinearDeltaFiniteDifferences", "TestLinearLeavesArgumentsUnchanged/Delta"}},
			{"LinearLayer.Grad", 1.0 / 3, []string{"TestLinearGradHand", "TestLinearGradFiniteDifferences", "TestLinearGradAveragesOverBatch",
				"TestLinearLeavesArgumentsUnchanged/Grad"}},
		},
	}),
	newPart(labPart{
		id: "relu", assignment: "Assignment 1", title: "ReLULayer: Forward, Delta", points: 1,
		run: "^TestReLU",
		graded: []gradedMethod{
			{"ReLULayer.Forward", 0.5, []string{"TestReLUForwardHand", "TestReLULeavesArgumentsUnchanged/Forward"}},
			{"ReLULayer.Delta", 0.5, []string{"TestReLUDeltaHand", "TestReLUDeltaFiniteDifferences", "TestReLULeavesArgumentsUnchanged/Delta"}},
		},
		notes: []string{"TestReLUForwardKeepsNaN"},
	}),
	newPart(labPart{
		id: "softmax", assignment: "Assignment 1", title: "SoftmaxLayer: Forward, Delta", points: 1,
		run: "^TestSoftmax",
		graded: []gradedMethod{
			{"SoftmaxLayer.Forward", 0.5, []string{"TestSoftmaxForwardHand", "TestSoftmaxForwardLeavesArgumentsUnchanged"}},
			{"SoftmaxLayer.Delta", 0.5, []string{"TestSoftmaxDeltaHand", "TestSoftmaxDeltaFiniteDifferences", "TestSoftmaxDeltaLeavesArgumentsUnchanged"}},
		},
	}),
	newPart(labPart{
		id: "cross-entropy", assignment: "Assignment 1", title: "LossCrossEntropy: Forward, Delta", points: 1,
		run: "^TestCrossEntropy",
		graded: []gradedMethod{
			{"LossCrossEntropy.Forward", 0.5, []string{"TestCrossEntropyForwardHand", "TestCrossEntropyShapes/Forward",
				"TestCrossEntropyLeavesArgumentsUnchanged/Forward"}},
			{"LossCrossEntropy.Delta", 0.5, []string{"TestCrossEntropyDeltaHand", "TestCrossEntropyDeltaFiniteDifferences",
				"TestCrossEntropyShapes/Delta", "TestCrossEntropyLeavesArgumentsUnchanged/Delta"}},
		},
		notes: []string{"TestCrossEntropyZeroProbability"},
	}),
	newPart(labPart{
		id: "backprop", assignment: "Assignment 1", title: "MLP.Gradient (backpropagation)", points: 1.5,
		run: "^TestBackprop",
		graded: []gradedMethod{
			{"MLP.Gradient", 1, []string{"TestBackpropFiniteDifferences", "TestBackpropGradientKeysAndCopies"}},
		},
	}),
	newPart(labPart{
		id: "written", assignment: "Assignment 2", title: "written analysis (fused layer, shift invariance)", points: 2,
		byHand: true,
	}),
	newPart(labPart{
		id: "stable-softmax", assignment: "Assignment 3", title: "SoftmaxLayer.Forward, stable", points: 1,
		run: "^TestStableSoftmax|^FuzzStableSoftmax",
		graded: []gradedMethod{
			// Written in Assignment 1 (part softmax), made stable here.
			{"SoftmaxLayer.Forward", 1, []string{"TestStableSoftmaxShiftInvariance", "TestStableSoftmaxLargeLogits",
				"TestStableSoftmaxRowsOfDifferentScale", "FuzzStableSoftmaxRowInvariants"}},
		},
	}),
	newPart(labPart{
		id: "fused", assignment: "Assignment 3", title: "LossCrossEntropyForSoftmaxLogits: Forward, Delta", points: 1,
		run: "^TestFused",
		graded: []gradedMethod{
			{"LossCrossEntropyForSoftmaxLogits.Forward", 0.5, []string{"TestFusedSoftmaxCrossEntropyForwardHand",
				"TestFusedSoftmaxCrossEntropyMatchesPair/Forward", "TestFusedSoftmaxCrossEntropyInNetwork",
				"TestFusedSoftmaxCrossEntropyStaysFinite/Forward",
				"TestFusedSoftmaxCrossEntropyShapes/Forward", "TestFusedSoftmaxCrossEntropyLeavesArgumentsUnchanged/Forward"}},
			{"LossCrossEntropyForSoftmaxLogits.Delta", 0.5, []string{"TestFusedSoftmaxCrossEntropyDeltaHand",
				"TestFusedSoftmaxCrossEntropyDeltaFiniteDifferences", "TestFusedSoftmaxCrossEntropyMatchesPair/Delta",
				"TestFusedSoftmaxCrossEntropyStaysFinite/Delta", "TestFusedSoftmaxCrossEntropyShapes/Delta",
				"TestFusedSoftmaxCrossEntropyLeavesArgumentsUnchanged/Delta"}},
		},
	}),
}

// labTotal is the lab's points.
const labTotal = 10

// graderOnlyFiles are the files the handout leaves out: the grader's
// reference copy of the solution, the handout generator (which has nothing
// to do in a student version), and the mutations, which hold pieces of the
// solution, and the goldens of the lab's runs (golden_test.go with
// testdata/golden), which hold the solution's bits: a correct solution
// written another way rounds differently. (The handout also leaves out
// .ci/, the solution repository's CI.)
var graderOnlyFiles = []string{"reference_test.go", "handout_test.go", "mutations_test.go", "grade_cheats_test.go", "golden_test.go"}

// gradingFiles are the test files whose every test is either graded (in a
// part above) or listed in unscoredTests with the reason. The other test
// files test the provided code (matrices, data sets, training, the
// command line): those tests are not scored, and none of them may match a
// part's pattern.
var gradingFiles = []string{"layers_test.go", "mlp_test.go", "gradcheck_test.go", "helpers_test.go",
	"notimplemented_test.go", "parts_test.go", "grade_test.go", "handout_test.go", "mutations_test.go", "reference_test.go",
	"grade_source_test.go", "grade_run_test.go", "grade_class_test.go", "grade_cheats_test.go"}

// unscoredTests are the tests of gradingFiles that no part scores, and why.
var unscoredTests = map[string]string{
	"TestNewLinearLayerInit":               "provided code: He initialisation",
	"TestMLPBuildErrors":                   "provided code: BuildMLP",
	"TestMLPPropagateTo":                   "provided code: PropagateTo",
	"TestGradCheckPassesOnOurLayers":       "end to end: -exp gradcheck through every part",
	"TestGradCheckCatchesWrongGradients":   "provided code: the gradient check",
	"TestGradCheckExitCode":                "end to end: -exp gradcheck through every part",
	"TestRelErr":                           "provided code: the gradient check",
	"TestGrade":                            "the grader itself",
	"TestGradeReportFormat":                "the grader itself",
	"TestHandout":                          "the handout generator (solution repository only)",
	"TestReference":                        "the grader's reference copy (solution repository only)",
	"TestHandoutAssignment1TrainsXOR":      "the handout: Assignment 1 with a plain softmax trains XOR (solution repository only)",
	"TestLabSteps":                         "the students' README: where to start (solution repository only)",
	"TestHandoutSuite":                     "CI: go test ./... in the handout, stubs failing in one line (solution repository only)",
	"TestGradeChecks":                      "CI: the grader against the solution, the handout and typical faults (solution repository only)",
	"TestNotImplementedMessage":            "the stubs' panic and the command's message",
	"TestCatchPanicKeepsOtherTestsRunning": "the graded tests' panic guard and the grader's processes",
	"TestMutationsApply":                   "the mutations still apply (solution repository only)",
	"TestGradeHelper":                      "a helper of TestCatchPanicKeepsOtherTestsRunning",
	"TestUpdateParamsAdds":                 "provided code: UpdateParams",
	"TestNoStudentVersionMark":             "the solution repository has no student version's mark (solution repository only)",
	"TestGradeFairness":                    "the grader: correct variants score full marks (solution repository only)",
	"TestGradePrepare":                     "the grader: cheats, compile errors and missing files before anything runs (solution repository only)",
	"TestGradeClass":                       "the grader: a class, its gradebook and results.json (solution repository only)",
	"TestGradeLoops":                       "the grader: endless loops in every method (solution repository only)",
	"TestGradeForgedOutput":                "the grader: a pass printed by student code (solution repository only)",
	"TestGradeInterrupted":                 "the grader: Ctrl-C during grading leaves no temporary files (solution repository only)",
	"TestGradeHelperNamesClash":            "the grader: a student helper named like a test helper (solution repository only)",
	"TestGradeMakeQuoting":                 "the grader: paths with quotes, backticks and $(…) through make (solution repository only)",
}

// ---------------------------------------------------------------------------
// What a graded test uses around its part.

// partImpls converts the student's layers and losses into the ones a test
// uses for the parts it does not grade. The conversions keep the
// student's value (its name, its parameters, shared, not copied) and
// change only whose methods answer the messages.
type partImpls struct {
	source       string // whose methods these are, for the score table
	linear       func(*LinearLayer) ParamLayer
	relu         func(*ReLULayer) Layer
	softmax      func(*SoftmaxLayer) Layer
	crossEntropy func(*LossCrossEntropy) Loss
	fused        func(*LossCrossEntropyForSoftmaxLogits) Loss
}

// ownImpls are the student's own methods.
var ownImpls = partImpls{
	source:       "your own code (this student version has no reference copy: a fault in one part can fail tests of another)",
	linear:       func(l *LinearLayer) ParamLayer { return l },
	relu:         func(l *ReLULayer) Layer { return l },
	softmax:      func(l *SoftmaxLayer) Layer { return l },
	crossEntropy: func(l *LossCrossEntropy) Loss { return l },
	fused:        func(l *LossCrossEntropyForSoftmaxLogits) Loss { return l },
}

// other is what graded tests use for the parts they do not grade: the
// student's own, unless the grader's reference copy (reference_test.go)
// replaces them with the solution's in its init.
var other = ownImpls

// otherLinear etc. make a layer or loss of the kind named, answered by
// other's methods.
func otherLinear(l *LinearLayer) ParamLayer { return other.linear(l) }
func otherReLU(name string) Layer           { return other.relu(NewReLULayer(name)) }
func otherSoftmax(name string) Layer        { return other.softmax(NewSoftmaxLayer(name)) }
func otherCrossEntropy(name string) Loss    { return other.crossEntropy(NewLossCrossEntropy(name)) }
func otherFused(name string) Loss {
	return other.fused(NewLossCrossEntropyForSoftmaxLogits(name))
}

// ---------------------------------------------------------------------------
// Panics in graded tests.

// catchPanic, deferred first thing in every graded test (and subtest),
// turns a panic of the code under test (a stub's "not implemented", an
// index out of range) into a failure of that test, naming where it
// happened. Without it go test stops at the first panic and reports none
// of the tests after it. (The grader also runs each method's graded tests
// in a process of their own, so an endless loop costs that method's share
// only.)
func catchPanic(t *testing.T) {
	if r := recover(); r != nil {
		if e, ok := r.(*notImplementedError); ok {
			t.Error(e.Error()) // one line: what to write, and where
		} else {
			t.Errorf("panic: %v%s", r, panicSite(string(debug.Stack())))
		}
	}
	testRecord.Lock()
	testRecord.m[t.Name()] = testOutcome{failed: t.Failed(), skipped: t.Skipped()}
	testRecord.Unlock()
}

// testOutcome is how a graded test (or subtest) ended, as catchPanic saw it.
type testOutcome struct{ failed, skipped bool }

// testRecord holds the outcome of every graded test and subtest that ran
// to its end in this process. The grader's TestMain (grade_run_test.go)
// reads it after the tests and reports the verdict on a channel of its
// own; student code cannot name it (a submission must compile without the
// test files).
var testRecord = struct {
	sync.Mutex
	m map[string]testOutcome
}{m: map[string]testOutcome{}}

// panicSite returns " (at layers.go:123)" for the innermost frame of a
// stack trace that lies in a student file, or "" if there is none.
func panicSite(stack string) string {
	re := regexp.MustCompile(`[/\\](` + strings.ReplaceAll(strings.Join(studentFiles, "|"), ".", `\.`) + `):(\d+)`)
	if m := re.FindStringSubmatch(stack); m != nil {
		return fmt.Sprintf(" (at %s:%s)", m[1], m[2])
	}
	return ""
}

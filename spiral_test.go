package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestSpiralData(t *testing.T) {
	X, T, Xt, Tt := SpiralSets(1234)
	for _, s := range []struct {
		name string
		X, T *Matrix
	}{{"training", X, T}, {"test", Xt, Tt}} {
		if s.X.Rows != 300 || s.X.Cols != 2 || s.T.Rows != 300 || s.T.Cols != 3 {
			t.Fatalf("%s set: X is %s, T is %s; want 300x2 and 300x3", s.name, s.X.Shape(), s.T.Shape())
		}
		count := make([]int, 3)
		for i := 0; i < s.X.Rows; i++ {
			sum := 0.0
			for _, v := range s.T.Row(i) {
				sum += v
			}
			k, ok := s.T.ArgmaxRow(i)
			if !ok || sum != 1 || s.T.At(i, k) != 1 {
				t.Fatalf("%s set: target row %d = %v; want one-hot", s.name, i, s.T.Row(i))
			}
			if want := i / 100; k != want {
				t.Fatalf("%s set: sample %d has class %d; want %d (the arms in order)", s.name, i, k, want)
			}
			count[k]++
			r := math.Hypot(s.X.At(i, 0), s.X.At(i, 1))
			// The radius of point j of an arm is exactly linspace(0, 2.5, 100)[j]:
			// the noise turns the angle only.
			if want := 2.5 * float64(i%100) / 99; math.Abs(r-want) > 1e-12 || r > 2.5+1e-12 {
				t.Fatalf("%s set: radius of sample %d = %v; want %v (at most 2.5)", s.name, i, r, want)
			}
		}
		for k, c := range count {
			if c != 100 {
				t.Errorf("%s set: class %d has %d samples; want 100", s.name, k, c)
			}
		}
	}
	// The angle of an arm's points follows linspace(4i, 4(i+1)) up to the
	// 0.2·N(0,1) noise: the deviation stays within a few standard deviations
	// and is not all zero.
	maxDev, sumSq := 0.0, 0.0
	for i := 1; i < 300; i++ { // the first point of an arm has radius 0: no angle
		if i%100 == 0 {
			continue
		}
		want := linspace(4*float64(i/100), 4*float64(i/100+1), 100, i%100)
		got := math.Atan2(X.At(i, 0), X.At(i, 1)) // (r sin θ, r cos θ)
		dev := math.Remainder(got-want, 2*math.Pi)
		maxDev = math.Max(maxDev, math.Abs(dev))
		sumSq += dev * dev
	}
	if std := math.Sqrt(sumSq / 297); maxDev > 1.2 || std < 0.15 || std > 0.25 {
		t.Errorf("angle noise: max |deviation| %.3f, std %.3f; want std near 0.2 and no deviation above 1.2", maxDev, std)
	}

	X2, _, Xt2, _ := SpiralSets(1234)
	if !equalData(X, X2) || !equalData(Xt, Xt2) {
		t.Errorf("SpiralSets(1234) twice gave different points; want the same")
	}
	if equalData(X, Xt) {
		t.Errorf("training and test set are the same; want the test set drawn after the training set")
	}
	X3, _, _, _ := SpiralSets(1235)
	if equalData(X, X3) {
		t.Errorf("SpiralSets(1234) and SpiralSets(1235) gave the same points; want different")
	}
}

// linspace must give numpy's values to the bit. These were printed by
// numpy 1.24 at points where a + (b − a)·j/(n − 1), the same number on
// paper, rounds to another double.
func TestSpiralLinspaceIsNumpys(t *testing.T) {
	for _, c := range []struct {
		a, b float64
		j    int
		want float64
	}{
		{0, 2.5, 29, 0.7323232323232323}, {0, 2.5, 31, 0.7828282828282828}, {0, 2.5, 45, 1.1363636363636362},
		{4, 8, 19, 4.767676767676768}, {4, 8, 33, 5.333333333333334}, {4, 8, 46, 5.858585858585859},
		{8, 12, 7, 8.282828282828284}, {8, 12, 27, 9.090909090909092}, {8, 12, 35, 9.414141414141415},
		{0, 2.5, 0, 0}, {0, 2.5, 99, 2.5}, {8, 12, 99, 12},
	} {
		if got := linspace(c.a, c.b, 100, c.j); got != c.want {
			t.Errorf("linspace(%v, %v, 100)[%d] = %v; want numpy's %v", c.a, c.b, c.j, got, c.want)
		}
	}
}

// The spiral points are numpy's: the radii and angles to the bit (linspace
// and RandomState(1234)'s normals), the points r·sin θ and r·cos θ to the
// last bit or two, since Go's math.Sin and math.Cos do not round every
// argument as numpy's sin and cos do. Expected values printed by the lab's
// numpy recipe (load_spirals).
func TestSpiralDataIsNumpys(t *testing.T) {
	X, _, Xt, _ := SpiralSets(1234)
	for _, c := range []struct {
		set      string
		X        *Matrix
		row      int
		want0, w float64
	}{
		{"training", X, 0, 0, 0},
		{"training", X, 1, -0.004962221651013316, 0.024760177461311546},
		{"training", X, 2, 0.01813853571834317, 0.04713548184236681},
		{"training", X, 101, -0.02141304273247645, -0.013385500833609584},
		{"training", X, 299, -1.4733268246053277, 2.019729701692378},
		{"test", Xt, 1, 0.004586187836770212, 0.024832577650241758},
	} {
		got := c.X.Row(c.row)
		for k, want := range []float64{c.want0, c.w} {
			if math.Abs(got[k]-want) > 1e-15*math.Abs(want) {
				t.Errorf("%s set, point %d, coordinate %d = %.17g; want numpy's %.17g (to 1e-15 relative)", c.set, c.row, k, got[k], want)
			}
		}
	}
}

func equalData(a, b *Matrix) bool {
	return a.Rows == b.Rows && a.Cols == b.Cols && slices.Equal(a.Data, b.Data)
}

// TestSpiralEta1 is the experiment's claim: the lab's settings with eta = 1
// learn the spirals (the lab's numpy solution reaches about 98%).
func TestSpiralEta1(t *testing.T) {
	needLab(t, labPlain)
	X, T, Xt, Tt := SpiralSets(1234)
	rng := newRNG(1234)
	net := NewSpiralNet(rng)
	ri, err := Train(net, X, T, TrainConfig{BatchSize: 300, Epochs: 1000, Eta: 1, Rand: rng, XTest: Xt, TTest: Tt})
	if ri == nil {
		t.Fatal(err)
	}
	res, err := judgeSpiral(1, net, ri, err, X, Xt, Tt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Diverged != nil {
		t.Fatalf("eta=1 %s; want a finished run", res.note())
	}
	if got := res.Run.Last().AccTest; got < 0.95 {
		t.Errorf("test accuracy after 1000 epochs with eta=1 = %.4f; want at least 0.95", got)
	}
	if len(res.Run.Epochs) != 1001 {
		t.Errorf("recorded %d epochs; want 1001 (the initial net and 1000 epochs)", len(res.Run.Epochs))
	}
}

// TestSpiralDivergence runs the experiment with a learning rate that blows
// the softmax into p = 0 for a true class (loss +Inf): the run must be
// reported as diverged, kept out of the results, and must not stop the
// other learning rate.
func TestSpiralDivergence(t *testing.T) {
	needLab(t, labPlain)
	defer func(e []float64) { spiralEtas = e }(spiralEtas)
	spiralEtas = []float64{1, 1e6}
	dir := t.TempDir()
	out := mustRun(t, "-exp", "spiral", "-epochs", "30", "-q", "-out", dir) // one learning rate worked
	var row1e6, row1 string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "1e+06" {
			row1e6 = line
		}
		if len(f) > 0 && f[0] == "1" {
			row1 = line
		}
	}
	if !strings.Contains(row1e6, "diverged") || strings.Contains(row1e6, "%") {
		t.Errorf("summary row of eta=1e6 = %q; want \"diverged\" and no accuracy", row1e6)
	}
	if !strings.Contains(row1, "%") || strings.Contains(row1, "diverged") {
		t.Errorf("summary row of eta=1 = %q; want its figures", row1)
	}
	// inf with a stable softmax, nan with Assignment 1's plain one: either
	// is named.
	if !strings.Contains(out, "eta=1e+06: diverged at epoch ") || !regexp.MustCompile(`\(training loss is (inf|nan)\)`).MatchString(out) {
		t.Errorf("summary does not say where and how eta=1e6 diverged:\n%s", out)
	}
	if !strings.Contains(out, "best: eta=1,") {
		t.Errorf("summary does not name eta=1 as the best (the diverged run must not count):\n%s", out)
	}

	// The CSV keeps the finished epochs of the diverged run and all of the other.
	rows := csvRows(t, filepath.Join(dir, "spiral.csv"))
	if got := strings.Join(rows[0], ","); got != "eta,epoch,loss_train,acc_train,loss_test,acc_test" {
		t.Errorf("CSV header = %q; want eta,epoch,loss_train,acc_train,loss_test,acc_test", got)
	}
	perEta := map[string]int{}
	for _, r := range rows[1:] {
		perEta[r[0]]++
		if r[0] == "1" && r[1] != strconv.Itoa(perEta["1"]-1) {
			t.Fatalf("CSV row %v: epoch %s; want %d (every epoch from 0, in order)", r, r[1], perEta["1"]-1)
		}
	}
	if perEta["1"] != 31 || perEta["1e+06"] < 1 || perEta["1e+06"] > 31 {
		t.Errorf("CSV rows per eta = %v; want 31 for eta 1 and 1 to 31 for the diverged eta", perEta)
	}

	var rec runRecord
	data, err := os.ReadFile(filepath.Join(dir, "spiral.run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("spiral.run.json: %v", err)
	}
	if !strings.Contains(strings.Join(rec.Notes, "\n"), "eta = 1e+06: diverged at epoch") {
		t.Errorf("run record notes = %q; want the divergence of eta 1e6", rec.Notes)
	}
}

// A single learning rate that diverges is a failed run: exit code 1.
func TestSpiralDivergenceAlone(t *testing.T) {
	needLab(t, labPlain)
	code, stdout, stderr := runMain("-exp", "spiral", "-eta", "1e6", "-epochs", "10", "-q", "-plot=false", "-out", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "diverged") {
		t.Errorf("exit code %d, stderr %q; want 1 and a message that it diverged", code, stderr)
	}
	if !strings.Contains(stdout, "diverged at epoch") {
		t.Errorf("stdout has no summary of the divergence:\n%s", stdout)
	}
}

func TestSpiralStalled(t *testing.T) {
	mk := func(loss func(e int) float64, n int) *RunInfo {
		ri := &RunInfo{}
		for e := 0; e <= n; e++ {
			ri.Epochs = append(ri.Epochs, EpochInfo{Epoch: e, LossTrain: loss(e)})
		}
		return ri
	}
	flatFrom := func(k int) func(int) float64 {
		return func(e int) float64 {
			if e >= k {
				return math.Log(3)
			}
			return 2 - float64(e)*0.001
		}
	}
	tests := []struct {
		name string
		ri   *RunInfo
		want int
	}{
		{"flat from 50 of 300", mk(flatFrom(50), 300), 50},
		{"flat from the start", mk(flatFrom(0), 150), 0},
		{"flat for 99 epochs only", mk(flatFrom(201), 300), -1},
		{"still moving", mk(func(e int) float64 { return 1 / float64(e+1) }, 300), -1},
		{"moving by 1e-8 relative", mk(func(e int) float64 { return 1 + 1e-8*float64(e) }, 300), -1},
		{"loss +Inf", mk(func(int) float64 { return math.Inf(1) }, 300), -1},
	}
	for _, tc := range tests {
		// want −1: not stalled.
		if got, ok := stalledSince(tc.ri); ok != (tc.want >= 0) || ok && got != tc.want {
			t.Errorf("%s: stalledSince = %d, %v; want %d", tc.name, got, ok, tc.want)
		}
	}
	r := &spiralResult{Eta: 3, Run: mk(flatFrom(50), 300), Stalled: true, StalledSince: 50, Dead: 10, Units: 10}
	if n := r.note(); !strings.Contains(n, "stalled since epoch 50") || !strings.Contains(n, "10 of 10 hidden ReLUs dead") {
		t.Errorf("note of a stalled run = %q; want \"stalled since epoch 50\" and the dead units", n)
	}
}

func TestSpiralNotes(t *testing.T) {
	ri := &RunInfo{}
	for e := 0; e <= 300; e++ {
		ri.Epochs = append(ri.Epochs, EpochInfo{Epoch: e, LossTrain: 1 / float64(e+1), AccTest: 0.6})
	}
	ri.Epochs[40].AccTest = 0.7
	r := &spiralResult{Eta: 5, Run: ri, Dead: 8, Units: 10}
	judgeRun(r)
	want := "unsteady: test accuracy fell from its best 70.00% (epoch 40) to 60.00%; 8 of 10 hidden ReLUs dead on every training sample"
	if got := r.note(); got != want {
		t.Errorf("note = %q; want %q", got, want)
	}
	r.Dead = 4 // fewer than half dead in a moving run: not worth a note
	ri.Epochs[40].AccTest = 0.6
	judgeRun(r)
	if got := r.note(); got != "" {
		t.Errorf("note of an ordinary run = %q; want none", got)
	}
}

// A net whose hidden ReLUs are all switched off everywhere: its loss
// cannot move, and deadUnits must say so.
func TestSpiralDeadUnits(t *testing.T) {
	needLab(t, labPlain)
	net := NewSpiralNet(newRNG(1))
	lin := net.Layers[0].(*LinearLayer)
	lin.W.Fill(0)
	lin.B.Fill(-1)
	X, T, _, _ := SpiralSets(1)
	if dead, units := deadUnits(net, X, "ReLU_1"); dead != 10 || units != 10 {
		t.Errorf("deadUnits = %d of %d; want 10 of 10", dead, units)
	}
	ri, err := Train(net, X, T, TrainConfig{BatchSize: 300, Epochs: 120, Eta: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The output is the bias of Linear_OUT alone, the same for every sample;
	// with balanced classes the mean of its gradient is 0 too: nothing moves.
	if got, ok := stalledSince(ri); !ok || got != 0 {
		t.Errorf("stalledSince of a net with every ReLU dead = %d, %v; want 0, true", got, ok)
	}
}

// An interrupt during the second learning rate keeps the first run whole,
// the second up to its last finished epoch, starts no third, and still
// writes the CSV and the page; the exit code is 130.
func TestSpiralInterruptKeepsFinishedEpochs(t *testing.T) {
	needLab(t, labPlain)
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	// 50 epochs of one full batch each: the 71st Stop call comes before
	// epoch 21 of the second learning rate.
	code := runWithStop(t, []string{"-exp", "spiral", "-epochs", "50", "-q", "-out", out}, &stdout, &stderr, stopAfter(70))
	if code != 130 {
		t.Fatalf("exit code: got %d; want 130\nstderr: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "during eta=1 after epoch 20 of 50") {
		t.Errorf("stderr: got %q; want it to say where it stopped (eta=1, epoch 20 of 50)", stderr.String())
	}
	rows := csvRows(t, filepath.Join(out, "spiral.csv"))[1:]
	if got, want := len(rows), 51+21; got != want {
		t.Errorf("spiral.csv rows: got %d; want %d (eta 0.2: epochs 0-50, eta 1: epochs 0-20)", got, want)
	}
	if last := rows[len(rows)-1]; last[0] != "1" || last[1] != "20" {
		t.Errorf("last CSV row: got %q; want eta 1, epoch 20", last)
	}
	if !strings.Contains(stdout.String(), "interrupted after epoch 20") {
		t.Errorf("summary does not mark the interrupted run:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Errorf("index.html not written after the interrupt: %v", err)
	}
}

// A signal that comes while a learning rate's last epoch runs (Train has no
// epoch left to stop at) must not start the next learning rate: the run
// ends there, saying which were not started.
func TestSpiralSignalBetweenRuns(t *testing.T) {
	needLab(t, labPlain)
	afterEachTraining = func(in *interrupter) { in.handle(syscall.SIGINT) }
	t.Cleanup(func() { afterEachTraining = nil })
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := runWithStop(t, []string{"-exp", "spiral", "-epochs", "5", "-q", "-plot=false", "-out", out}, &stdout, &stderr, func() bool { return false })
	if code != 130 {
		t.Fatalf("exit code: got %d; want 130\nstderr: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "after eta=0.2 had finished; eta 1, 5 not started") {
		t.Errorf("stderr: got %q; want it to say that eta 1 and 5 were not started", stderr.String())
	}
	if rows := len(csvRows(t, filepath.Join(out, "spiral.csv"))) - 1; rows != 6 {
		t.Errorf("spiral.csv: got %d rows; want 6 (eta 0.2, epochs 0–5)", rows)
	}
}

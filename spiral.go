package main

// The spiral experiment (Assignment 1, optional part): three interleaved
// spiral arms, a 2-10-3 network, and the same training for three learning
// rates to show what the step size does (0.2 is slow, 1 works, 5 is too big).

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// The data set's recipe, the lab template's.
const (
	spiralClasses   = 3
	spiralPerClass  = 100
	spiralMaxRadius = 2.5
	spiralNoise     = 0.2 // standard deviation of the angle noise
)

// spiralEtas are the learning rates the experiment compares.
var spiralEtas = []float64{0.2, 1, 5}

// linspace returns the j-th of n evenly spaced values from a to b (both
// included), computed as numpy's linspace computes it, so that the values
// are numpy's to the bit: j·step + a with step = (b − a)/(n − 1), rounded
// after the product and after the sum, and the last value set to b.
// (a + (b − a)·j/(n − 1) is the same number on paper but rounds otherwise.)
func linspace(a, b float64, n, j int) float64 {
	if n == 1 {
		return a
	}
	if j == n-1 {
		return b
	}
	step := (b - a) / float64(n-1)
	return float64(float64(j)*step) + a
}

// SpiralData draws perClass points for each of the classes spiral arms from
// rng. Arm i has radius r = linspace(0, 2.5) and angle θ = linspace(4i,
// 4(i+1)) plus 0.2·N(0,1) noise; its points are (r·sin θ, r·cos θ), in order
// of r, with one-hot targets. The noise is drawn arm by arm, point by point.
func SpiralData(rng NormalSource, classes, perClass int) (X, T *Matrix) {
	X = NewMatrix(classes*perClass, 2)
	T = NewMatrix(classes*perClass, classes)
	for i := 0; i < classes; i++ {
		for j := 0; j < perClass; j++ {
			r := linspace(0, spiralMaxRadius, perClass, j)
			// numpy: linspace(4i, 4(i+1), N) + randn(N)·0.2, each product
			// rounded before the sum (no fused multiply-add).
			theta := linspace(4*float64(i), 4*float64(i+1), perClass, j) + float64(rng.NormFloat64()*spiralNoise)
			row := i*perClass + j
			X.Set(row, 0, r*math.Sin(theta))
			X.Set(row, 1, r*math.Cos(theta))
			T.Set(row, i, 1)
		}
	}
	return X, T
}

// SpiralSets returns the lab's training and test sets (300 points each):
// one generator seeded with seed draws the training set, then the test set.
func SpiralSets(seed uint32) (Xtrain, Ttrain, Xtest, Ttest *Matrix) {
	rng := newRNG(seed)
	Xtrain, Ttrain = SpiralData(rng, spiralClasses, spiralPerClass)
	Xtest, Ttest = SpiralData(rng, spiralClasses, spiralPerClass)
	return
}

// NewSpiralNet is the lab's spiral network: Linear_1 (2→10), ReLU_1,
// Linear_OUT (10→3), Softmax_OUT, trained with the plain cross-entropy.
//
// Its weights are drawn from rng (the lab: a fresh RandomState(1234) for
// each learning rate).
func NewSpiralNet(rng NormalSource) *MLP {
	return NewMLP(2, []Layer{
		NewLinearLayer(2, 10, rng, "Linear_1"),
		NewReLULayer("ReLU_1"),
		NewLinearLayer(10, spiralClasses, rng, "Linear_OUT"),
		NewSoftmaxLayer("Softmax_OUT"),
	}, NewLossCrossEntropy("CE"), nil)
}

// stallEpochs is how long the training loss must stay put before a run is
// called stalled, and stallRelChange how little it may move meanwhile.
const (
	stallEpochs    = 100
	stallRelChange = 1e-9
)

// spiralResult is one learning rate's run, judged.
type spiralResult struct {
	Eta      float64
	Run      *RunInfo
	Diverged *DivergenceError // nil unless the run went non-finite
	Best     *EpochInfo       // the first epoch of the best test accuracy (nil: no epoch has one)

	// Stalled says that the run ended in a stretch without movement, from
	// epoch StalledSince on.
	Stalled      bool
	StalledSince int

	Confusion *Confusion // of the final network on the test set
	// MistakeScale is the largest mistake of all the runs' confusion
	// matrices, which sit side by side on the page: each is drawn with
	// that end of its red scale (set once every run is done).
	MistakeScale int

	// Dead of Units hidden ReLUs output 0 on every training sample at the
	// end: they get no gradient and never come back (the usual way a net
	// breaks down without a NaN).
	Dead, Units int
}

// judgeRun fills in a result's best epoch and stall.
func judgeRun(res *spiralResult) {
	res.Best = nil
	for _, e := range res.Run.Epochs {
		if !math.IsNaN(e.AccTest) && (res.Best == nil || e.AccTest > res.Best.AccTest) {
			res.Best = &e
		}
	}
	res.StalledSince, res.Stalled = stalledSince(res.Run)
}

// stalledSince returns the first epoch from which the training loss stayed
// within a relative stallRelChange of its final value, and true, when that
// stretch covers at least stallEpochs epochs (false otherwise). A net whose
// ReLUs all died (or whose softmax saturated) stops moving without ever
// producing a NaN; this is how the summary tells.
func stalledSince(ri *RunInfo) (epoch int, ok bool) {
	n := len(ri.Epochs)
	if n == 0 {
		return 0, false
	}
	last := ri.Epochs[n-1].LossTrain
	if math.IsNaN(last) || math.IsInf(last, 0) {
		return 0, false
	}
	tol := stallRelChange * math.Max(math.Abs(last), math.SmallestNonzeroFloat64)
	k := n - 1
	for k > 0 && math.Abs(ri.Epochs[k-1].LossTrain-last) <= tol {
		k--
	}
	if ri.Epochs[n-1].Epoch-ri.Epochs[k].Epoch < stallEpochs {
		return 0, false
	}
	return ri.Epochs[k].Epoch, true
}

// deadUnits counts the units of the ReLU layer named relu that output 0 for
// every row of X: such units get no gradient and never come back.
func deadUnits(net *MLP, X *Matrix, relu string) (dead, units int) {
	H, err := net.PropagateTo(X, false, relu)
	if err != nil {
		return 0, 0
	}
	for j := 0; j < H.Cols; j++ {
		alive := false
		for i := 0; i < H.Rows && !alive; i++ {
			alive = H.At(i, j) != 0
		}
		if !alive {
			dead++
		}
	}
	return dead, H.Cols
}

// minFallPoints is how far (in percentage points) the final test accuracy
// must lie below the run's best before the summary mentions it.
const minFallPoints = 5

// note says what happened to a run besides its figures ("" when nothing did).
func (r *spiralResult) note() string {
	if r.Diverged != nil {
		s := fmt.Sprintf("diverged at epoch %d (%s)", r.Diverged.Epoch, r.Diverged.What)
		if e, ok := lastFiniteEpoch(r.Run); ok && e.Epoch > 0 {
			s += fmt.Sprintf("; last finite epoch %d: test accuracy %.2f%%", e.Epoch, 100*e.AccTest)
		}
		return s
	}
	var parts []string
	if r.Run.Stopped {
		parts = append(parts, fmt.Sprintf("interrupted after epoch %d", r.Run.Last().Epoch))
	}
	if r.Stalled {
		parts = append(parts, fmt.Sprintf("stalled since epoch %d (training loss %.6g, unchanged to %g)", r.StalledSince, r.Run.Last().LossTrain, stallRelChange))
	} else if r.Best != nil && 100*(r.Best.AccTest-r.Run.Last().AccTest) >= minFallPoints {
		parts = append(parts, fmt.Sprintf("unsteady: test accuracy fell from its best %s (epoch %d) to %s", pct(r.Best.AccTest), r.Best.Epoch, pct(r.Run.Last().AccTest)))
	}
	// Half the hidden layer dead is worth saying even when the run moves:
	// the net is then much smaller than it was built.
	if r.Units > 0 && (2*r.Dead >= r.Units || (r.Dead > 0 && r.Stalled)) {
		parts = append(parts, fmt.Sprintf("%d of %d hidden ReLUs dead on every training sample", r.Dead, r.Units))
	}
	return strings.Join(parts, "; ")
}

// lastFiniteEpoch returns the last recorded epoch whose training loss is
// finite. (When the evaluation after an epoch finds the loss infinite,
// that epoch is recorded too: it finished, with loss +Inf.)
func lastFiniteEpoch(ri *RunInfo) (EpochInfo, bool) {
	for i := len(ri.Epochs) - 1; i >= 0; i-- {
		if finite(ri.Epochs[i].LossTrain) {
			return ri.Epochs[i], true
		}
	}
	return EpochInfo{}, false
}

// spiralTable is the summary as rows of text: a diverged run shows no final
// figures (they would be those of a broken network, not a result), a run
// with no test accuracy no best one.
func spiralTable(results []*spiralResult) (header []string, rows [][]string) {
	header = []string{"eta", "epochs", "loss train", "acc train", "loss test", "acc test", "best test acc", "at epoch", "dead ReLUs"}
	for _, r := range results {
		last := r.Run.Last()
		row := []string{etaLabel(r.Eta), strconv.Itoa(last.Epoch)}
		if r.Diverged != nil {
			rows = append(rows, append(row, "diverged", "—", "—", "—", "—", "—", "—"))
			continue
		}
		row = append(row, fmt.Sprintf("%.4f", last.LossTrain), pct(last.AccTrain), fmt.Sprintf("%.4f", last.LossTest), pct(last.AccTest))
		if r.Best != nil {
			row = append(row, pct(r.Best.AccTest), strconv.Itoa(r.Best.Epoch))
		} else {
			row = append(row, "—", "—")
		}
		row = append(row, fmt.Sprintf("%d/%d", r.Dead, r.Units))
		rows = append(rows, row)
	}
	return header, rows
}

// bestSpiral returns the run with the best final test accuracy among those
// that did not diverge (nil when all did).
func bestSpiral(results []*spiralResult) *spiralResult {
	var best *spiralResult
	for _, r := range results {
		if r.Diverged == nil && (best == nil || r.Run.Last().AccTest > best.Run.Last().AccTest) {
			best = r
		}
	}
	return best
}

// writeSpiralSummary prints the summary table, then a line per run that
// diverged or stalled, then the best learning rate.
func writeSpiralSummary(w io.Writer, results []*spiralResult) {
	// Columns two spaces apart, padded to their widest cell (tabwriter
	// counts runes: "—" is one column wide); the last is not padded, so no
	// line ends in spaces.
	header, rows := spiralTable(results)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range append([][]string{header}, rows...) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	for _, r := range results {
		if n := r.note(); n != "" {
			fmt.Fprintf(w, "eta=%s: %s\n", etaLabel(r.Eta), n)
		}
	}
	for _, r := range results {
		if r.Diverged == nil && r.Confusion != nil {
			fmt.Fprintf(w, "eta=%s per-class test accuracy: %s\n", etaLabel(r.Eta), r.Confusion.ClassAccuracies())
		}
	}
	if len(results) > 1 {
		if b := bestSpiral(results); b != nil {
			fmt.Fprintf(w, "best: eta=%s, final test accuracy %s\n", etaLabel(b.Eta), pct(b.Run.Last().AccTest))
		} else {
			fmt.Fprintln(w, "every learning rate diverged: no result")
		}
	}
}

// writeSpiralCSV writes every run in long form: one row per learning rate
// and recorded epoch, the initial network (epoch 0) included. A diverged
// run's rows stop at its last finished epoch.
func writeSpiralCSV(w io.Writer, results []*spiralResult) error {
	var rows [][]string
	for _, r := range results {
		for _, e := range r.Run.Epochs {
			rows = append(rows, []string{formatFloat(r.Eta), strconv.Itoa(e.Epoch),
				formatFloat(e.LossTrain), formatFloat(e.AccTrain), formatFloat(e.LossTest), formatFloat(e.AccTest)})
		}
	}
	return writeCSV(w, []string{"eta", "epoch", "loss_train", "acc_train", "loss_test", "acc_test"}, rows...)
}

// judgeSpiral judges one learning rate's training: net, trained with eta
// on the training set X, ended as ri with the error trainErr. It returns an
// error only for a bad configuration; divergence is part of the result.
func judgeSpiral(eta float64, net *MLP, ri *RunInfo, trainErr error, X, Xt, Tt *Matrix) (*spiralResult, error) {
	res := &spiralResult{Eta: eta, Run: ri}
	if trainErr != nil && !errors.As(trainErr, &res.Diverged) {
		return nil, trainErr
	}
	judgeRun(res)
	res.Dead, res.Units = deadUnits(net, X, "ReLU_1")
	res.Confusion = ConfusionOf(net, Xt, Tt)
	return res, nil
}

// runSpiral is the experiment's entry in main.go's table.
func runSpiral(r *runState) error { return r.compare(spiralPlan(r.settings)) }

// spiralPlan is what the spiral experiment brings to the pipeline's
// comparison: the two sets, the lab's network, and for each learning rate
// (the lab's three, or -eta's) its judgement, files and pictures, then the
// comparison's table, charts and page.
func spiralPlan(s settings) *comparePlan {
	etas := spiralEtas
	if s.etaSet {
		etas = []float64{s.eta}
	}
	X, T, Xt, Tt := SpiralSets(s.seed)
	var results []*spiralResult
	return &comparePlan{
		etas: etas,
		data: func(io.Writer) (*trainData, error) {
			needs := netNeeds([]int{2, 10, spiralClasses}, s.batch, X.Rows)
			for range etas {
				needs = append(needs, runInfoNeed(s.epochs, 2))
			}
			return &trainData{X: X, T: T, XTest: Xt, TTest: Tt}, checkMemory(needs, "train fewer epochs")
		},
		newNet: NewSpiralNet,
		header: func(w io.Writer) {
			fmt.Fprintf(w, "Spirals: %d classes × %d points, %d for training and %d for testing; %d epochs, batch %d, eta %s, seed %d\n%v",
				spiralClasses, spiralPerClass, X.Rows, Xt.Rows, s.epochs, s.batch, joinEtas(etas), s.seed, NewSpiralNet(newRNG(s.seed)))
		},
		every: 100,
		judge: func(out *outputs, eta float64, net *MLP, ri *RunInfo, trainErr error) ([]outputJob, error) {
			res, err := judgeSpiral(eta, net, ri, trainErr, X, Xt, Tt)
			if err != nil {
				return nil, err
			}
			results = append(results, res)
			jobs := []outputJob{fileJob(out, spiralFile(eta, "confusion.csv"), res.Confusion.WriteCSV)}
			if s.plot {
				jobs = append(jobs, spiralRunJobs(out, res, net, X, T)...)
			}
			return jobs, nil
		},
		files: func(out *outputs) []outputJob {
			// The confusion matrices sit side by side on the page: each is
			// drawn with the largest mistake of all as the end of its scale.
			shared := 0
			for _, r := range results {
				if r.Confusion != nil {
					shared = max(shared, r.Confusion.largestMistake().N)
				}
			}
			for _, r := range results {
				r.MistakeScale = shared
			}
			jobs := []outputJob{fileJob(out, "spiral.csv", func(w io.Writer) error { return writeSpiralCSV(w, results) })}
			if s.plot {
				jobs = append(jobs, spiralPageJobs(s, out, results)...)
			}
			return jobs
		},
		summary: func(w io.Writer) error {
			writeSpiralSummary(w, results)
			switch {
			case bestSpiral(results) == nil && len(results) == 1:
				return fmt.Errorf("training with eta=%s diverged, see the summary", etaLabel(results[0].Eta))
			case bestSpiral(results) == nil:
				return errors.New("every learning rate diverged, see the summary")
			}
			return nil
		},
	}
}

// spiralFile names a picture of one learning rate's run.
func spiralFile(eta float64, what string) string {
	return "spiral_eta" + etaLabel(eta) + "_" + what
}

// spiralRunJobs are one run's decision map, confusion matrix and charts.
func spiralRunJobs(out *outputs, res *spiralResult, net *MLP, X, T *Matrix) []outputJob {
	title := "Spirals, eta = " + etaLabel(res.Eta)
	wc := weightChart(res.Run)
	wc.Title = title + ": mean |W| relative to the initial net"
	return []outputJob{
		fileJob(out, spiralFile(res.Eta, "map.svg"), func(w io.Writer) error { return decisionMapSVG(w, net, X, T, title+", training set") }),
		fileJob(out, spiralFile(res.Eta, "confusion.svg"), func(w io.Writer) error { return res.Confusion.WriteSVGShared(w, title+": test set", res.MistakeScale) }),
		fileJob(out, spiralFile(res.Eta, "acc.svg"), accuracyChart(res.Run, title+": accuracy").WriteSVG),
		fileJob(out, spiralFile(res.Eta, "loss.svg"), lossChart(res.Run, title+": loss").WriteSVG),
		fileJob(out, spiralFile(res.Eta, "weights.svg"), wc.WriteSVG),
	}
}

// spiralPageJobs are the comparison charts, the run record and the page.
func spiralPageJobs(s settings, out *outputs, results []*spiralResult) []outputJob {
	acc := &LineChart{Title: "Spirals: test accuracy per learning rate", XLabel: "epoch", YLabel: "test accuracy (%)", YMin: 0, YMax: 100}
	loss := &LineChart{Title: "Spirals: training loss per learning rate", XLabel: "epoch", YLabel: "mean cross-entropy (training set)", AutoLogY: true}
	const cmp = "All learning rates"
	pictures := []picture{
		{File: "spiral_test_acc.svg", Caption: "Test accuracy per epoch, one line per learning rate: which eta gets highest, and which is still climbing at the end.", Group: cmp},
		{File: "spiral_train_loss.svg", Caption: "Training loss per epoch, one line per learning rate: too small an eta falls slowly, too large a one stalls or jumps.", Group: cmp},
	}
	var runPictures []picture // each rate's own group, after the comparison's
	var etas []float64        // the rates trained
	var notes []string
	files := []string{"spiral.csv"}
	for _, r := range results {
		g := "eta = " + etaLabel(r.Eta)
		name := g
		if r.Diverged != nil {
			name += fmt.Sprintf(" (diverged at epoch %d)", r.Diverged.Epoch)
		} else if r.Stalled {
			name += fmt.Sprintf(" (stalled from epoch %d)", r.StalledSince)
		}
		acc.Series = append(acc.Series, epochSeries(name, r.Run, func(e EpochInfo) float64 { return 100 * e.AccTest }))
		loss.Series = append(loss.Series, epochSeries(name, r.Run, func(e EpochInfo) float64 { return e.LossTrain }))
		etas = append(etas, r.Eta)
		files = append(files, spiralFile(r.Eta, "confusion.csv"))
		if n := r.note(); n != "" {
			notes = append(notes, g+": "+n)
		}
		pictures = append(pictures, picture{File: spiralFile(r.Eta, "confusion.svg"), Caption: r.Confusion.Caption(g + ", test set"), Group: cmp})
		runPictures = append(runPictures,
			picture{File: spiralFile(r.Eta, "map.svg"), Caption: "Predicted class over the plane (step 0.02), training samples on top: the regions should follow the three arms; red rings mark misclassified samples.", Group: g},
			picture{File: spiralFile(r.Eta, "acc.svg"), Caption: "Training and test accuracy per epoch: a gap between the two is overfitting; a shaded band, a net that alternates every epoch.", Group: g},
			picture{File: spiralFile(r.Eta, "loss.svg"), Caption: "Training and test loss per epoch: it should fall and level off; a line flat from early on means a stuck net.", Group: g},
			picture{File: spiralFile(r.Eta, "weights.svg"), Caption: "Mean |W| per linear layer, relative to the initial net: how far and how fast training moves the weights.", Group: g})
	}
	if b := bestSpiral(results); b != nil && len(results) > 1 {
		notes = append(notes, fmt.Sprintf("best: eta = %s, final test accuracy %s", etaLabel(b.Eta), pct(b.Run.Last().AccTest)))
	}
	header, rows := spiralTable(results)
	rec := &runRecord{
		Experiment: "spiral",
		Title:      "Spirals: three learning rates",
		Settings: []field{
			{"data", fmt.Sprintf("%d spiral arms × %d points; training and test set of %d each", spiralClasses, spiralPerClass, spiralClasses*spiralPerClass)},
			{"network", "Linear_1 (2→10), ReLU_1, Linear_OUT (10→3), Softmax_OUT; plain cross-entropy"},
			{"epochs", strconv.Itoa(s.epochs)},
			{"batch", strconv.Itoa(s.batch)},
			{"eta", joinEtas(etas)},
			{"seed", strconv.FormatUint(uint64(s.seed), 10)},
		},
		Header: header, Rows: rows, Files: files, Notes: notes, Pictures: append(pictures, runPictures...),
	}
	return []outputJob{fileJob(out, "spiral_test_acc.svg", acc.WriteSVG), fileJob(out, "spiral_train_loss.svg", loss.WriteSVG), pageJob(out, rec)}
}

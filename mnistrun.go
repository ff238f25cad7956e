package main

// The MNIST experiment (Assignment 3 and the optional parts): the lab's deep
// network trained with the fused loss, or with -naive the Assignment 1
// pipeline, watched for the first non-finite value.

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NewMNISTNet is the lab's MNIST network: Linear_1 (784→h₁), ReLU_1, then
// Linear_k and ReLU_k for every further hidden width, and Linear_OUT (→10).
// The stable pipeline trains on the logits with the fused loss and applies
// Softmax_OUT only for predictions; the naive one (Assignment 1) has
// Softmax_OUT inside the network and the plain cross-entropy.
func NewMNISTNet(hidden []int, naive bool, rng NormalSource) *MLP {
	var layers []Layer
	in := mnistPixels
	for i, h := range hidden {
		k := strconv.Itoa(i + 1)
		layers = append(layers, NewLinearLayer(in, h, rng, "Linear_"+k), NewReLULayer("ReLU_"+k))
		in = h
	}
	layers = append(layers, NewLinearLayer(in, mnistClasses, rng, "Linear_OUT"))
	if naive {
		layers = append(layers, NewSoftmaxLayer("Softmax_OUT"))
		return NewMLP(mnistPixels, layers, NewLossCrossEntropy("CE"), nil)
	}
	return NewMLP(mnistPixels, layers, NewLossCrossEntropyForSoftmaxLogits("CE_logits"), []Layer{NewSoftmaxLayer("Softmax_OUT")})
}

// runMNIST is the experiment's entry in main.go's table: the download
// (-download) comes first, before signals are caught, then the pipeline.
func runMNIST(r *runState) error {
	if r.download {
		dir := mnistDir(r.dataDir)
		removeStaleTemps(dir) // of downloads that were killed
		if err := downloadMNIST(dir, mnistFiles, mnistMirrors, newHTTPClient(), r.stdout); err != nil {
			return err
		}
	}
	return r.train(mnistPlan(r.settings))
}

// mnistPlan is what the MNIST experiment brings to the pipeline: the data
// set, weighed before it is read, the lab's deep network, the margin
// watched every epoch, the breakdown located, and its charts and digits.
func mnistPlan(s settings) *trainPlan {
	dir := mnistDir(s.dataDir)
	pipeline, name := "stable (fused softmax + cross-entropy on logits)", "mnist"
	if s.naive {
		pipeline, name = "naive (Softmax layer + plain cross-entropy, Assignment 1)", "mnist_naive"
	}
	var data *MNIST
	var margin *marginWatch
	return &trainPlan{
		name: name,
		data: func(w io.Writer) (*trainData, error) {
			t0 := time.Now()
			src, err := openMNIST(dir)
			if err != nil {
				return nil, err
			}
			defer src.Close()
			if err := checkMemory(src.runNeeds(s), "use narrower or fewer hidden layers (-hidden), a smaller -batch, fewer images (-limit) or fewer epochs"); err != nil {
				return nil, err
			}
			if data, err = src.load(s.limit); err != nil {
				return nil, err
			}
			fmt.Fprintf(w, "MNIST from %s: %d of %d training images, %d test images (read and standardized in %s)\n",
				dir, data.XTrain.Len(), data.TrainTotal, data.XTest.Len(), time.Since(t0).Round(time.Millisecond))
			return &trainData{X: data.XTrain, T: data.TTrain, XTest: data.XTest, TTest: data.TTest}, nil
		},
		newNet: func(rng NormalSource) *MLP { return NewMNISTNet(s.hidden, s.naive, rng) },
		header: func(w io.Writer) {
			fmt.Fprintf(w, "%s pipeline: %d epochs, batch %d, eta %g, seed %d; %s kernels%s\n", pipeline, s.epochs, s.batch, s.eta, s.seed, KernelName(),
				kernelHint(KernelName(), runtime.GOARCH, os.Getenv("BACKPROP_KERNELS")))
		},
		watch: func(net *MLP, w *trainWatch) {
			margin = newMarginWatch(net)
			margin.first = w.FirstEpoch
			w.TrainLogits, w.AfterEpoch = margin.observe, margin.afterEpoch
		},
		csvs: func(t *trained) []csvWriter {
			return []csvWriter{{name + ".csv", t.ri.WriteCSV}, {name + "_weights.csv", t.ri.WriteWeightsCSV}, {name + "_margin.csv", margin.WriteCSV}}
		},
		report: func(w io.Writer, t *trained) []string {
			return mnistReport(w, s, data, margin, t)
		},
		pictures: func(out *outputs, t *trained) []outputJob {
			return mnistPageJobs(s, out, name, pipeline, data, t)
		},
	}
}

// runNeeds is everything an MNIST run with the settings s will hold, as
// the headers declare the data set: weighed before any of it is allocated.
func (src *mnistSource) runNeeds(s settings) []memNeed {
	widths := append(append([]int{mnistPixels}, s.hidden...), mnistClasses)
	nn := netNeeds(widths, s.batch, src.used(s.limit))
	needs := append(src.dataNeeds(s.limit), nn...)
	// A breakdown is located by running its batch again, every layer's
	// output and delta kept: as much again as training's buffers (nn[1]).
	needs = append(needs, memNeed{"locating a breakdown", nn[1].bytes})
	return append(needs, runInfoNeed(s.epochs, len(widths)-1))
}

// mnistReport prints the run's figures, or the breakdown located, with the
// margin, and returns them as the page's notes.
func mnistReport(w io.Writer, s settings, data *MNIST, watch *marginWatch, t *trained) (notes []string) {
	if de := t.diverged; de != nil {
		diag := diagnoseDivergence(t.net, data.XTrain, data.TTrain, s.batch, de)
		fmt.Fprintf(w, "\nBREAKDOWN: %s\n%s\n", de, diag)
		notes = append(notes, "BREAKDOWN: "+de.Error(), diag)
		if len(watch.epochs) > 0 {
			fmt.Fprintf(w, "before it: %s\n", watch.summary())
			notes = append(notes, "before it: "+watch.summary())
		}
		return notes
	}
	// Every figure is of the network the run ends with: a stop comes at
	// the end of an epoch, so the last row describes it.
	last := t.ri.Last()
	fmt.Fprintf(w, "\nafter %d epochs: accuracy train %.2f%%, test %.2f%% (loss train %.4f, test %.4f)\n",
		last.Epoch, 100*last.AccTrain, 100*last.AccTest, last.LossTrain, last.LossTest)
	if note, ok := earlyRiseNote(t.ri, batchesPerEpoch(data.XTrain.Len(), s.batch), s.eta); ok {
		fmt.Fprintf(w, "note: %s\n", note)
		notes = append(notes, "Note: "+note)
	}
	fmt.Fprintln(w, "test accuracy per class:")
	t.conf.Summary(w)
	if len(watch.epochs) > 0 {
		fmt.Fprintf(w, "no non-finite value anywhere. margin: %s\n", watch.summary())
		notes = append(notes, "No non-finite value anywhere. Margin: "+watch.summary())
	}
	return notes
}

// mnistDigitsShown is how many test images the digit grid shows: the first
// half of them in order, then the first misclassified ones.
const mnistDigitsShown = 64

// mnistPageJobs are the MNIST charts, the digit grid, the run record and
// the page.
func mnistPageJobs(s settings, out *outputs, name, pipeline string, data *MNIST, t *trained) []outputJob {
	net, ri, conf := t.net, t.ri, t.conf
	title := "MNIST"
	if s.naive {
		title = "MNIST, naive pipeline"
	}
	wc := weightChart(ri)
	wc.Title = title + ": mean |W| relative to the initial net"
	images, pred, truth := digitSample(net, data.XTest, data.TTest, mnistDigitsShown)
	for i, x := range images {
		images[i] = data.Pixels(x)
	}
	last := ri.Last()
	rec := &runRecord{
		Experiment: name,
		Title:      title,
		Settings: []field{
			{"data", fmt.Sprintf("%d training images (of %d), %d test images, standardized per pixel", data.XTrain.Len(), data.TrainTotal, data.XTest.Len())},
			{"network", architecture(net)},
			{"pipeline", pipeline},
			{"epochs", strconv.Itoa(s.epochs)},
			{"batch", strconv.Itoa(s.batch)},
			{"eta", etaLabel(s.eta)},
			{"seed", strconv.FormatUint(uint64(s.seed), 10)},
		},
		Header: []string{"epochs", "loss train", "acc train", "loss test", "acc test"},
		Rows: [][]string{{strconv.Itoa(last.Epoch), fmt.Sprintf("%.4f", last.LossTrain), pct(last.AccTrain),
			fmt.Sprintf("%.4f", last.LossTest), pct(last.AccTest)}},
		Notes: t.notes,
		Pictures: []picture{
			{File: name + "_acc.svg", Caption: "Training and test accuracy per epoch: a widening gap between the two is overfitting."},
			{File: name + "_loss.svg", Caption: "Training and test loss per epoch: both should fall; a test loss that turns up while the training loss falls is overfitting."},
			{File: name + "_weights.svg", Caption: "Mean |W| of every linear layer, divided by its initial value: a layer whose weights do not move does not learn."},
			{File: name + "_confusion.svg", Caption: conf.Caption("Test set")},
			{File: name + "_digits.png", Caption: "Test images, the first ones and then the first misclassified: look at what the net confuses, and whether you would too.", Wide: true},
		},
		Files: []string{name + ".csv", name + "_weights.csv", name + "_margin.csv", name + "_confusion.csv"},
	}
	if t.diverged != nil {
		rec.Rows[0] = []string{strconv.Itoa(last.Epoch), "diverged", "—", "—", "—"}
	}
	if ri.Stopped {
		rec.Notes = append(rec.Notes, fmt.Sprintf("interrupted after epoch %d", last.Epoch))
	}
	return []outputJob{
		fileJob(out, name+"_acc.svg", accuracyChart(ri, title+": accuracy").WriteSVG),
		fileJob(out, name+"_loss.svg", lossChart(ri, title+": loss").WriteSVG),
		fileJob(out, name+"_weights.svg", wc.WriteSVG),
		fileJob(out, name+"_confusion.svg", func(w io.Writer) error { return conf.WriteSVG(w, title+": test set") }),
		fileJob(out, name+"_digits.png", func(w io.Writer) error { return digitGridPNG(w, images, pred, truth, 8) }),
		pageJob(out, rec),
	}
}

// digitSample picks n test images for the digit grid: the first n/2, then
// misclassified ones (or more of the first when there are too few), with
// the network's predictions and the true labels.
func digitSample(net *MLP, X RowSource, T *Matrix, n int) (images [][]float64, pred, truth []shownClass) {
	n = min(n, X.Len())
	// The predictions through the chunked pass: Propagate on the whole test
	// set would hold every layer's output for 10,000 images at once (60 MB,
	// the largest peak of memory in a run).
	all := make([]shownClass, X.Len())
	net.evalPass(X, T, func(i0 int, _, _, P, _ *Matrix) {
		for r := 0; r < P.Rows; r++ {
			all[i0+r] = classOf(P, r)
		}
	})
	var picked []int
	for i := 0; i < n/2; i++ {
		picked = append(picked, i)
	}
	for i := n / 2; i < X.Len() && len(picked) < n; i++ {
		if all[i] != classOf(T, i) {
			picked = append(picked, i)
		}
	}
	for i := n / 2; len(picked) < n; i++ {
		if all[i] == classOf(T, i) {
			picked = append(picked, i)
		}
	}
	rows := takeRows(X, picked...)
	for r, i := range picked {
		images = append(images, rows.Row(r))
		pred = append(pred, all[i])
		truth = append(truth, classOf(T, i))
	}
	return images, pred, truth
}

// architecture is MLP.String on one line, for the page and the run record:
// the same parts in the same order, each by its name, a layer with widths
// (sizedLayer, as BuildMLP chains them) with those: "Linear_1 (784→64),
// ReLU_1, …; loss CE_logits; output Softmax_OUT". It stays out of mlp.go,
// which a student hands in and the grader builds the program with.
func architecture(net *MLP) string {
	var parts []string
	for _, l := range net.Layers {
		part := l.Name()
		if s, ok := l.(sizedLayer); ok {
			in, out := s.Dims()
			part += fmt.Sprintf(" (%d→%d)", in, out)
		}
		parts = append(parts, part)
	}
	s := strings.Join(parts, ", ") + "; loss " + net.Loss.Name()
	for _, l := range net.OutputLayers {
		s += "; output " + l.Name()
	}
	return s
}

// ---------------------------------------------------------------------------
// The margin: how far a run stayed from the numbers where the naive
// pipeline breaks.

// expOverflow is the largest x with a finite exp(x), ≈ 709.78. An unshifted
// softmax overflows once a logit exceeds it. It is also where 1/p overflows:
// p below e^−709.78 ≈ 5.6e−309 makes the plain cross-entropy's delta
// −t/p = −Inf even before p itself underflows to 0 (below e^−745.13).
var expOverflow = math.Log(math.MaxFloat64)

// marginEpoch is the margin measured on the training set after one epoch.
type marginEpoch struct {
	Epoch       int
	MaxAbsLogit float64 // largest |s_k| over every image and class
	MinLogPTrue float64 // smallest log p(true class): from the logits, or the naive network's softmax (chunkMargin)
}

// marginWatch measures the margin after every epoch: Train hands it the
// logits of the training set as it evaluates an epoch (observe, on several
// goroutines at once), then closes the epoch (afterEpoch).
type marginWatch struct {
	head   []Layer // the network's layers after its logits (chunkMargin)
	mu     sync.Mutex
	first  int         // the number of the run's epoch 0 (a resumed network's epochs)
	cur    marginEpoch // the epoch being observed
	epochs []marginEpoch
}

func newMarginWatch(net *MLP) *marginWatch {
	return &marginWatch{head: net.Layers[net.lastParam+1:], cur: marginEpoch{MinLogPTrue: math.Inf(1)}}
}

// observe records the largest |logit| and the smallest true-class
// probability of one chunk of logits S with targets T. Max and min do not
// depend on the order in which the chunks come, NaN included.
func (w *marginWatch) observe(S, T *Matrix) {
	big, low := chunkMargin(S, T, w.head)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cur.MaxAbsLogit = math.Max(w.cur.MaxAbsLogit, big)
	w.cur.MinLogPTrue = math.Min(w.cur.MinLogPTrue, low)
}

// chunkMargin returns the largest |s_k| of the logits S and the smallest
// log p_t over its rows (+Inf where T's row has no class). head are the
// network's layers after its logits. In the naive pipeline (head: its
// Softmax layer) p_t is read from the network's own output, as that
// pipeline computes it: where p_t underflows to 0, log p_t is −Inf, the
// naive pipeline's failure shown as it is. In the fused pipeline (no head),
// log p_t is minus the fused loss of a one-hot target, finite even where
// p_t itself underflows.
func chunkMargin(S, T *Matrix, head []Layer) (largest, minLogP float64) {
	minLogP = math.Inf(1)
	largest = maxAbs(S.Data)
	if len(head) > 0 {
		P := S
		for _, l := range head {
			P = l.Forward(nil, P)
		}
		for r := 0; r < P.Rows; r++ {
			if k, ok := T.ArgmaxRow(r); ok {
				minLogP = math.Min(minLogP, math.Log(P.At(r, k)))
			}
		}
		return largest, minLogP
	}
	L := NewLossCrossEntropyForSoftmaxLogits("margin").Forward(nil, S, T)
	for r := 0; r < S.Rows; r++ {
		if _, ok := T.ArgmaxRow(r); ok {
			minLogP = math.Min(minLogP, -L.Data[r])
		}
	}
	return largest, minLogP
}

// afterEpoch closes the epoch observed since the last call.
func (w *marginWatch) afterEpoch(epoch int) error {
	w.cur.Epoch = w.first + epoch
	w.epochs = append(w.epochs, w.cur)
	w.cur = marginEpoch{MinLogPTrue: math.Inf(1)}
	return nil
}

// summary describes the worst values over all epochs watched.
func (w *marginWatch) summary() string {
	worstLogit, worstP := w.epochs[0], w.epochs[0]
	for _, e := range w.epochs {
		if e.MaxAbsLogit > worstLogit.MaxAbsLogit {
			worstLogit = e
		}
		if e.MinLogPTrue < worstP.MinLogPTrue {
			worstP = e
		}
	}
	return fmt.Sprintf("largest |logit| %.4g (epoch %d) against exp's overflow point %.2f; smallest true-class probability %s (epoch %d), where the plain cross-entropy breaks below e^-%.2f",
		worstLogit.MaxAbsLogit, worstLogit.Epoch, expOverflow, formatLogProb(worstP.MinLogPTrue), worstP.Epoch, expOverflow)
}

// formatLogProb prints p = e^lp, also when p underflows float64.
func formatLogProb(lp float64) string {
	if p := math.Exp(lp); p > 1e-300 {
		return fmt.Sprintf("%.3g = e^%.4g", p, lp)
	}
	return fmt.Sprintf("e^%.4g", lp)
}

// WriteCSV writes the margin per epoch: epoch, max_abs_logit,
// min_log_p_true (natural log of the smallest true-class probability).
func (w *marginWatch) WriteCSV(out io.Writer) error {
	rows := make([][]string, len(w.epochs))
	for i, e := range w.epochs {
		rows[i] = []string{strconv.Itoa(e.Epoch), formatFloat(e.MaxAbsLogit), formatFloat(e.MinLogPTrue)}
	}
	return writeCSV(out, []string{"epoch", "max_abs_logit", "min_log_p_true"}, rows...)
}

package main

// Mini-batch stochastic gradient descent and the run info it records.

import (
	"fmt"
	"math"
	"time"
)

// TrainConfig holds the settings of one training run.
type TrainConfig struct {
	BatchSize int     // samples per step; the last batch of an epoch may be smaller
	Epochs    int     // passes over the training set (0 only evaluates)
	Eta       float64 // learning rate: every step adds −Eta·grad
	// Shuffle reorders the samples every epoch (off in the lab: batches in
	// order) by Rand.Shuffle of 0…n−1, the order numpy's
	// rng.permutation(n) gives when Rand is the experiment's generator.
	Shuffle bool
	Rand    *RandomState

	XTest RowSource // optional test set, evaluated after every epoch
	TTest *Matrix

	// Watch is how the program watches and steers a run: progress lines,
	// stops, observers of the logits and of every epoch, the epochs and
	// weights a resumed network continues from, the clock (progress.go).
	// Its zero value trains silently to the end.
	Watch trainWatch
}

// EpochInfo is the run info after one epoch (epoch 0: the initial network).
type EpochInfo struct {
	Epoch               int
	LossTrain, AccTrain float64
	LossTest, AccTest   float64   // NaN without a test set
	WeightAmp           []float64 // per linear layer: mean |W| / mean |W| of the initial network
	Elapsed             time.Duration
}

// RunInfo is what a training run records.
type RunInfo struct {
	Linear  []string // names of the linear layers, in order (the WeightAmp columns)
	HasTest bool
	Epochs  []EpochInfo
	// Stopped is set when cfg.Watch.Stop ended training early (always at the
	// end of an epoch).
	Stopped bool
}

// Last returns the last recorded epoch.
func (ri *RunInfo) Last() EpochInfo { return ri.Epochs[len(ri.Epochs)-1] }

// DivergenceError reports the first non-finite value training met. A
// non-finite gradient stops training before the step is applied, so the
// network is left exactly as it was when that batch went in (useful for a
// post-mortem). A parameter that overflows although its gradient was finite
// is found after the step, and stays in the network (Applied).
//
// Training meets it in one of two places: in a step (a gradient or a
// parameter; Batch says which step) or, with InEvaluation, in the
// evaluation after the epoch (the training loss; no batch: Batch is 0).
type DivergenceError struct {
	Epoch        int    // 1-based epoch in which it happened
	Batch        int    // 0-based batch within that epoch, unless InEvaluation
	InEvaluation bool   // found by the evaluation after the epoch, not in a step
	What         string // what became non-finite
	Applied      bool   // the step was applied: a parameter overflowed
	// Rows are the training set's rows of the batch, in the order it took
	// them, when the samples were shuffled (nil: rows Batch·BatchSize on).
	Rows []int
}

func (e *DivergenceError) Error() string {
	if e.InEvaluation {
		return fmt.Sprintf("diverged at epoch %d (%s)", e.Epoch, e.What)
	}
	return fmt.Sprintf("diverged at epoch %d, batch %d (%s)", e.Epoch, e.Batch, e.What)
}

// Train runs mini-batch SGD on (X, T) and records the run info for the
// initial network and after every epoch. It returns a *DivergenceError when
// a gradient, a parameter or the training loss stops being finite; the run
// info then holds every epoch finished before that. The inputs X, a matrix
// or rows made on demand, are read a batch at a time (rowReader).
func Train(net *MLP, X RowSource, T *Matrix, cfg TrainConfig) (*RunInfo, error) {
	cfg.XTest = nilRows(cfg.XTest)
	if err := checkTrainConfig(net, X, T, cfg); err != nil {
		return nil, err
	}
	clock := cfg.Watch.clockOrNow()
	start := clock()
	meter := newMeter(cfg, clock, start)
	ri := &RunInfo{HasTest: cfg.XTest != nil}
	var linears []*LinearLayer
	for _, l := range net.Layers {
		if ll, ok := l.(*LinearLayer); ok {
			linears = append(linears, ll)
			ri.Linear = append(ri.Linear, ll.Name())
		}
	}
	initAmp := make([]float64, len(linears))
	for i, l := range linears {
		initAmp[i] = l.W.MeanAbs()
	}
	if len(cfg.Watch.WeightAmpRef) == len(linears) {
		copy(initAmp, cfg.Watch.WeightAmpRef)
	}
	record := func(epoch int) EpochInfo {
		e := EpochInfo{Epoch: epoch, LossTest: math.NaN(), AccTest: math.NaN(), WeightAmp: make([]float64, len(linears))}
		e.LossTrain, e.AccTrain = net.evalStats(X, T, cfg.Watch.TrainLogits)
		if cfg.XTest != nil {
			e.LossTest, e.AccTest = net.evalStats(cfg.XTest, cfg.TTest, nil)
		}
		for i, l := range linears {
			e.WeightAmp[i] = l.W.MeanAbs() / initAmp[i]
		}
		e.Elapsed = clock().Sub(start)
		ri.Epochs = append(ri.Epochs, e)
		meter.epoch(e)
		return e
	}
	record(0)
	if err := cfg.Watch.afterEpoch(0); err != nil {
		return ri, err
	}

	params := net.paramLayers()
	grads := map[string][]*Matrix{} // the trainer's, reused by every step
	var order []int
	var bt *Matrix
	var tview Matrix   // a batch's rows of T, in order
	var rows rowReader // the batches' rows of X
	n := X.Len()
	if cfg.Shuffle {
		order = make([]int, n)
	}
	batches := batchesPerEpoch(n, cfg.BatchSize)
	stopping := false
	for epoch := 1; epoch <= cfg.Epochs; epoch++ {
		// Asked first for an epoch's first batch, before the epoch draws
		// its order: a stop between two epochs leaves the generator where
		// the next epoch starts.
		if cfg.Watch.stop() {
			ri.Stopped = true
			return ri, nil
		}
		if order != nil {
			for i := range order {
				order[i] = i
			}
			cfg.Rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		meter.beginEpoch()
		for b, i0 := 0, 0; i0 < n; b, i0 = b+1, i0+cfg.BatchSize {
			if b > 0 && !stopping && cfg.Watch.stop() {
				stopping = true // finish the epoch
			}
			i1 := min(i0+cfg.BatchSize, n)
			var xb, tb *Matrix
			if order != nil {
				xb, bt = rows.gather(X, order[i0:i1]), gatherRows(bt, T, order[i0:i1])
				tb = bt
			} else {
				xb, tb = rows.rangeOf(X, i0, i1, true), &tview
				T.viewRows(tb, i0, i1)
			}
			if de := net.sgdStep(grads, xb, tb, cfg.Eta, params); de != nil {
				// A finite gradient whose step made a parameter overflow
				// leaves that parameter in the network (de.Applied).
				de.Epoch, de.Batch = epoch, b
				if order != nil {
					de.Rows = append([]int(nil), order[i0:i1]...)
				}
				return ri, de
			}
			meter.batch(epoch, b+1, batches)
		}
		e := record(epoch)
		if math.IsNaN(e.LossTrain) || math.IsInf(e.LossTrain, 0) {
			cfg.Watch.afterEpoch(epoch) // the epoch is in the run info: its watchers see it too
			return ri, &DivergenceError{Epoch: epoch, InEvaluation: true, What: "training loss is " + formatFloat(e.LossTrain), Applied: true}
		}
		if err := cfg.Watch.afterEpoch(epoch); err != nil {
			return ri, err
		}
		if stopping && epoch < cfg.Epochs {
			ri.Stopped = true
			return ri, nil
		}
	}
	return ri, nil
}

// sgdStep does one step of SGD on the batch (X, T): backpropagation into
// grads (the trainer's, reused every step), then θ += −eta·grad for every
// layer with parameters (params, from paramLayers), as the lab's update
// does. It returns nil when every gradient and parameter stayed finite;
// else a *DivergenceError with What (what became non-finite) and Applied
// set, for the caller to say where (Epoch, Batch): a non-finite gradient
// is caught before the update, so the parameters stay as they were
// (Applied false); a parameter that overflows in the update stays in the
// network (Applied true). The step allocates nothing once the buffers have
// their sizes.
func (net *MLP) sgdStep(grads map[string][]*Matrix, X, T *Matrix, eta float64, params []ParamLayer) *DivergenceError {
	net.batchGradient(grads, X, T)
	if what, found := firstNonFiniteGrad(grads, params); found {
		return &DivergenceError{What: what}
	}
	for _, layer := range params {
		g := grads[layer.Name()]
		for _, m := range g {
			m.Scale(-eta)
		}
		layer.UpdateParams(g)
	}
	if what, found := firstNonFiniteParam(params); found {
		return &DivergenceError{What: what, Applied: true}
	}
	return nil
}

// batchesPerEpoch is how many steps an epoch over n ≥ 1 samples takes in
// batches of batch: ⌈n/batch⌉, without n + batch − 1, which overflows for a
// huge batch (-batch takes any positive int).
func batchesPerEpoch(n, batch int) int { return (n-1)/batch + 1 }

// paramLayers returns the layers that have parameters, in order.
func (n *MLP) paramLayers() []ParamLayer {
	var out []ParamLayer
	for _, l := range n.Layers {
		if pl, ok := l.(ParamLayer); ok {
			out = append(out, pl)
		}
	}
	return out
}

func checkTrainConfig(net *MLP, X RowSource, T *Matrix, cfg TrainConfig) error {
	switch {
	case cfg.BatchSize < 1:
		return fmt.Errorf("batch size must be at least 1, got %d", cfg.BatchSize)
	case cfg.Epochs < 0:
		return fmt.Errorf("epochs must be 0 or more, got %d", cfg.Epochs)
	case !(cfg.Eta > 0) || math.IsInf(cfg.Eta, 0):
		return fmt.Errorf("eta must be a positive finite number, got %v", cfg.Eta)
	case X.Len() == 0:
		return fmt.Errorf("the training set is empty")
	case X.Width() != net.NInputs || T.Rows != X.Len():
		return fmt.Errorf("training set X is %s and T is %s: want n×%d and n×classes", rowsShape(X), T.Shape(), net.NInputs)
	case cfg.Shuffle && cfg.Rand == nil:
		return fmt.Errorf("Shuffle needs the generator to draw from, Rand")
	case (cfg.XTest == nil) != (cfg.TTest == nil):
		return fmt.Errorf("give both XTest and TTest, or neither")
	case cfg.XTest != nil && (cfg.XTest.Width() != X.Width() || cfg.TTest.Cols != T.Cols || cfg.XTest.Len() != cfg.TTest.Rows):
		return fmt.Errorf("test set X is %s and T is %s, training set X is %s and T is %s: the widths must match", rowsShape(cfg.XTest), cfg.TTest.Shape(), rowsShape(X), T.Shape())
	}
	return nil
}

// gatherRows copies the rows idx of src into dst (reused when big enough).
func gatherRows(dst, src *Matrix, idx []int) *Matrix {
	dst = Resize(dst, len(idx), src.Cols)
	for r, i := range idx {
		copy(dst.Row(r), src.Row(i))
	}
	return dst
}

// firstNonFiniteGrad says which gradient of grads, the first in the order
// of params, has a NaN or ±Inf (found: true), if one has.
func firstNonFiniteGrad(grads map[string][]*Matrix, params []ParamLayer) (what string, found bool) {
	for _, l := range params {
		for i, m := range grads[l.Name()] {
			if !m.AllFinite() {
				return fmt.Sprintf("gradient %s of layer %s is not finite", paramName(i), l.Name()), true
			}
		}
	}
	return "", false
}

// firstNonFiniteParam says which parameter of params, the first in order,
// has a NaN or ±Inf (found: true), if one has.
func firstNonFiniteParam(params []ParamLayer) (what string, found bool) {
	for _, l := range params {
		if ll, ok := l.(*LinearLayer); ok {
			// Params() builds a new slice on every call: read the linear
			// layer's two directly to keep the training step allocation-free.
			if !ll.W.AllFinite() {
				return fmt.Sprintf("parameter W of layer %s is not finite", l.Name()), true
			}
			if !ll.B.AllFinite() {
				return fmt.Sprintf("parameter B of layer %s is not finite", l.Name()), true
			}
			continue
		}
		for i, m := range l.Params() {
			if !m.AllFinite() {
				return fmt.Sprintf("parameter %s of layer %s is not finite", paramName(i)[1:], l.Name()), true
			}
		}
	}
	return "", false
}

// paramName names the gradient of parameter i of a layer ("dW", "dB");
// without its "d", the parameter.
func paramName(i int) string {
	if i < 2 {
		return [...]string{"dW", "dB"}[i]
	}
	return fmt.Sprintf("d%d", i)
}

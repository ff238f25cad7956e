package main

// The XOR experiment: four points, not linearly separable, the lab's first
// test bed for backpropagation.

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// XORData returns the four XOR inputs and their one-hot targets as the
// lab's template has them: class 1 for (0,0) and (1,1), class 0 for (0,1)
// and (1,0).
func XORData() (X, T *Matrix) {
	X = FromRows([][]float64{{0, 0}, {0, 1}, {1, 0}, {1, 1}})
	T = FromRows([][]float64{{0, 1}, {1, 0}, {1, 0}, {0, 1}})
	return X, T
}

// NewXORNet is the lab's XOR network: Linear_1 (2→4), ReLU_1, Linear_OUT
// (4→2), Softmax_OUT, trained with the plain cross-entropy.
func NewXORNet(seed uint64) *MLP {
	rng := newRNG(seed)
	return NewMLP(2, []Layer{
		NewLinearLayer(2, 4, rng, "Linear_1"),
		NewReLULayer("ReLU_1"),
		NewLinearLayer(4, 2, rng, "Linear_OUT"),
		NewSoftmaxLayer("Softmax_OUT"),
	}, NewLossCrossEntropy("CE"), nil)
}

func runXOR(cfg *config) error {
	if err := prepareOutDir(cfg.out); err != nil {
		return err
	}
	if cfg.save != "" {
		if err := checkSaveWritable(cfg.save); err != nil {
			return err
		}
	}
	X, T := XORData()
	net, meta, err := cfg.startNet("xor", func() *MLP { return NewXORNet(cfg.seed) }, X.Cols, T.Cols)
	if err != nil {
		return err
	}
	fmt.Fprintf(cfg.stdout, "XOR: %d epochs, batch %d, eta %g, seed %d\n", cfg.epochs, cfg.batch, cfg.eta, cfg.seed)
	if cfg.load != "" {
		fmt.Fprintf(cfg.stdout, "continuing from %s, trained for %d epochs\n", cfg.load, meta.Epochs)
	}
	fmt.Fprint(cfg.stdout, net)
	stop, release := cfg.interrupter()
	ri, trainErr := Train(net, X, T, TrainConfig{
		BatchSize: cfg.batch, Epochs: cfg.epochs, Eta: cfg.eta,
		Progress: cfg.progress(), ProgressEvery: 10, Stop: stop, WeightAmpRef: meta.InitMeanAbsW,
	})
	release()
	if ri == nil {
		return trainErr
	}
	continueRunInfo(ri, meta)
	last := ri.Last()
	if cfg.load != "" && cfg.epochs == 0 {
		// Only evaluating a saved network: show the row its run's CSV
		// ended with, and leave that CSV alone.
		fmt.Fprintf(cfg.stdout, "\n%s\n%s\n\n", strings.Join(ri.CSVHeader(), ","), strings.Join(ri.CSVRow(last), ","))
		printPredictions(cfg.stdout, X, T, net.Propagate(X, true))
		fmt.Fprintf(cfg.stdout, "\nafter %d epochs: loss %.4f, training accuracy %.0f%%\n", last.Epoch, last.LossTrain, 100*last.AccTrain)
		return nil
	}
	csvPath := filepath.Join(cfg.out, "xor.csv")
	kept, err := writeRunCSV(csvPath, ri, meta.Epochs)
	if err != nil {
		return err
	}
	wrote := fmt.Sprintf("wrote %s (epochs %d to %d)", csvPath, ri.Epochs[0].Epoch-kept, last.Epoch)
	if trainErr != nil {
		// A diverged network is not saved: there is nothing to resume.
		fmt.Fprintln(cfg.stdout, wrote)
		return trainErr
	}
	if err := cfg.saveNet(net, meta, ri); err != nil {
		return err
	}
	if ri.Stopped {
		fmt.Fprintln(cfg.stdout, wrote)
		return stoppedError(ri, last.Epoch-meta.Epochs, cfg.epochs, cfg.save)
	}
	fmt.Fprintln(cfg.stdout)
	printPredictions(cfg.stdout, X, T, net.Propagate(X, true))
	fmt.Fprintf(cfg.stdout, "\nafter %d epochs: loss %.4f, training accuracy %.0f%%\n", last.Epoch, last.LossTrain, 100*last.AccTrain)
	if last.AccTrain < 1 {
		// Go's random numbers are not numpy's: with seed 1234 this net
		// needs 231 epochs (the lab's 100 are not enough), see README.
		fmt.Fprintf(cfg.stdout, "not all four points are right yet: train longer, e.g. -epochs 300\n")
	}
	fmt.Fprintln(cfg.stdout, wrote)
	return nil
}

// printPredictions prints one line per sample: its inputs, the predicted
// class probabilities, the predicted and the true class.
func printPredictions(w io.Writer, X, T, P *Matrix) {
	var h strings.Builder
	fmt.Fprintf(&h, "%-*s", 6*X.Cols, "input")
	for k := 0; k < P.Cols; k++ {
		fmt.Fprintf(&h, "  p(class %d)", k)
	}
	fmt.Fprintf(&h, "  predicted  true")
	fmt.Fprintln(w, h.String())
	for i := 0; i < X.Rows; i++ {
		var b strings.Builder
		for _, x := range X.Row(i) {
			fmt.Fprintf(&b, "%-6g", x)
		}
		for _, p := range P.Row(i) {
			fmt.Fprintf(&b, "  %10.4f", p)
		}
		pred, truth := P.ArgmaxRow(i), T.ArgmaxRow(i)
		mark := ""
		if pred != truth {
			mark = "  ✗"
		}
		fmt.Fprintf(&b, "  %9d  %4d%s", pred, truth, mark)
		fmt.Fprintln(w, b.String())
	}
}

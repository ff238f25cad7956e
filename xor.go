package main

// The XOR experiment: four points, not linearly separable, the lab's first
// test bed for backpropagation.

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
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
// (4→2), Softmax_OUT, trained with the plain cross-entropy. Its weights
// are drawn from rng, Linear_1's first (the lab: RandomState(1234)).
func NewXORNet(rng NormalSource) *MLP {
	return NewMLP(2, []Layer{
		NewLinearLayer(2, 4, rng, "Linear_1"),
		NewReLULayer("ReLU_1"),
		NewLinearLayer(4, 2, rng, "Linear_OUT"),
		NewSoftmaxLayer("Softmax_OUT"),
	}, NewLossCrossEntropy("CE"), nil)
}

// runXOR is the experiment's entry in main.go's table.
func runXOR(r *runState) error { return r.train(xorPlan(r.settings)) }

// xorPlan is what the XOR experiment brings to the pipeline: the four
// points, the lab's network, and its predictions, charts and map.
func xorPlan(s settings) *trainPlan {
	X, T := XORData()
	return &trainPlan{
		name: "xor",
		data: func(io.Writer) (*trainData, error) {
			return &trainData{X: X, T: T}, nil
		},
		newNet: NewXORNet,
		weigh: func(net *MLP) error {
			widths := netWidths(net)
			needs := append(netNeeds(widths, s.batch, X.Rows), runInfoNeed(s.epochs, len(widths)-1))
			if s.plot {
				grid, err := mapGrid(X)
				if err != nil {
					return err
				}
				needs = append(needs, mapNeed(widths, grid.NX*grid.NY))
			}
			return checkMemory(needs, "train fewer epochs, or use a narrower network")
		},
		header: func(w io.Writer) {
			fmt.Fprintf(w, "XOR: %d epochs, batch %d, eta %g, seed %d\n", s.epochs, s.batch, s.eta, s.seed)
		},
		every: 10,
		evaluated: func(w io.Writer, t *trained) {
			last := t.ri.Last()
			printPredictions(w, X, T, t.net.Propagate(X, true))
			fmt.Fprintf(w, "\nafter %d epochs: loss %.6f, training accuracy %.0f%%\n", last.Epoch, last.LossTrain, 100*last.AccTrain)
		},
		csvs: func(t *trained) []csvWriter { return []csvWriter{{"xor.csv", t.ri.WriteCSV}} },
		pictures: func(out *outputs, t *trained) []outputJob {
			return xorPageJobs(s, out, t, X, T)
		},
		summary: func(w io.Writer, t *trained) {
			if t.diverged != nil || t.ri.Stopped {
				return
			}
			last := t.ri.Last()
			fmt.Fprintln(w)
			printPredictions(w, X, T, t.net.Propagate(X, true))
			fmt.Fprintf(w, "\nafter %d epochs: loss %.6f, training accuracy %.0f%% (%s)\n", last.Epoch, last.LossTrain, 100*last.AccTrain, t.conf.ClassAccuracies())
			if last.AccTrain < 1 {
				// Another seed or eta can need more than the lab's 100 epochs.
				fmt.Fprintf(w, "%s\n", xorHint)
			}
		},
	}
}

const xorHint = "not all four points are right yet: train longer, e.g. -epochs 300"

// xorPageJobs are the XOR run's charts, decision map, confusion matrix,
// run record and page.
func xorPageJobs(s settings, out *outputs, t *trained, X, T *Matrix) []outputJob {
	net, ri, conf := t.net, t.ri, t.conf
	wc := weightChart(ri)
	wc.Title = "XOR: mean |W| relative to the initial net"
	last := ri.Last()
	rec := &runRecord{
		Experiment: "xor",
		Title:      "XOR",
		Settings: []field{
			{"data", "the four XOR points (no test set)"},
			{"network", architecture(net)},
			{"epochs", strconv.Itoa(s.epochs)},
			{"batch", strconv.Itoa(s.batch)},
			{"eta", etaLabel(s.eta)},
			{"seed", strconv.FormatUint(uint64(s.seed), 10)},
		},
		Header: []string{"epochs", "loss train", "acc train"},
		Rows:   [][]string{{strconv.Itoa(last.Epoch), fmt.Sprintf("%.4f", last.LossTrain), pct(last.AccTrain)}},
		Files:  []string{"xor.csv", "xor_confusion.csv"},
		Pictures: []picture{
			{File: "xor_map.svg", Caption: "Predicted class over the plane (step 0.02), the four points on top: each point should sit in a region of its own colour; a red ring marks one that does not."},
			{File: "xor_confusion.svg", Caption: conf.Caption("The four points")},
			{File: "xor_acc.svg", Caption: "Training accuracy per epoch: it moves in steps of 25% (one point of four) and should reach 100%."},
			{File: "xor_loss.svg", Caption: "Training loss per epoch: it should keep falling; a long flat stretch means the net is stuck."},
			{File: "xor_weights.svg", Caption: "Mean |W| per linear layer, relative to the initial net: how far training has moved the weights."},
		},
	}
	switch {
	case t.diverged != nil:
		rec.Rows[0] = []string{strconv.Itoa(last.Epoch), "diverged", "—"}
		rec.Notes = append(rec.Notes, t.diverged.Error())
	case ri.Stopped:
		rec.Notes = append(rec.Notes, fmt.Sprintf("interrupted after epoch %d", last.Epoch))
	case last.AccTrain < 1:
		rec.Notes = append(rec.Notes, xorHint)
	}
	return []outputJob{
		fileJob(out, "xor_map.svg", func(w io.Writer) error { return decisionMapSVG(w, net, X, T, "XOR, eta = "+etaLabel(s.eta)) }),
		fileJob(out, "xor_confusion.svg", func(w io.Writer) error { return conf.WriteSVG(w, "XOR: the four points") }),
		fileJob(out, "xor_acc.svg", accuracyChart(ri, "XOR: training accuracy").WriteSVG),
		fileJob(out, "xor_loss.svg", lossChart(ri, "XOR: training loss").WriteSVG),
		fileJob(out, "xor_weights.svg", wc.WriteSVG),
		pageJob(out, rec),
	}
}

// printPredictions prints one line per sample: its inputs, the predicted
// class probabilities, the predicted and the true class.
//
// tabwriter aligns the columns, all of them to the right (the numbers'
// way), each cell but the first opening with the two spaces that separate
// it from the one before; the inputs, read left to right, are padded by
// fmt to 6 characters each, so their cells are all as wide.
func printPredictions(w io.Writer, X, T, P *Matrix) {
	tw := tabwriter.NewWriter(w, 0, 0, 0, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s", 6*X.Cols, "input")
	for k := 0; k < P.Cols; k++ {
		fmt.Fprintf(tw, "\t  p(class %d)", k)
	}
	fmt.Fprint(tw, "\t  predicted\t  true\t\n")
	for i := 0; i < X.Rows; i++ {
		for _, x := range X.Row(i) {
			fmt.Fprintf(tw, "%-6g", x)
		}
		for _, p := range P.Row(i) {
			fmt.Fprintf(tw, "\t  %.6f", p) // the digits numpy prints
		}
		pred, truth := classOf(P, i), classOf(T, i)
		mark := ""
		if pred != truth {
			mark = "  ✗"
		}
		fmt.Fprintf(tw, "\t  %v\t  %v\t%s\n", pred, truth, mark)
	}
	tw.Flush()
}

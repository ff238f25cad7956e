package main

// The evaluation of a network over a whole data set, in chunks spread over
// the cores: what Train records after every epoch (evalStats, whose logits
// the margin watch sees) and what the confusion matrix and the digit sample
// read (evalPass). It is machinery around the lab, not part of it: it calls
// the layers' Forward and the loss's Forward, and keeps its buffers in the
// network (MLP.evalWS) so that evaluating once an epoch makes no matrix
// after the first time (a call allocates only a few small slices: the
// chunks' sums, the widths).
//
//	n.evalStats(X, T, atLogits)  → the mean loss and the accuracy over the set
//	n.evalPass(X, T, at)         → at(i0, S, L, P, T) for every chunk of rows
//
// How many rows a chunk has is n.evalRows() (limits.go, which weighs the
// memory a run needs with it).

// evalChunk is how many rows the evaluation pushes through the network at
// once: big enough for the products to run at full speed, and small
// enough that the chunk's rows of the input (256 × MNIST's 784 pixels:
// 1.6 MB) are still near the core when the first layer's product passes
// over them: with 1024 rows the evaluation took 11% longer on an Intel
// Xeon, and on an AMD core with 1 MB of L2 chunks of 64 and 128 rows were
// no faster than 256. A goroutine's buffers stay small instead of a copy
// of the data set per layer, and the chunks of a set share the cores out
// evenly.
const evalChunk = 256

// evalWorkspace is the buffers of one goroutine of evalPass.
type evalWorkspace struct {
	bufs [3]*Matrix // layer outputs, in turn
	loss *Matrix
	x    rowReader // the chunk's rows of X
	t    Matrix    // and of T
}

// evalStats returns the mean loss (as Evaluate computes it) and the
// accuracy (argmax of Propagate(X, true) against argmax of T) over the whole
// set. atLogits, when not nil, also sees the logits of every chunk (see
// evalPass), so a caller can watch them without a second forward pass. The
// chunks' sums are added in the order of the chunks, whichever goroutine
// computed them, so the result does not depend on the number of cores.
func (n *MLP) evalStats(X RowSource, T *Matrix, atLogits func(S, T *Matrix)) (meanLoss, acc float64) {
	if X.Len() == 0 {
		return 0, 0
	}
	rows := n.evalRows() // evalPass's chunks
	chunks := (X.Len() + rows - 1) / rows
	sums, rights := make([]float64, chunks), make([]int, chunks)
	n.evalPass(X, T, func(i0 int, S, L, P, T *Matrix) {
		if atLogits != nil {
			atLogits(S, T)
		}
		c := i0 / rows
		for _, v := range L.Data {
			sums[c] += v
		}
		for r := 0; r < P.Rows; r++ {
			k, ok := P.ArgmaxRow(r)
			t, tok := T.ArgmaxRow(r)
			if ok && tok && k == t {
				rights[c]++
			}
		}
	})
	lossSum, correct := 0.0, 0
	for c := range sums {
		lossSum += sums[c]
		correct += rights[c]
	}
	return lossSum / float64(X.Len()), float64(correct) / float64(X.Len())
}

// evalPass pushes X through the network in chunks of n.evalRows() rows
// (evalChunk, fewer for a wide network), the chunks spread over the cores,
// each goroutine with buffers of its own: the one chunked forward pass
// behind evalStats, ConfusionOf, the margin watch and the digit sample.
// For every chunk, at gets i0, the chunk's first row in X; S, the output
// of the last layer with parameters (the logits, before any softmax inside
// the network); L, the per-sample loss (n, 1) as Evaluate computes it; P,
// the output of Propagate(X, true); and T, the chunk's targets. The
// matrices are views into buffers that the next chunk overwrites, and at
// may run on several goroutines at once: it must write only what belongs
// to its chunk. X's rows are read a chunk at a time: rows made on demand
// are made by the goroutine that uses them, into its own buffer, where the
// first layer finds them in cache.
func (n *MLP) evalPass(X RowSource, T *Matrix, at func(i0 int, S, L, P, T *Matrix)) {
	for len(n.evalWS) < workers() {
		n.evalWS = append(n.evalWS, &evalWorkspace{})
	}
	split := n.lastParam + 1 // Layers[:split] compute the logits
	rows := n.evalRows()     // evalChunk, fewer for a wide network
	chunks := (X.Len() + rows - 1) / rows
	parallelFor(chunks, 1, func(w, c0, c1 int) {
		ws := n.evalWS[w]
		for c := c0; c < c1; c++ {
			i0, i1 := c*rows, min((c+1)*rows, X.Len())
			x := ws.x.rangeOf(X, i0, i1, false)
			T.viewRows(&ws.t, i0, i1)
			S := ws.forward(x, n.Layers[:split], nil)
			Y := ws.forward(S, n.Layers[split:], S)
			ws.loss = n.Loss.Forward(ws.loss, Y, &ws.t)
			P := ws.forward(Y, n.OutputLayers, S)
			at(i0, S, ws.loss, P, &ws.t)
		}
	})
}

// forward pushes X through layers, each into a buffer of the workspace
// that is neither its input nor keep (the logits, which at still needs).
func (ws *evalWorkspace) forward(X *Matrix, layers []Layer, keep *Matrix) *Matrix {
	for _, l := range layers {
		b := 0
		for ws.bufs[b] != nil && (ws.bufs[b] == X || ws.bufs[b] == keep) {
			b++
		}
		ws.bufs[b] = l.Forward(ws.bufs[b], X)
		X = ws.bufs[b]
	}
	return X
}

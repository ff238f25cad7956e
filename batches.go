package main

// The gradient of a big training batch, computed in parts side by side on
// the cores (Train's step, sgdStep, goes through it):
//
//	n.batchGradient(grads, X, T)  → the gradient of the mean loss over (X, T)
//	                                 in grads, keyed as n.Gradient keys it
//
// Its workspace (the shadow networks) is kept in the network (MLP.split),
// made on the first big batch.

// Train's batch gradient: a batch of at least splitMin rows is cut into
// splitParts parts of (nearly) equal size, whose gradients are computed side
// by side on the cores — each with Gradient, the lab's backpropagation, on a
// shadow of the network: the same layers and loss, a workspace of its own,
// one per goroutine of the job (a goroutine that takes a second part
// writes into buffers still in its cache: training ran 9% faster than with
// a shadow per part, on two cores) — and then added as Σ_s (n_s/n)·g_s,
// the gradient of the mean loss over the whole batch again. So the lab's
// elementwise code (ReLU, the losses) runs on all the cores in training
// too, not only the products. The number of
// parts and where they are cut depend on the batch alone, and the parts are
// added in order, so the result does not depend on the number of cores; it
// differs from one Gradient over the whole batch in the last bits (the sums
// over the batch are grouped by part).
const (
	splitParts = 4
	splitMin   = 1024
)

// batchSplit is the workspace of batchGradient.
type batchSplit struct {
	shadows [splitParts]*MLP // one per goroutine of the job: there are at most splitParts
	grads   [splitParts]map[string][]*Matrix
	xs      [splitParts]Matrix // the parts' rows of X and T
	ts      [splitParts]Matrix
	run     func(worker, s0, s1 int) // made once, so that a step allocates nothing
	sized   int                      // the part size every shadow's buffers hold
}

// shadow returns a network of n's shape with the given layers and loss (n's
// own, or stand-ins for them) and a workspace of its own, so that its
// Gradient leaves n's buffers alone.
func (n *MLP) shadow(layers []Layer, loss Loss) *MLP {
	return NewMLP(n.NInputs, layers, loss, n.OutputLayers) // built as n was, so no field of its workspace is missed
}

// batchGradient writes the gradient of the mean loss over the batch (X, T)
// into grads, as Gradient does, with a big batch computed in parts (above).
func (n *MLP) batchGradient(grads map[string][]*Matrix, X, T *Matrix) {
	if X.Rows < splitMin {
		n.Gradient(grads, X, T)
		return
	}
	if n.split == nil {
		sp := &batchSplit{}
		for s := range sp.shadows {
			sp.shadows[s] = n.shadow(n.Layers, n.Loss)
			sp.grads[s] = map[string][]*Matrix{}
		}
		sp.run = func(w, s0, s1 int) {
			for s := s0; s < s1; s++ {
				sp.grads[s] = sp.shadows[w].Gradient(sp.grads[s], &sp.xs[s], &sp.ts[s])
			}
		}
		n.split = sp
	}
	sp := n.split
	big := 0 // the largest part
	for s := range sp.xs {
		i0, i1 := s*X.Rows/splitParts, (s+1)*X.Rows/splitParts
		X.viewRows(&sp.xs[s], i0, i1)
		T.viewRows(&sp.ts[s], i0, i1)
		if sp.xs[s].Rows > sp.xs[big].Rows {
			big = s
		}
	}
	if sp.xs[big].Rows > sp.sized {
		// Which goroutine takes which part changes from step to step, so a
		// shadow could be used for the first time, or get a larger part,
		// in any later step and allocate its buffers then. Size all of
		// them now, on the largest part (its gradient is computed again
		// below): afterwards a step allocates nothing.
		for _, sh := range sp.shadows {
			sh.Gradient(sp.grads[big], &sp.xs[big], &sp.ts[big])
		}
		sp.sized = sp.xs[big].Rows
	}
	parallelFor(splitParts, 1, sp.run)
	for _, l := range n.Layers {
		pl, ok := l.(ParamLayer)
		if !ok {
			continue
		}
		name := pl.Name()
		g := grads[name]
		if len(g) != len(sp.grads[0][name]) {
			g = make([]*Matrix, len(sp.grads[0][name]))
		}
		for i := range g {
			first := sp.grads[0][name][i]
			g[i] = Resize(g[i], first.Rows, first.Cols)
			clear(g[i].Data)
			for s := range sp.xs {
				w := float64(sp.xs[s].Rows) / float64(X.Rows)
				axpy(g[i].Data, w, sp.grads[s][name][i].Data)
			}
		}
		grads[name] = g
	}
}

package main

// Sharing work out over the cores: one mechanism for the products and for
// the few other loops worth spreading (the parts of a batch's gradient, the
// evaluation's chunks, loading MNIST).
//
// A job is a range of rows cut into chunks. The calling goroutine and up to
// GOMAXPROCS−1 helpers, goroutines started once and then parked, take the
// chunks one by one from a counter until none is left; the caller waits for
// the helpers and returns. One job runs at a time, so the executor's fields
// are the job's workspace and nothing is allocated per job; a job asked for
// while another runs (a product inside the chunks of the evaluation, which
// spreads whole chunks of the data set over the cores) is done on the
// goroutine that asks for it. Who computes a chunk never changes its
// result: every element of a product is summed in one fixed order
// (gemm.go), and the evaluation folds its chunks in order (mlp.go).

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// executor runs one job at a time.
type executor struct {
	mu      sync.Mutex    // held for the whole of a job
	helpers int           // goroutines started so far
	wake    chan struct{} // one token per helper asked to join a job
	done    sync.WaitGroup

	// The job: rows [0, rows) in chunks of size, chunk c taken when next
	// passes it; either a product or a function of a range of rows. ids
	// numbers the goroutines of the job (the caller is 0).
	rows, size int
	next, ids  atomic.Int64
	pr         product
	ks         *kernelSet
	f          func(worker, i0, i1 int)

	stubMu sync.Mutex
	stub   *notImplementedError // a stub's panic in the job (run)
}

var cores = executor{wake: make(chan struct{}, 64)}

// workers is how many goroutines a job may use.
func workers() int { return min(runtime.GOMAXPROCS(0), cap(cores.wake)+1) }

// parallelProduct computes pr's rows with ks in chunks of size rows, on up
// to w goroutines.
func parallelProduct(pr product, ks *kernelSet, size, w int) {
	n := pr.dst.Rows
	if n <= size || w == 1 || !cores.mu.TryLock() {
		pr.rows(ks, 0, n)
		return
	}
	cores.pr, cores.ks, cores.f = pr, ks, nil
	stub := cores.run(n, size)
	cores.pr = product{} // drop the references to the operands
	cores.mu.Unlock()
	if stub != nil {
		panic(stub)
	}
}

// parallelFor calls f on [0, n) cut into ranges of size (the last one
// shorter), spread over the cores, and returns when all are done. f must
// write only what belongs to its range; worker, below workers(), tells the
// goroutines of the job apart (for buffers of their own).
func parallelFor(n, size int, f func(worker, i0, i1 int)) {
	if n <= size || workers() == 1 || !cores.mu.TryLock() {
		f(0, 0, n)
		return
	}
	cores.f = f
	stub := cores.run(n, size)
	cores.f = nil
	cores.mu.Unlock()
	if stub != nil {
		panic(stub)
	}
}

// run does the job set in the executor's fields; e.mu is held. It returns
// the panic of a stub of the student version (notimplemented.go) met by any
// goroutine of the job, for the caller to panic with once the job is over:
// a panic on a helper goroutine would end the program with a stack trace
// instead of the stub's message. Any other panic goes on where it happens.
func (e *executor) run(rows, size int) (stub *notImplementedError) {
	e.rows, e.size = rows, size
	e.next.Store(0)
	e.ids.Store(0)
	chunks := (rows + size - 1) / size
	help := min(workers(), chunks) - 1
	for e.helpers < help {
		e.helpers++
		go e.help()
	}
	e.done.Add(help)
	for h := 0; h < help; h++ {
		e.wake <- struct{}{}
	}
	e.take(0)
	e.done.Wait()
	stub, e.stub = e.stub, nil
	return stub
}

// help is a helper goroutine: it takes chunks whenever woken.
func (e *executor) help() {
	for range e.wake {
		e.take(int(e.ids.Add(1)))
		e.done.Done()
	}
}

// take computes chunks until none is left, as the job's goroutine worker.
func (e *executor) take(worker int) {
	defer func() {
		if r := recover(); r != nil {
			stub, ok := r.(*notImplementedError)
			if !ok {
				panic(r)
			}
			e.next.Store(int64((e.rows + e.size - 1) / e.size)) // no more chunks for anyone
			e.stubMu.Lock()
			e.stub = stub
			e.stubMu.Unlock()
		}
	}()
	for {
		i0 := int(e.next.Add(1)-1) * e.size
		if i0 >= e.rows {
			return
		}
		i1 := min(i0+e.size, e.rows)
		if e.f != nil {
			e.f(worker, i0, i1)
		} else {
			e.pr.rows(e.ks, i0, i1)
		}
	}
}

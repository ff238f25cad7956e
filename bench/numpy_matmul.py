#!/usr/bin/python3
"""Times numpy (float64) on the eight products of BenchmarkProduct (A@B, A.T@B
and A@B.T on the lab's MNIST shapes), best of several runs.

Run with the same thread count as the Go benchmarks, e.g.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 python3 bench/numpy_matmul.py
"""
import sys
import time

import numpy as np

# The products of one training step of the lab's MNIST net (batch 3000), as
# in bench_test.go's benchShapes: (op, n, k, m), an n×m result summed over
# k; A and B get the shapes the Go benchmark gives MatMulBias, MatMulAT and
# MatMulBT, and the labels printed are the Go benchmarks' names.
SHAPES = [
    ('A@B', 3000, 784, 64),      # forward, first layer
    ('A@B', 3000, 64, 64),       # forward, hidden layers
    ('A@B', 3000, 64, 10),       # forward, output layer
    ('A.T@B', 784, 3000, 64),    # dW of the first layer: X.T @ delta
    ('A.T@B', 64, 3000, 64),     # dW of a hidden layer
    ('A.T@B', 64, 3000, 10),     # dW of the output layer
    ('A@B.T', 3000, 64, 64),     # delta through a hidden layer: delta @ W.T
    ('A@B.T', 3000, 10, 64),     # delta through the output layer
]


# --cpu: time by the calling thread's CPU time instead of wall time, one
# core's speed that a busy machine does not change; only meaningful with
# OPENBLAS_NUM_THREADS=1, where OpenBLAS computes on the calling thread (Go's
# counterpart: GOMAXPROCS=1 go test -bench Product, its cpu-GFLOP/s).
CPU = '--cpu' in sys.argv[1:]
clock = time.thread_time if CPU else time.perf_counter


def best_seconds(f, reps=30):
    best = float('inf')
    for _ in range(reps):
        t0 = clock()
        f()
        best = min(best, clock() - t0)
    return best


rng = np.random.default_rng(1)
for op, n, k, m in SHAPES:
    if op == 'A@B':
        A, B = rng.standard_normal((n, k)), rng.standard_normal((k, m))
        f, label = (lambda A=A, B=B, C=np.empty((n, m)): np.matmul(A, B, out=C)), f'{n}x{k}·{k}x{m}'
    elif op == 'A.T@B':
        A, B = rng.standard_normal((k, n)), rng.standard_normal((k, m))
        f, label = (lambda A=A, B=B, C=np.empty((n, m)): np.matmul(A.T, B, out=C)), f'({k}x{n})ᵀ·{k}x{m}'
    else:
        A, B = rng.standard_normal((n, k)), rng.standard_normal((m, k))
        f, label = (lambda A=A, B=B, C=np.empty((n, m)): np.matmul(A, B.T, out=C)), f'{n}x{k}·({m}x{k})ᵀ'
    s = best_seconds(f)
    print(f'numpy {op:6s}{label:22s} {2 * n * k * m / s / 1e9:6.1f} GFLOP/s  ({s * 1e3:.3f} ms{" of CPU time" if CPU else ""}, best of 30)')

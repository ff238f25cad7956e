#!/usr/bin/python3
"""Times numpy's A @ B (float64) on the lab's shapes, best of several runs.

Run with the same thread count as the Go benchmarks, e.g.
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 python3 bench/numpy_matmul.py
"""
import time

import numpy as np

SHAPES = [  # (n, k, m): an n×k times k×m product
    (3000, 784, 64),
    (3000, 64, 64),
    (3000, 64, 10),
]


def best_seconds(f, reps=30):
    best = float('inf')
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


rng = np.random.default_rng(1)
for n, k, m in SHAPES:
    A = rng.standard_normal((n, k))
    B = rng.standard_normal((k, m))
    C = np.empty((n, m))
    s = best_seconds(lambda: np.matmul(A, B, out=C))
    print(f'numpy A@B {n}x{k}·{k}x{m}: {2 * n * k * m / s / 1e9:6.1f} GFLOP/s  ({s * 1e3:.3f} ms, best of 30)')

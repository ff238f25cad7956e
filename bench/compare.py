#!/usr/bin/python3
"""The products and the epoch against numpy on this machine, in one run.

    python3 bench/compare.py [ROUNDS]      (from the repository root)

Alternates, ROUNDS times (default 5): numpy on the eight products of
BenchmarkProduct (bench/numpy_matmul.py) and the lab's numpy recipe for 3
MNIST epochs (ref_numpy.py mnist --x64, found through $REF_NUMPY; its
median epoch), then the Go benchmarks BenchmarkProduct and
BenchmarkMNISTEpoch, which run every kernel set this CPU has (avx512,
avx2, portable; the epoch on synthetic data of MNIST's size). numpy runs
with OPENBLAS_NUM_THREADS=2 and OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset,
Go with GOMAXPROCS=2. Prints each figure's median over the rounds, its
ratio to numpy's, and each product's share of the multiply-add peak of its
instruction set (BenchmarkFMAPeak, measured in the same rounds).
"""
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict

REF = os.environ.get('REF_NUMPY', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'bench', 'ref_numpy.py'))
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5

np_env = dict(os.environ, OPENBLAS_NUM_THREADS='2')
for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'):
    np_env.pop(k, None)
if os.environ.get('NUMPY_CORETYPE'):
    # OpenBLAS's kernels for another CPU: NUMPY_CORETYPE=Haswell gives numpy
    # the AVX2 kernels it runs on an AVX2-only machine (on an AVX-512 one it
    # picks AVX-512 kernels, whatever threadpoolctl's "architecture" says).
    np_env['OPENBLAS_CORETYPE'] = os.environ['NUMPY_CORETYPE']
    print(f'numpy with OPENBLAS_CORETYPE={np_env["OPENBLAS_CORETYPE"]}', flush=True)
go_env = dict(os.environ, GOMAXPROCS='2')
go_env.pop('BACKPROP_KERNELS', None)
subprocess.run(['go', 'test', '-c', '-o', '/tmp/backprop-bench.test', '.'], env=go_env, check=True)


def run(cmd, env):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout


fig = defaultdict(list)  # name -> values over the rounds
for r in range(ROUNDS):
    out = run([sys.executable, os.path.join(os.path.dirname(__file__), 'numpy_matmul.py')], np_env)
    for m in re.finditer(r'numpy \S+\s+(\S+)\s+([\d.]+) GFLOP/s', out):
        fig[('numpy', m.group(1))].append(float(m.group(2)))
    if os.path.exists(REF):
        out = run([sys.executable, REF, 'mnist', '--x64', '--epochs', '3'], np_env)
        m = re.search(r'median t_train/epoch ([\d.]+)s, median t_eval \(train\+test\) ([\d.]+)s', out)
        fig[('numpy', 'epoch')].append(float(m.group(1)) + float(m.group(2)))
    out = run(['/tmp/backprop-bench.test', '-test.run', '^$', '-test.bench', 'BenchmarkFMAPeak|BenchmarkProduct|BenchmarkMNISTEpoch/.*/epoch',
               '-test.benchtime', '20x'], go_env)
    for line in out.splitlines():
        m = re.match(r'BenchmarkFMAPeak/(\w+)-\d+\s.*?([\d.]+) GFLOP/s', line)
        if m:
            fig[(m.group(1), 'peak')].append(float(m.group(2)))
        m = re.match(r'BenchmarkProduct/(\w+)/\w+/(\S+?)-\d+\s.*?([\d.]+) GFLOP/s', line)
        if m:
            fig[(m.group(1), m.group(2))].append(float(m.group(3)))
        m = re.match(r'BenchmarkMNISTEpoch/(\w+)/epoch\S*\s.*?([\d.]+) s/epoch', line)
        if m:
            fig[(m.group(1), 'epoch')].append(float(m.group(2)))
    print('round', r + 1, 'done', file=sys.stderr, flush=True)

sets = [s for s in ('avx512', 'avx2', 'portable') if any(k[0] == s for k in fig)]
med = {k: statistics.median(v) for k, v in fig.items()}
print(f'{"median of " + str(ROUNDS) + " rounds":30s} {"numpy":>7s}' + ''.join(f' {s:>9s} {"ratio":>6s}' for s in sets))
for (who, shape) in sorted(k for k in med if k[0] == 'numpy' and k[1] != 'epoch'):
    line = f'{shape:30s} {med[(who, shape)]:7.1f}'
    for s in sets:
        v = med.get((s, shape), float('nan'))
        line += f' {v:9.1f} {v / med[(who, shape)]:5.2f}×'
    peaks = [f'{s} {med[(s, shape)] / med[(s, "peak")]:.0%}' for s in sets if (s, 'peak') in med and (s, shape) in med]
    print(line + '   (GFLOP/s' + ('; of the peak: ' + ', '.join(peaks) if peaks else '') + ')')
for s in sets:
    if (s, 'peak') in med:
        print(f'{s} multiply-add peak (BenchmarkFMAPeak): {med[(s, "peak")]:.1f} GFLOP/s')
if ('numpy', 'epoch') in med:
    line = f'{"epoch, train + eval (s)":30s} {med[("numpy", "epoch")]:7.3f}'
    for s in sets:
        v = med.get((s, 'epoch'), float('nan'))
        line += f' {v:9.3f} {v / med[("numpy", "epoch")]:5.2f}×'
    print(line)

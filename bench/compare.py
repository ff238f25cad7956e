#!/usr/bin/python3
"""Go against numpy on this machine, in one run: alternates the Go
benchmarks (portable and GOEXPERIMENT=simd builds) with numpy for several
rounds and keeps the best of each, since other work on a shared machine
only ever makes a run slower.

    python3 bench/compare.py [rounds]      (from the repository root)

It prints a table of the eight products of BenchmarkProduct (GFLOP/s and
ratio to numpy for each build), then the epoch. numpy runs with
OPENBLAS_NUM_THREADS=2 and the Go benchmarks with GOMAXPROCS=2. The numpy
epoch is /work/shared/bench/ref_numpy.py (the lab's
reference solution) on the real MNIST files, 3 epochs, median per epoch;
the Go epoch is BenchmarkMNISTEpoch on synthetic data of the same size
with MNIST's share of blank pixels (the first layer's products go through
the background kernels of sparse.go, as on the real files).
"""
import os
import re
import subprocess
import sys

REF = os.environ.get('REF_NUMPY', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'bench', 'ref_numpy.py'))
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3

np_env = dict(os.environ, OPENBLAS_NUM_THREADS='2')
for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'):
    np_env.pop(k, None)


def run(cmd, env=None):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout


def go_bench(build, pattern, benchtime):
    env = dict(os.environ, GOMAXPROCS='2', GOEXPERIMENT=build)
    out = run(['go', 'test', '-run', '^$', '-bench', pattern, '-benchtime', benchtime, '.'], env)
    res = {}
    for line in out.splitlines():
        m = re.match(r'(Benchmark\S+?)-\d+\s+\d+\s+\d+ ns/op\s+([\d.]+) (\S+)', line)
        if m:
            res[m.group(1)] = float(m.group(2))
    return res


best = {}


def keep(key, v, larger_is_better):
    if key not in best or (v > best[key] if larger_is_better else v < best[key]):
        best[key] = v


for r in range(ROUNDS):
    out = run([sys.executable, os.path.join(os.path.dirname(__file__), 'numpy_matmul.py')], np_env)
    for m in re.finditer(r'numpy \S+\s+(\S+)\s+([\d.]+) GFLOP/s', out):
        keep('numpy ' + m.group(1), float(m.group(2)), True)
    for build in ('', 'simd'):
        tag = build or 'portable'
        for name, v in go_bench(build, '^BenchmarkProduct$', '20x').items():
            keep(tag + ' ' + name.split('/')[-1], v, True)
        res = go_bench(build, 'MNISTEpoch/(train|eval)', '2x')
        keep(tag + ' train s/epoch', res['BenchmarkMNISTEpoch/train'], False)
        keep(tag + ' eval s/epoch', res['BenchmarkMNISTEpoch/eval'], False)
    if os.path.exists(REF):
        out = run([sys.executable, REF, 'mnist', '--x64', '--epochs', '3'], np_env)
        m = re.search(r'median t_train/epoch ([\d.]+)s, median t_eval \(train\+test\) ([\d.]+)s', out)
        keep('numpy train s/epoch', float(m.group(1)), False)
        keep('numpy eval s/epoch', float(m.group(2)), False)
    print('round', r + 1, 'done', file=sys.stderr, flush=True)

print(f'{"product (GFLOP/s, best of each)":30s} {"numpy":>7s} {"simd":>7s} {"ratio":>6s} {"portable":>9s} {"ratio":>6s}')
for k in sorted(best):
    if k.startswith('numpy ') and not k.endswith('s/epoch'):
        shape, npg = k[len('numpy '):], best[k]
        sg, pg = best.get('simd ' + shape, float('nan')), best.get('portable ' + shape, float('nan'))
        print(f'{shape:30s} {npg:7.1f} {sg:7.1f} {sg / npg:5.2f}× {pg:9.1f} {pg / npg:5.2f}×')
print()
if 'numpy train s/epoch' in best:
    np_epoch = best['numpy train s/epoch'] + best['numpy eval s/epoch']
    for tag in ('portable', 'simd'):
        ep = best[tag + ' train s/epoch'] + best[tag + ' eval s/epoch']
        print(f'{tag:8s} epoch (train + eval) {ep:.3f} s: {ep / np_epoch:.2f}× numpy ({np_epoch:.3f} s)')

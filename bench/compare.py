#!/usr/bin/python3
"""Go against numpy on this machine, in one run: alternates the Go
benchmarks (portable and GOEXPERIMENT=simd builds) with numpy for several
rounds and keeps the best of each, since other work on a shared machine
only ever makes a run slower.

    python3 bench/compare.py [rounds]      (from the repository root)

numpy runs with OPENBLAS_NUM_THREADS=2 and the Go benchmarks with
GOMAXPROCS=2. The numpy epoch is /work/shared/bench/ref_numpy.py (the lab's
reference solution) on the real MNIST files, 3 epochs, median per epoch;
the Go epoch is BenchmarkMNISTEpoch on synthetic data of the same size.
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
    m = re.search(r'3000x784·784x64\s+([\d.]+) GFLOP/s', out)
    keep('numpy A@B GFLOP/s', float(m.group(1)), True)
    for build in ('', 'simd'):
        tag = build or 'portable'
        res = go_bench(build, 'Product/MatMulBias/3000x784', '20x')
        keep(tag + ' MatMulBias GFLOP/s', list(res.values())[0], True)
        res = go_bench(build, 'MNISTEpoch/(train|eval)', '2x')
        keep(tag + ' train s/epoch', res['BenchmarkMNISTEpoch/train'], False)
        keep(tag + ' eval s/epoch', res['BenchmarkMNISTEpoch/eval'], False)
    if os.path.exists(REF):
        out = run([sys.executable, REF, 'mnist', '--x64', '--epochs', '3'], np_env)
        m = re.search(r'median t_train/epoch ([\d.]+)s, median t_eval \(train\+test\) ([\d.]+)s', out)
        keep('numpy train s/epoch', float(m.group(1)), False)
        keep('numpy eval s/epoch', float(m.group(2)), False)
    print('round', r + 1, 'done', file=sys.stderr, flush=True)

for k in sorted(best):
    print(f'{k:32s} {best[k]:8.3f}')
npg = best['numpy A@B GFLOP/s']
print()
for tag in ('portable', 'simd'):
    print(f'{tag:8s} A·B 3000x784·784x64: {best[tag + " MatMulBias GFLOP/s"] / npg:.2f}× numpy GFLOP/s')
if 'numpy train s/epoch' in best:
    np_epoch = best['numpy train s/epoch'] + best['numpy eval s/epoch']
    for tag in ('portable', 'simd'):
        ep = best[tag + ' train s/epoch'] + best[tag + ' eval s/epoch']
        print(f'{tag:8s} epoch (train + eval) {ep:.3f} s: {ep / np_epoch:.2f}× numpy ({np_epoch:.3f} s)')

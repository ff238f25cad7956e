#!/usr/bin/python3
"""Whole MNIST runs against numpy's, in turns, with a rule for the verdict.

    python3 bench/runs.py DATA_DIR [EPOCHS [ROUNDS]]    (from the repository root)

Builds three binaries: the default build (assembly kernels), -tags purego
(portable kernels only) and the default build with the Go 1.22 toolchain
(GOTOOLCHAIN=go1.22.12, fetched through the module proxy; skipped with a
note when it cannot be had); BUILDS=default (or default,go1.22, …) takes
only those. BACKPROP_KERNELS, when set (avx2 on an AVX-512 machine, say),
is passed to every Go run, and a run that cannot honour it fails. Then runs, ROUNDS times in turn: the lab's
numpy solution (ref_numpy.py mnist --x64 --epochs EPOCHS, 2 OpenBLAS
threads, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset) and each binary
(-exp mnist -epochs EPOCHS -q, the lab's settings with an evaluation every
epoch, CSV and pictures included; GOMAXPROCS=2), each under /usr/bin/time
for wall time and peak RSS. Each Go run is set against the numpy run of
its own round: a shared machine's speed drifts from one minute to the
next, so a ratio of runs far apart in time says little. The verdict is the
median of the rounds' ratios (take an odd number of rounds).
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile

if len(sys.argv) < 2:
    sys.exit(__doc__)
DATA = sys.argv[1]
EPOCHS = sys.argv[2] if len(sys.argv) > 2 else '5'
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
REF = os.environ.get('REF_NUMPY', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'bench', 'ref_numpy.py'))
if not os.path.exists(REF):
    sys.exit(f'{REF}: not found (set REF_NUMPY to the lab\'s ref_numpy.py)')

ALL = (('default', [], {}), ('purego', ['-tags', 'purego'], {}), ('go1.22', [], {'GOTOOLCHAIN': 'go1.22.12'}))
WANT = [b for b in os.environ.get('BUILDS', 'default,purego,go1.22').replace(',', ' ').split() if b]
if not WANT or any(b not in [a[0] for a in ALL] for b in WANT):
    sys.exit(f'BUILDS={os.environ.get("BUILDS")!r}: want some of {", ".join(a[0] for a in ALL)}, separated by commas')

tmp = tempfile.mkdtemp()
env = dict(os.environ, GOMAXPROCS='2')
if env.get('BACKPROP_KERNELS'):
    print(f'BACKPROP_KERNELS={env["BACKPROP_KERNELS"]} for every Go run')
builds = {}
for name, extra, benv in (a for a in ALL if a[0] in WANT):
    out = os.path.join(tmp, name)
    r = subprocess.run(['go', 'build'] + extra + ['-o', out, '.'], env=dict(env, **benv), capture_output=True, text=True)
    if r.returncode != 0:
        print(f'{name}: not built ({r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "go build failed"})')
        continue
    builds[name] = out
np_env = dict(os.environ, OPENBLAS_NUM_THREADS='2')
for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'):
    np_env.pop(k, None)
if os.environ.get('NUMPY_CORETYPE'):
    # OpenBLAS's kernels for another CPU: NUMPY_CORETYPE=Haswell gives numpy
    # the AVX2 kernels it runs on an AVX2-only machine (on an AVX-512 one it
    # picks AVX-512 kernels, whatever threadpoolctl's "architecture" says).
    np_env['OPENBLAS_CORETYPE'] = os.environ['NUMPY_CORETYPE']
    print(f'numpy with OPENBLAS_CORETYPE={np_env["OPENBLAS_CORETYPE"]}', flush=True)


def timed(cmd, env):
    """Wall seconds and peak RSS of cmd from /usr/bin/time, the RSS in MB
    (the kilobytes time reports, divided by 1000)."""
    r = subprocess.run(['/usr/bin/time', '-f', 'TIME %e %M'] + cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f'{" ".join(cmd)} failed:\n{r.stderr}')
    m = re.search(r'TIME ([\d.]+) (\d+)', r.stderr)
    return float(m.group(1)), int(m.group(2)) / 1000


ratios = {b: [] for b in builds}
rss = {b: [] for b in builds}
rss['numpy'] = []
print(f'{EPOCHS} epochs, {ROUNDS} rounds: wall time (peak RSS)')
for r in range(ROUNDS):
    npt, nprss = timed([sys.executable, REF, 'mnist', '--x64', '--epochs', EPOCHS], np_env)
    rss['numpy'].append(nprss)
    line = f'round {r + 1}: numpy {npt:.2f} s ({nprss:.0f} MB)'
    for b, path in builds.items():
        t, m = timed([path, '-exp', 'mnist', '-data', DATA, '-epochs', EPOCHS, '-q', '-out', os.path.join(tmp, 'out-' + b)], env)
        ratios[b].append(t / npt)
        rss[b].append(m)
        line += f', {b} {t:.2f} s ({m:.0f} MB) {t / npt:.2f}×'
    print(line, flush=True)
print(f'outputs in {tmp}')
for b, rs in ratios.items():
    print(f'{b:8s} median {statistics.median(rs):.2f}× numpy (rounds: {", ".join(f"{x:.2f}" for x in rs)}); '
          f'peak RSS median {statistics.median(rss[b]):.0f} MB, {statistics.median(rss[b]) / statistics.median(rss["numpy"]):.2f}× numpy\'s')

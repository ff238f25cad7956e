#!/usr/bin/python3
"""Same seed, same numbers: this program's runs against the lab's numpy recipe.

    python3 bench/agree.py [DATA_DIR]          (from the repository root)

Builds ./backprop into a temporary directory, runs the lab's experiments with
the lab's settings (seed 1234) in both, and compares them number by number:

  xor      the initial weights (bit for bit), every epoch's loss (1e-12
           relative), the accuracies, and Propagate(X) to the six digits
           numpy prints;
  spirals  for each learning rate, every epoch's train and test loss (1e-9
           relative) and the accuracies;
  mnist    with DATA_DIR (the four MNIST files): 3 epochs, every epoch's
           losses (1e-6 relative) and accuracies, the numpy side with its
           float32 data converted to float64 (ref_numpy.py mnist --x64).

The numpy side is the lab's reference solution, ref_numpy.py, imported from
$REF_NUMPY. Prints the largest difference of each kind and exits 1 when one
is over its tolerance.
"""
import contextlib
import csv
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

REF = os.environ.get('REF_NUMPY', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'bench', 'ref_numpy.py'))
if not os.path.exists(REF):
    sys.exit(f'{REF}: not found (set REF_NUMPY to the lab\'s ref_numpy.py)')
spec = importlib.util.spec_from_file_location('ref_numpy', REF)
R = importlib.util.module_from_spec(spec)
spec.loader.exec_module(R)

DATA = sys.argv[1] if len(sys.argv) > 1 else None
tmp = tempfile.mkdtemp()
BIN = os.path.join(tmp, 'backprop')
subprocess.run(['go', 'build', '-o', BIN, '.'], check=True)
failed = []


def go(*args):
    r = subprocess.run([BIN, '-plot=false', '-q', '-out', os.path.join(tmp, 'out')] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f'backprop {" ".join(args)} failed:\n{r.stderr}')
    return r.stdout


def rows(name):
    with open(os.path.join(tmp, 'out', name)) as f:
        return list(csv.DictReader(f))


def rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def check(what, diff, tol):
    ok = diff <= tol
    print(f'  {what:<44} {diff:10.3g}   (tolerance {tol:g}) {"ok" if ok else "FAIL"}')
    if not ok:
        failed.append(what)


def same(what, got, want):
    ok = list(got) == list(want)
    print(f'  {what:<44} {"same" if ok else "DIFFERENT"}')
    if not ok:
        print(f'    got  {list(got)}\n    want {list(want)}')
        failed.append(what)


def quiet(f, *a, **kw):
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all='ignore'):
        return f(*a, **kw)


# XOR ------------------------------------------------------------------------
print('xor (seed 1234, batch 4, eta 0.1, 100 epochs)')
X, T = R.load_XOR()
rng = np.random.RandomState(1234)
net = R.MLP(n_inputs=2, layers=[R.LinearLayer(2, 4, rng, 'Linear_1'), R.ReLULayer('ReLU_1'),
                                R.LinearLayer(4, 2, rng, 'Linear_OUT'), R.SoftmaxLayer('Softmax')],
            loss=R.LossCrossEntropy('CE'))
W0 = [net.layers[0].W.copy(), net.layers[2].W.copy()]
ri = quiet(R.train, net, X, T, batch_size=4, eta=0.1, n_epochs=100, X_test=X, T_test=T)
model = os.path.join(tmp, 'xor0.json')
go('-exp', 'xor', '-epochs', '0', '-save', model)
with open(model) as f:
    layers = [l for l in json.load(f)['layers'] if l['kind'] == 'linear']
gotW = np.concatenate([np.asarray(l['W']).ravel() for l in layers])
wantW = np.concatenate([w.ravel() for w in W0])
same('initial weights, bit for bit', gotW.tobytes(), wantW.tobytes())
out = go('-exp', 'xor')
r = rows('xor.csv')
check('loss per epoch, largest relative difference', rel([float(x['loss_train']) for x in r], ri['loss_train']), 1e-12)
same('accuracy per epoch', [float(x['acc_train']) for x in r], ri['acc_train'])
table = re.findall(r'^\S+\s+\S+\s+(\d\.\d{6})\s+(\d\.\d{6})\s', out, re.M)
same('Propagate(X), the digits numpy prints', [float(v) for row in table for v in row],
     [float(f'{v:.6f}') for v in net.propagate(X).ravel()])

# Spirals --------------------------------------------------------------------
print('spirals (seed 1234, full batch, 1000 epochs, eta 0.2, 1 and 5)')
Xs, Ts, Xt, Tt = R.load_spirals()
go('-exp', 'spiral')
r = rows('spiral.csv')
for eta in (0.2, 1, 5):
    rng = np.random.RandomState(1234)
    net = R.MLP(n_inputs=2, layers=[R.LinearLayer(2, 10, rng, 'Linear_1'), R.ReLULayer('ReLU_1'),
                                    R.LinearLayer(10, 3, rng, 'Linear_OUT'), R.SoftmaxLayer('Softmax')],
                loss=R.LossCrossEntropy('CE'))
    ri = quiet(R.train, net, Xs, Ts, batch_size=300, eta=eta, n_epochs=1000, X_test=Xt, T_test=Tt)
    mine = [x for x in r if float(x['eta']) == eta]
    for k in ('loss_train', 'loss_test'):
        check(f'eta {eta}: {k} per epoch', rel([float(x[k]) for x in mine], ri[k]), 1e-9)
    for k in ('acc_train', 'acc_test'):
        same(f'eta {eta}: {k} per epoch', [float(x[k]) for x in mine], ri[k])

# MNIST ----------------------------------------------------------------------
if DATA:
    print('mnist (seed 1234, batch 3000, eta 0.1, 3 epochs; numpy with --x64)')
    os.environ['MNIST_DIR'] = DATA
    R.MNIST_DIR = DATA
    model = os.path.join(tmp, 'mnist0.json')
    go('-exp', 'mnist', '-data', DATA, '-epochs', '0', '-save', model)
    with open(model) as f:
        got = np.concatenate([np.asarray(l['W']).ravel() for l in json.load(f)['layers'] if l['kind'] == 'linear'])
    want = np.concatenate([l.W.ravel() for l in R._mnist_layers(np.random.RandomState(1234)) if l.has_params()])
    ulps = np.abs(got.view(np.int64) - want.view(np.int64))
    print(f'  initial weights: {np.count_nonzero(ulps)} of {got.size} differ, by at most {ulps.max()} ulp'
          ' (the C library\'s log off by its last bit)')
    ri = quiet(R.experiment_MNIST, n_epochs=3, x64=True)
    go('-exp', 'mnist', '-data', DATA, '-epochs', '3')
    r = rows('mnist.csv')
    for k in ('loss_train', 'loss_test'):
        check(f'{k} per epoch', rel([float(x[k]) for x in r], ri[k]), 1e-6)
    for k in ('acc_train', 'acc_test'):
        same(f'{k} per epoch', [float(x[k]) for x in r], ri[k])
else:
    print('mnist: skipped (give the MNIST directory as the argument)')

if failed:
    sys.exit('disagree: ' + '; '.join(failed))
print('all agree')

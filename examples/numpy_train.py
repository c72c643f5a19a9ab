"""Bring your own data and weights: write a dataset and initial weights as safetensors from NumPy, train them with
`paratransfer train`, evaluate with `paratransfer eval`, and check both against a few lines of NumPy.

    python3 examples/numpy_train.py            # needs NumPy; uses the `safetensors` package when installed
    PARATRANSFER="npx paratransfer" python3 examples/numpy_train.py   # another way to call paratransfer

The network is the two-layer ReLU CNN of docs (README, "paratransfer train"): filters W [2, m, d] (class +1 first),
f(W, x) = (1/m) sum_r sum_q [relu(<w_{+1,r}, x_q>) - relu(<w_{-1,r}, x_q>)], full-batch gradient descent on the
logistic loss. Prints what it checked and "ok"; exits non-zero on any disagreement.
"""
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def paratransfer_command():
    """$PARATRANSFER, else this repository's bin/paratransfer.js, else `npx paratransfer`."""
    if os.environ.get('PARATRANSFER'):
        return shlex.split(os.environ['PARATRANSFER'])
    local = os.path.join(HERE, '..', 'bin', 'paratransfer.js')
    return ['node', local] if os.path.exists(local) else ['npx', 'paratransfer']


def save(path, tensors):
    """safetensors from NumPy: the `safetensors` package when present, else the format by hand (it is small)."""
    try:
        from safetensors.numpy import save_file
    except ImportError:
        save_file = None
    tensors = {k: np.ascontiguousarray(v, dtype='<f8') for k, v in tensors.items()}
    if save_file is not None:
        save_file(tensors, path)
        return
    header, blobs, pos = {}, [], 0
    for name, arr in tensors.items():
        data = arr.tobytes()
        header[name] = {'dtype': 'F64', 'shape': list(arr.shape), 'data_offsets': [pos, pos + len(data)]}
        blobs.append(data)
        pos += len(data)
    text = json.dumps(header).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as fh:
        fh.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


def load(path):
    """Read every tensor of a safetensors file (F64 or F32) into NumPy."""
    with open(path, 'rb') as fh:
        raw = fh.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    kinds = {'F64': '<f8', 'F32': '<f4'}
    return {k: np.frombuffer(raw[8 + n + t['data_offsets'][0]:8 + n + t['data_offsets'][1]], dtype=kinds[t['dtype']]).reshape(t['shape'])
            for k, t in header.items()}


def scores(W, X):
    pre = np.einsum('jrk,iqk->ijrq', W, X)
    act = np.maximum(pre, 0.0).sum(axis=(2, 3))
    return pre, (act[:, 0] - act[:, 1]) / W.shape[1]


def train(W, X, y, lr, steps):
    n, m = X.shape[0], W.shape[1]
    for _ in range(steps):
        pre, f = scores(W, X)
        z = y * f
        e = np.exp(-np.abs(z))
        dl = np.where(z > 0, -e / (1 + e), -1 / (1 + e))  # derivative of log(1 + exp(-z)), stable
        coef = (dl * y / n)[:, None, None, None] * np.array([1.0, -1.0])[None, :, None, None] / m * (pre > 0)
        W = W - lr * np.einsum('ijrq,iqk->jrk', coef, X)
    _, f = scores(W, X)
    return W, float(np.mean(np.logaddexp(0.0, -y * f)))


def task(rng, n, d, signal, noise=1.0, flip=0.1):
    """n samples of 2 patches: the label times a signal vector, and Gaussian noise; a fraction `flip` of labels flipped."""
    y_true = rng.choice([-1.0, 1.0], size=n)
    X = np.stack([y_true[:, None] * signal[None, :], noise * rng.standard_normal((n, d))], axis=1)
    y = np.where(rng.random(n) < flip, -y_true, y_true)
    return X, y, y_true


def run(*args):
    out = subprocess.run(paratransfer_command() + list(args), capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f'paratransfer {args[0]} failed ({out.returncode}): {out.stderr.strip()}')
    return json.loads(out.stdout)


def main():
    rng = np.random.default_rng(7)
    d, m, lr, steps = 40, 3, 0.5, 60
    signal = np.zeros(d)
    signal[0] = 2.0
    X, y, _ = task(rng, 50, d, signal)
    X_test, y_test, y_true = task(rng, 400, d, signal)
    W0 = 0.01 * rng.standard_normal((2, m, d))
    with tempfile.TemporaryDirectory() as tmp:
        files = {name: os.path.join(tmp, f'{name}.safetensors') for name in ('train', 'test', 'init', 'out')}
        save(files['train'], {'X': X, 'y': y})
        save(files['test'], {'X': X_test, 'y': y_test, 'yTrue': y_true})
        save(files['init'], {'W': W0})
        trained = run('train', '--dataset', files['train'], '--init', files['init'], '--lr', str(lr), '--steps', str(steps),
                      '--out', files['out'], '--json')
        evaluated = run('eval', '--dataset', files['test'], '--weights', files['out'], '--json')
        W = load(files['out'])['W']

    W_np, loss_np = train(W0, X, y, lr, steps)
    err_w = float(np.max(np.abs(W - W_np)) / np.max(np.abs(W_np)))
    _, f = scores(W_np, X_test)
    test_error = float(np.mean(np.sign(f) != y_true))
    print(f'train: {trained["steps"]} steps, loss {trained["loss"]:.6g} (NumPy {loss_np:.6g}); W differs by {err_w:.1e} (relative)')
    print(f'eval: test error {evaluated["testError"]:.4f} against {evaluated["labels"]} (NumPy {test_error:.4f}), '
          f'95% interval [{evaluated["interval"][0]:.4f}, {evaluated["interval"][1]:.4f}]')
    ok = err_w < 1e-9 and abs(trained['loss'] - loss_np) <= 1e-9 * max(1.0, loss_np) and evaluated['testError'] == test_error
    ok = ok and evaluated['labels'] == 'yTrue' and trained['steps'] == steps
    print('ok' if ok else 'MISMATCH')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())

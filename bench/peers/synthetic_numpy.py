#!/usr/bin/env python3
"""paratransfer's NumPy peer: the synthetic experiment of docs/model.md in float64 NumPy.

Installing its one package (NumPy):
  Debian/Ubuntu:  apt-get install python3-numpy      (then run it with /usr/bin/python3)
  pip:            python3 -m pip install numpy

What it is for: an independent second implementation of `paratransfer run`, written straight from the
equations of docs/model.md with explicit vectors in R^d, dense matrix products and no shared code, random
streams or atom dictionary. The benchmarks time it side by side with the TypeScript engines (bench/dense.js,
bench/engines.mjs), and bench/agreement.mjs checks that both give the same errors in distribution (the
random draws differ, so single runs are not equal; means over seeds are).

Usage:
  python3 synthetic_numpy.py [--preset NAME] [--config FILE.json] [--KEY VALUE ...]
  e.g. python3 synthetic_numpy.py --preset negative-transfer --seed 3 --d 20000

Keys are the config keys of docs/model.md#configuration (d, n1, n2, nTest, m, patches, uNorm, ...); --config
reads a JSON mapping of them (also the output of `paratransfer run --json`, whose "config" it takes). Later
sources win: defaults < preset < config file < flags. Prints one JSON line shaped like `paratransfer run
--json` without checkpoints: upstream / transfer / scratch with testError, testErrorNoisy, trainLoss,
stepsRun and end-of-training features, gain, inheritance, and timings (seconds of training per phase, which is
what the benchmarks compare).
"""
import argparse
import json
import sys
import time

import numpy as np

# The project's defaults and presets (src/config/presets.ts; test/bench/synthetic-peer.test.ts keeps them equal).
DEFAULTS = dict(
    d=2000, n1=200, n2=40, nTest=2000, m=20, patches=2, uNorm=2.0, v1Norm=2.0, v2Norm=1.0, vCos=0.0,
    sigmaP1=1.0, sigmaP2=1.0, labelNoise=0.0, sigma0=0.01, lr=1.0, steps=300, lossThreshold=0.0, alpha=0.5,
    inheritance='random', freezeInherited=False, seed=0, basis='random', signalPatch='first',
)
PRESETS = {
    'positive-transfer': dict(uNorm=2.0, v1Norm=2.0, v2Norm=1.0),
    'negative-transfer': dict(uNorm=0.3, v1Norm=4.0, v2Norm=2.5, n1=800),
    'no-shared-signal': dict(uNorm=0.0, v2Norm=2.5, steps=100),
}
CHOICES = dict(inheritance=('random', 'first', 'entries'), basis=('random', 'canonical'), signalPatch=('first', 'random'))
# Keys of the TypeScript tool that do not change what is computed here (explicit vectors, measured at the end).
IGNORED = ('sampler', 'checkpoints')


def fail(message):
    print(f'synthetic_numpy: {message}', file=sys.stderr)
    sys.exit(2)


def coerce(key, value):
    """A config value of the right type, or a one-line error naming the key."""
    kind = type(DEFAULTS[key])
    if kind is bool:
        if isinstance(value, str) and value.lower() in ('true', 'false'):
            return value.lower() == 'true'
        if isinstance(value, bool):
            return value
        fail(f'{key}: must be true or false')
    if kind is str:
        if value not in CHOICES[key]:
            fail(f'{key}: must be one of {", ".join(CHOICES[key])}')
        return value
    try:
        x = kind(value)
    except (TypeError, ValueError):
        fail(f'{key}: must be {"an integer" if kind is int else "a number"} (got {value!r})')
    if kind is int and float(value) != x:
        fail(f'{key}: must be an integer (got {value!r})')
    return x


def load_config(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preset', choices=sorted(PRESETS))
    parser.add_argument('--config', help='JSON file of config keys (or a `paratransfer run --json` result)')
    for key in DEFAULTS:
        parser.add_argument(f'--{key}', dest=key, default=None)
    args = parser.parse_args(argv)
    c = dict(DEFAULTS)
    if args.preset:
        c.update(PRESETS[args.preset])
    if args.config:
        with open(args.config, encoding='utf-8') as fh:
            doc = json.load(fh)
        doc = doc.get('config', doc)
        for key, value in doc.items():
            if key in IGNORED:
                continue
            if key not in DEFAULTS:
                fail(f'{args.config}: unknown key {key}')
            c[key] = value
    for key in DEFAULTS:
        if getattr(args, key) is not None:
            c[key] = getattr(args, key)
    c = {key: coerce(key, value) for key, value in c.items()}
    if c['patches'] < 2 or c['d'] < 2 or c['m'] < 1 or min(c['n1'], c['n2'], c['nTest']) < 1:
        fail('need patches >= 2, d >= 2, m >= 1 and at least one sample per set')
    if not 0 <= c['labelNoise'] < 0.5 or not 0 <= c['alpha'] <= 1 or not -1 <= c['vCos'] <= 1:
        fail('need 0 <= labelNoise < 0.5, 0 <= alpha <= 1 and -1 <= vCos <= 1')
    # Noise needs a free dimension beyond the non-zero directions (docs/model.md#dimension).
    v2_parallel = c['v1Norm'] > 0 and abs(c['vCos']) == 1
    dirs = (c['uNorm'] > 0) + (c['v1Norm'] > 0) + (c['v2Norm'] > 0 and not v2_parallel)
    if c['d'] < max(2, dirs + 1):
        fail(f'd: must be >= {max(2, dirs + 1)} for the non-zero directions (u, v1, v2) plus room for noise')
    return c


def streams(seed):
    """Independent generators per named purpose, so e.g. changing N1 never changes the downstream draws."""
    names = ('frame', 'train1', 'train2', 'test1', 'test2', 'init1', 'init2', 'inherit')
    return {name: np.random.default_rng([seed, i]) for i, name in enumerate(names)}


def frame(c, rng):
    """Unit vectors e_u, e_v1, e_v2 with e_u orthogonal to both and cos(e_v1, e_v2) = vCos (docs/model.md#data)."""
    d = c['d']
    need_v1 = c['v1Norm'] > 0 or (c['v2Norm'] > 0 and c['vCos'] != 0)
    need_e3 = c['v2Norm'] > 0 and abs(c['vCos']) < 1
    needed = [c['uNorm'] > 0, need_v1, need_e3]
    # With d >= 3 always three directions, so a norm swept through 0 leaves the others in place.
    count = 3 if d >= 3 else sum(needed)
    if c['basis'] == 'canonical':
        q = np.eye(d)[:count]
    else:
        q = np.linalg.qr(rng.standard_normal((d, count)))[0].T if count else np.zeros((0, d))
    vecs = iter(q)
    zero = np.zeros(d)
    e_u, e_v1, e3 = (next(vecs) if (d >= 3 or want) else zero for want in needed)
    e_v2 = c['vCos'] * e_v1 + np.sqrt(max(0.0, 1 - c['vCos'] ** 2)) * e3
    return e_u, e_v1, e_v2


class Task:
    def __init__(self, c, k, e_u, e_v):
        self.u = c['uNorm'] * e_u
        self.v = (c['v1Norm'] if k == 1 else c['v2Norm']) * e_v
        self.signal = self.u + self.v
        self.sigma = c['sigmaP1'] if k == 1 else c['sigmaP2']
        # Noise lives in the complement of the task's own non-zero directions.
        self.away = [e for e, norm in ((e_u, c['uNorm']), (e_v, c['v1Norm'] if k == 1 else c['v2Norm'])) if norm > 0]
        self.P = c['patches']
        self.p = c['labelNoise']
        self.random_patch = c['signalPatch'] == 'random'

    def sample(self, n, rng):
        """True labels, observed labels, and the noise patches xi (n, P-1, d): patch q != signal position."""
        y_true = rng.choice([-1.0, 1.0], size=n)
        y = np.where(rng.random(n) < self.p, -y_true, y_true)
        xi = rng.standard_normal((n, self.P - 1, len(self.signal)))
        flat = xi.reshape(-1, xi.shape[2])
        flat *= self.sigma
        for lo in range(0, len(flat), 4096):  # in blocks: a test set at d = 10^5 is 1.6 GB
            block = flat[lo:lo + 4096]
            for e in self.away:
                block -= np.outer(block @ e, e)
        # Where the signal patch sits does not change f (a sum over patches), but it is drawn as the model says.
        position = rng.integers(0, self.P, n) if self.random_patch else np.zeros(n, dtype=int)
        return dict(y_true=y_true, y=y, xi=xi, position=position)


def preacts(W, task, data):
    """<w_r, x_q> for the signal patch (2m, n) and the noise patches (2m, n, P-1)."""
    xi = data['xi']
    signal = np.outer(W @ task.signal, data['y_true'])
    noise = (W @ xi.reshape(-1, xi.shape[2]).T).reshape(len(W), xi.shape[0], xi.shape[1])
    return signal, noise


def scores(W, m, task, data):
    signal, noise = preacts(W, task, data)
    per_filter = np.maximum(signal, 0) + np.maximum(noise, 0).sum(axis=2)
    return (per_filter[:m].sum(axis=0) - per_filter[m:].sum(axis=0)) / m


def error(f, labels):
    # sign(0) = 0 is never a label: f = 0 counts as an error, as in the TypeScript tool.
    return float(np.mean(np.sign(f) != labels))


def train(c, task, data, W0, frozen=None):
    """Full-batch GD on the logistic loss; tracks the coefficients of W - W0 on s and on each xi.

    frozen: None, ('rows', bool[2m]) or ('entries', bool[2m, d]).
    Returns W, gamma (2m,) on s/||s||^2, rho (2m, n, P-1) on xi/||xi||^2, loss, steps run.
    """
    m, n, lr = c['m'], len(data['y']), c['lr']
    j = np.r_[np.ones(m), -np.ones(m)]
    y, y_true, xi = data['y'], data['y_true'], data['xi']
    W = W0.copy()
    coef_s = np.zeros(2 * m)
    coef_xi = np.zeros((2 * m, n, c['patches'] - 1))
    t = 0
    while True:
        signal, noise = preacts(W, task, data)
        per_filter = np.maximum(signal, 0) + np.maximum(noise, 0).sum(axis=2)
        f = (j @ per_filter) / m
        margin = y * f
        loss = float(np.mean(np.logaddexp(0.0, -margin)))
        if not np.isfinite(loss):
            raise FloatingPointError(f'the loss diverged at step {t} with lr = {lr}: use a smaller lr')
        if t >= c['steps'] or loss <= c['lossThreshold']:
            return W, coef_s * (task.signal @ task.signal), coef_xi * np.einsum('nqd,nqd->nq', xi, xi), loss, t
        # dL/df_i = l'(y_i f_i) y_i / n with l'(z) = -1/(1 + e^z), computed without overflow.
        dl = -np.exp(-np.logaddexp(0.0, margin)) * y / n
        g = np.outer(j / m, dl)  # (2m, n): dL/d(unit i's contribution through filter r)
        # ReLU'(0) = 0; the signal patch is y_true * s, so its gradient is y_true * s.
        g_s = ((signal > 0) * g) @ y_true
        g_xi = (noise > 0) * g[:, :, None]
        if frozen is not None and frozen[0] == 'rows':
            g_s[frozen[1]] = 0
            g_xi[frozen[1]] = 0
        step = np.outer(g_s, task.signal) + g_xi.reshape(2 * m, -1) @ xi.reshape(-1, xi.shape[2])
        if frozen is not None and frozen[0] == 'entries':
            step[frozen[1]] = 0
        W -= lr * step
        if not np.isfinite(W).all():  # every ReLU may die while the loss stays finite
            raise FloatingPointError(f'the weights overflowed at step {t + 1} with lr = {lr}: use a smaller lr')
        coef_s -= lr * g_s
        coef_xi -= lr * g_xi
        t += 1


def group_features(W, gamma, rho, m, rows, probes, data):
    """Signal learning, noise memorisation, gamma and rho of the filters in `rows` (docs/model.md#measures)."""
    j = np.r_[np.ones(m), -np.ones(m)]
    proj = W @ np.stack(probes).T  # (2m, 3): <w_r, u>, <w_r, v1>, <w_r, v2>

    def class_max(values):
        out = {}
        for name, lo in (('pos', 0), ('neg', m)):
            sel = rows[lo:lo + m]
            out[name] = float(np.max((j * values)[lo:lo + m][sel])) if sel.any() else None
        return out

    xi = data['xi']
    noise = (W @ xi.reshape(-1, xi.shape[2]).T).reshape(2 * m, xi.shape[0], xi.shape[1])
    own = np.where(data['y'] > 0, 0, 1)  # the filters of sample i's observed class
    mem, rh = [], []
    for cls in (0, 1):
        sel = np.zeros(2 * m, dtype=bool)
        sel[cls * m:(cls + 1) * m] = rows[cls * m:(cls + 1) * m]
        samples = own == cls
        if sel.any() and samples.any():
            mem.append(noise[sel][:, samples].max(axis=0).ravel())
            rh.append(rho[sel][:, samples].max(axis=0).ravel())
    has = bool(mem)
    return dict(
        filters=int(rows[:m].sum()),
        signalLearning=dict(u=class_max(proj[:, 0]), v1=class_max(proj[:, 1]), v2=class_max(proj[:, 2])),
        gamma=class_max(gamma),
        noiseMemorization=float(np.concatenate(mem).mean()) if has else None,
        rho=float(np.concatenate(rh).mean()) if has else None,
    )


def phase(c, task, train_set, test_set, W0, probes, inherited=None, frozen=None):
    t0 = time.perf_counter()
    W, gamma, rho, loss, steps = train(c, task, train_set, W0, frozen)
    seconds = time.perf_counter() - t0
    f = scores(W, c['m'], task, test_set)
    every = np.ones(2 * c['m'], dtype=bool)
    features = dict(all=group_features(W, gamma, rho, c['m'], every, probes, train_set))
    if inherited is not None and inherited.any():
        features['inherited'] = group_features(W, gamma, rho, c['m'], inherited, probes, train_set)
        features['fresh'] = group_features(W, gamma, rho, c['m'], ~inherited, probes, train_set)
    result = dict(testError=error(f, test_set['y_true']), testErrorNoisy=error(f, test_set['y']), trainLoss=loss,
                  stepsRun=steps, features=features)
    return result, W, seconds


def run(c):
    rng = streams(c['seed'])
    m, d = c['m'], c['d']
    t0 = time.perf_counter()
    e_u, e_v1, e_v2 = frame(c, rng['frame'])
    task1, task2 = Task(c, 1, e_u, e_v1), Task(c, 2, e_u, e_v2)
    train1, train2 = task1.sample(c['n1'], rng['train1']), task2.sample(c['n2'], rng['train2'])
    init1 = rng['init1'].standard_normal((2 * m, d)) * c['sigma0']
    fresh = rng['init2'].standard_normal((2 * m, d)) * c['sigma0']
    data_s = time.perf_counter() - t0
    probes = (task1.u, task1.v, task2.v)

    # Each test set is drawn when its task is evaluated: at d = 10^5 one is 1.6 GB.
    up, W1, up_s = phase(c, task1, train1, task1.sample(c['nTest'], rng['test1']), init1, probes)
    test2 = task2.sample(c['nTest'], rng['test2'])

    # Inheritance: k = round(alpha m) filters per class (Python rounds half to even, as the tool does).
    W_t = fresh.copy()
    rows = np.zeros(2 * m, dtype=bool)
    if c['inheritance'] == 'entries':
        entries = rng['inherit'].random(W_t.shape) < c['alpha']
        W_t[entries] = W1[entries]
        frozen = ('entries', entries) if c['freezeInherited'] else None
        count, per_class = int(entries.sum()), None
    else:
        k = round(c['alpha'] * m)
        for cls in (0, 1):
            picks = rng['inherit'].choice(m, k, replace=False) if c['inheritance'] == 'random' else np.arange(k)
            rows[cls * m + picks] = True
        W_t[rows] = W1[rows]
        frozen = ('rows', rows) if c['freezeInherited'] else None
        count, per_class = int(rows.sum()) * d, k

    tr, _, tr_s = phase(c, task2, train2, test2, W_t, probes, inherited=None if c['inheritance'] == 'entries' else rows,
                        frozen=frozen)
    sc, _, sc_s = phase(c, task2, train2, test2, fresh, probes)
    return dict(
        peer='bench/peers/synthetic_numpy.py', numpy=np.__version__, config=c,
        upstream=up, transfer=tr, scratch=sc, gain=sc['testError'] - tr['testError'],
        inheritance=dict(strategy=c['inheritance'], filtersPerClass=per_class, parameters=count),
        timings=dict(data=data_s, upstream=up_s, transfer=tr_s, scratch=sc_s),
    )


if __name__ == '__main__':
    config = load_config(sys.argv[1:])
    try:
        out = run(config)
    except FloatingPointError as e:
        fail(str(e))
    print(json.dumps(out))

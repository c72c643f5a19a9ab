"""NumPy peer of `npm run bench -- scores`: times the fixture implementation of every score
(test/fixtures/scores/make_scores.py, float64 NumPy/LAPACK) on one safetensors file of features and labels.

Usage: python3 scores_numpy.py FILE.safetensors   Prints one JSON line {"logme": s, "hscore": s, ..., "values": {...}}.
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'scores'))
import make_scores as ms  # noqa: E402


def main():
    t = ms.read_safetensors(sys.argv[1])
    F, y = t['features'], t['labels'].astype(np.int64)
    times, values = {}, {}
    for name, fn in [('logme', ms.logme), ('hscore', ms.hscore), ('transrate', ms.transrate),
                     ('knn', lambda F, y: ms.knn(F, y, 5))]:
        t0 = time.perf_counter()
        values[name] = fn(F, y)
        times[name] = time.perf_counter() - t0
    times['values'] = values
    print(json.dumps(times))


if __name__ == '__main__':
    main()

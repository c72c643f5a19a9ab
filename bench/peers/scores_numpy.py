"""NumPy peer of `npm run bench -- scores`: times the fixture implementation of every score
(test/fixtures/scores/make_scores.py, float64 NumPy/LAPACK) on one safetensors file of features and labels.

Usage: python3 scores_numpy.py FILE.safetensors   Prints one JSON line {"logme": s, "hscore": s, ..., "values": {...}}.
"""
import json
import os
import struct
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'scores'))
import make_scores as ms  # noqa: E402


def read(path):
    with open(path, 'rb') as fh:
        raw = fh.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    return {name: np.frombuffer(raw[8 + n + h['data_offsets'][0]:8 + n + h['data_offsets'][1]],
                                dtype=ms.NP_DTYPES[h['dtype']]).reshape(h['shape']).astype(np.float64)
            for name, h in header.items()}


def main():
    t = read(sys.argv[1])
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

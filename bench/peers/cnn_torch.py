#!/usr/bin/env python3
"""paratransfer's PyTorch peer: CPU training throughput of the reference CNN (docs/model.md#real-images).

Installing its one package (PyTorch, CPU build; it brings NumPy along):
  Debian/Ubuntu:  apt-get install python3-torch      (then run it with /usr/bin/python3)
  pip:            python3 -m pip install torch        (the CPU wheel is enough)

`paratransfer bench cnn` runs it alternately with the project's own CNN engine and compares images per second.
The protocol is the engine's (src/real/bench.ts), so the two numbers measure the same work:
- network: src/real/arch/reference.ts — conv 16@3x3 -> ReLU -> 2x2 max-pool -> conv 32@3x3 -> ReLU -> 2x2 max-pool
  -> linear 10, no padding, biases on, He-normal weights and zero biases;
- data: random 28x28x1 images with pixels uniform in [0, 1) and uniform labels in 0..9;
- training: minibatches of 64 in a fixed order, softmax cross-entropy (mean over the batch), SGD with learning
  rate 0.05 and momentum 0.9, no weight decay;
- timing: one warm-up epoch, then `--epochs` timed epochs over `--images` images.

Usage: python3 cnn_torch.py [--images 4096] [--epochs 2] [--threads 2] [--seed 0]
The last line of output is JSON: {"images_per_s": ..., "seconds": ..., "images": ..., "epochs": ...,
"threads": ..., "torch": "<version>"}.
"""
import argparse
import json
import time

import torch
from torch import nn


def reference_cnn(classes=10):
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, classes),
    )
    # The engine's initialisation: He-normal (std sqrt(2 / fan-in)) weights, zero biases.
    for layer in net:
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(layer.weight, nonlinearity='relu')
            nn.init.zeros_(layer.bias)
    return net


def main():
    parser = argparse.ArgumentParser(description='PyTorch CPU training throughput of the reference CNN')
    parser.add_argument('--images', type=int, default=4096, help='images per epoch (default 4096)')
    parser.add_argument('--epochs', type=int, default=2, help='timed epochs after one warm-up epoch (default 2)')
    parser.add_argument('--threads', type=int, default=2, help='intra-op threads (default 2, the machine size)')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--seed', type=int, default=0)
    a = parser.parse_args()
    if a.images < a.batch or a.epochs < 1 or a.threads < 1:
        parser.error('need --images >= --batch, --epochs >= 1 and --threads >= 1')

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    net = reference_cnn()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    x = torch.rand(a.images, 1, 28, 28)
    y = torch.randint(0, 10, (a.images,))
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        for lo in range(0, a.images, a.batch):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x[lo:lo + a.batch]), y[lo:lo + a.batch])
            loss.backward()
            opt.step()
        return float(loss)

    epoch()  # warm-up: allocator, thread pool, first-touch of the weights
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        last = epoch()
    seconds = time.perf_counter() - t0
    if last != last:  # NaN: the run did not train, its timing means nothing
        raise SystemExit('cnn_torch: the loss became NaN')
    print(json.dumps(dict(images_per_s=a.epochs * a.images / seconds, seconds=seconds, images=a.images,
                          epochs=a.epochs, threads=a.threads, torch=torch.__version__)))


if __name__ == '__main__':
    main()

#!/usr/bin/python3
"""One SGD training step of a 784-512-512-10 relu MLP with softmax
cross-entropy, batch 128, in NumPy float32: the baseline bench/train_step
compares our fast CPU path against. Prints steps per second."""
import sys
import time

import numpy as np

layers = [784, 512, 512, 10]
batch = 128
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
rng = np.random.default_rng(7)
x = rng.standard_normal((4096, layers[0]), dtype=np.float32)
y = rng.integers(0, layers[-1], 4096)
W = [(rng.uniform(-1, 1, (a, b)) * np.sqrt(6 / a)).astype(np.float32) for a, b in zip(layers, layers[1:])]
b = [np.zeros(n, np.float32) for n in layers[1:]]
lr = np.float32(0.01)


def step(s):
    idx = rng.integers(0, x.shape[0], batch)
    h = [x[idx]]
    for l in range(len(W)):
        z = h[-1] @ W[l] + b[l]
        h.append(np.maximum(z, 0) if l + 1 < len(W) else z)
    z = h[-1]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    dz = p
    dz[np.arange(batch), y[idx]] -= 1
    dz /= batch
    for l in reversed(range(len(W))):
        gw = h[l].T @ dz
        gb = dz.sum(axis=0)
        if l > 0:
            dz = (dz @ W[l].T) * (h[l] > 0)
        W[l] -= lr * gw
        b[l] -= lr * gb


step(0)
t0 = time.perf_counter()
for s in range(steps):
    step(s)
print(steps / (time.perf_counter() - t0))

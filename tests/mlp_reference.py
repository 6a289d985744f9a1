#!/usr/bin/python3
"""Independent float64 reference of lib/compute/mlp.h's training, for tests.

Reimplements from the DEFINITION in lib/compute/mlp.h, with none of our C++: Philox
(integer ops), the He-uniform init (bit for bit, in float32), the batch
draws, the forward and backward passes, the losses and the optimizers (in
float64), and a parser of the GRIDMLP1 state layout.

    /usr/bin/python3 tests/mlp_reference.py IN.json > OUT.txt

IN holds the config, the dataset and the C++ state bytes (hex) at step 0 and
at the end; floats as C "%a" hex strings so nothing is lost in transit. OUT
has one "name value..." line each for: whether the init matched bit for bit,
the rows of step 0's batch, the batch loss of every step, the full-dataset
loss at the end, and the largest difference between the final C++ weights
and ours.
"""
import json
import struct
import sys

import numpy as np

MASK = 0xFFFFFFFF
INIT_STREAM = 0x4D4C0000
BATCH_STREAM = 0x4D4C4200
OPTIMIZERS = {"sgd": 0, "momentum": 1, "adam": 2}


def philox4x32_10(ctr, k0, k1):
    c0, c1, c2, c3 = ctr
    for _ in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c3 ^ k1) & MASK, p0 & MASK
        k0 = (k0 + 0x9E3779B9) & MASK
        k1 = (k1 + 0xBB67AE85) & MASK
    return c0, c1, c2, c3


def philox_word(seed, stream, index):
    block = index >> 2
    out = philox4x32_10((block & MASK, (block >> 32) & MASK, stream, 0), seed & MASK, (seed >> 32) & MASK)
    return out[index & 3]


def uniform_pm1(word):
    return (word >> 8) * 2.0**-23 - 1.0  # exact in double, equal to the float32


def he_uniform_f32(seed, layer, fan_in, fan_out):
    limit = np.sqrt(np.float32(6) / np.float32(fan_in))  # float32 ops, each correctly rounded
    u = np.array([uniform_pm1(philox_word(seed, INIT_STREAM + layer, e)) for e in range(fan_in * fan_out)],
                 dtype=np.float32)
    return (u * limit).reshape(fan_in, fan_out)


class StateReader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ValueError("state truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def i64(self):
        return struct.unpack("<q", self.take(8))[0]

    def f32(self, count):
        return np.frombuffer(self.take(4 * count), dtype="<f4").copy()


def parse_state(data, layers):
    """GRIDMLP1 (lib/compute/mlp.h): returns step and [W0, b0, W1, b1, ...] as float32."""
    r = StateReader(data)
    if r.take(8) != b"GRIDMLP1":
        raise ValueError("bad magic")
    n = r.u32()
    got_layers = [r.u32() for _ in range(n)]
    if got_layers != layers:
        raise ValueError("layers %r != %r" % (got_layers, layers))
    optimizer = r.u32()
    step = r.i64()
    params = []
    for l in range(len(layers) - 1):
        params.append(r.f32(layers[l] * layers[l + 1]).reshape(layers[l], layers[l + 1]))
        params.append(r.f32(layers[l + 1]))
    sizes = sum(p.size for p in params)
    rest = len(data) - r.pos
    want = {0: 0, 1: 4 * sizes, 2: 8 + 8 * sizes}[optimizer]
    if rest != want:
        raise ValueError("optimizer state is %d bytes, layout says %d" % (rest, want))
    return optimizer, step, params


def hexf(values):
    return np.array([float.fromhex(v) for v in values], dtype=np.float64)


def main():
    spec = json.load(open(sys.argv[1]))
    assert philox4x32_10((0, 0, 0, 0), 0, 0) == (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)

    layers, loss, opt = spec["layers"], spec["loss"], spec["optimizer"]
    seed, batch, steps = spec["seed"], spec["batch"], spec["steps"]
    names = ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay")
    lr, mu, b1, b2, eps, wd = (float.fromhex(spec[k]) for k in names)  # the float32 values, exactly
    rows, n_out = spec["rows"], spec["outputs"]
    x = hexf(spec["x"]).reshape(rows, spec["features"])
    labels = np.array(spec["labels"], dtype=np.int64)
    targets = hexf(spec["targets"]).reshape(rows, n_out) if loss == "mse" else None
    L = len(layers) - 1

    init32 = []
    for l in range(L):
        init32.append(he_uniform_f32(seed, l, layers[l], layers[l + 1]))
        init32.append(np.zeros(layers[l + 1], dtype=np.float32))
    c_opt, c_step, c_init = parse_state(bytes.fromhex(spec["initial_state"]), layers)
    same_bits = all(np.array_equal(a.view(np.uint32), b.view(np.uint32)) for a, b in zip(init32, c_init))
    init_bits_match = c_opt == OPTIMIZERS[opt] and c_step == 0 and same_bits

    params = [p.astype(np.float64) for p in init32]
    slots = [np.zeros_like(p) for p in params for _ in range(OPTIMIZERS[opt])]  # 0, 1 or 2 per tensor

    def forward(xb):
        acts = [xb]
        for l in range(L):
            z = acts[-1] @ params[2 * l] + params[2 * l + 1]
            acts.append(np.maximum(z, 0.0) if l + 1 < L else z)
        return acts

    def loss_and_dz(z, idx):
        B = z.shape[0]
        if loss == "softmax_xent":
            m = z.max(axis=1, keepdims=True)
            e = np.exp(z - m)
            s = e.sum(axis=1, keepdims=True)
            y = labels[idx]
            value = np.mean(np.log(s[:, 0]) - (z[np.arange(B), y] - m[:, 0]))
            dz = e / s
            dz[np.arange(B), y] -= 1.0
            return value, dz / B
        d = z - targets[idx]
        return np.mean(d * d), 2.0 * d / d.size

    losses, batch0 = [], None
    for s in range(steps):
        idx = np.array([philox_word(seed, BATCH_STREAM, s * batch + j) % rows for j in range(batch)])
        if batch0 is None:
            batch0 = idx.tolist()
        acts = forward(x[idx])
        value, dz = loss_and_dz(acts[-1], idx)
        losses.append(value)
        grads = [None] * (2 * L)
        for l in range(L - 1, -1, -1):
            grads[2 * l] = acts[l].T @ dz
            grads[2 * l + 1] = dz.sum(axis=0)
            if l > 0:
                dz = (dz @ params[2 * l].T) * (acts[l] > 0)
        t = s + 1
        for k, (p, g) in enumerate(zip(params, grads)):
            if wd != 0:
                g = g + wd * p
            if opt == "sgd":
                p -= lr * g
            elif opt == "momentum":
                slots[k] = mu * slots[k] + g
                p -= lr * slots[k]
            else:
                m = slots[2 * k] = b1 * slots[2 * k] + (1 - b1) * g
                v = slots[2 * k + 1] = b2 * slots[2 * k + 1] + (1 - b2) * g * g
                p -= (lr / (1 - b1**t)) * (m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps))

    all_idx = np.arange(rows)
    eval_loss = loss_and_dz(forward(x)[-1], all_idx)[0]
    weight_diff = None
    if spec.get("final_state"):
        _, f_step, final = parse_state(bytes.fromhex(spec["final_state"]), layers)
        weight_diff = max(float(np.max(np.abs(a.astype(np.float64) - b))) for a, b in zip(final, params))
        if f_step != steps:
            weight_diff = float("inf")
    # One "name value..." line each: trivial to read from C++ without a JSON library.
    print("init_bits_match", int(init_bits_match))
    print("batch_rows_step0", *batch0)
    print("losses", *(repr(float(v)) for v in losses))
    print("eval_loss", repr(float(eval_loss)))
    print("final_max_weight_diff", repr(weight_diff if weight_diff is not None else float("nan")))


if __name__ == "__main__":
    main()

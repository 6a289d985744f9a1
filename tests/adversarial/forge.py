#!/usr/bin/python3
"""Forgers for the adversarial suite: each reads an honest result (one JSON
line) on stdin, writes a forged one on stdout, consistent in itself (leaves,
checkpoints, final state and RFC 6962 root agree), unsigned: the caller
re-signs it with grid-key sign. Objects it makes go into the store given.

  forge.py reroot                        root and final state from the leaves
  forge.py fake-segments J...            steps inside segments J made up
  forge.py round STORE fp16|tf32|ftz     every checkpoint's floats rounded
  forge.py flip-zero STORE STEP          a +0 of the checkpoint at STEP made -0
  forge.py zero-stats STORE              counts of -0, +0, subnormals, NaNs in the checkpoints
  forge.py diverge STEP                  every leaf from STEP on made up
  forge.py reseal [PUB]                  the seal recomputed for signer PUB (default: .sig.by)
  forge.py nonce N                       a field the verifier ignores set to N
  forge.py exec-recommit                 an exec result's output_root and run_sha256 from its fields
"""
import hashlib
import json
import os
import struct
import sys

import numpy as np


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from merkle_reference import leaf, mth, sha  # noqa: E402  (RFC 6962, tests/merkle_reference.py)


def reroot(r):
    t = r["train"]["trace"]
    for cp in t["checkpoints"]:
        cp["sha256"] = "sha256:" + t["leaves"][cp["step"]]
    t["root"] = "sha256:" + mth([leaf(x) for x in t["leaves"]]).hex()
    r["train"]["final"]["state_sha256"] = "sha256:" + t["leaves"][-1]
    return r


def object_path(store, ref):
    h = ref.removeprefix("sha256:")
    return f"{store}/sha256/{h[:2]}/{h[2:]}"


def put(store, data):
    h = sha(data).hex()
    path = object_path(store, h)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return h


def float_ranges(state):
    """(offset, count) of the f32 runs of a GRIDMLP1 state (lib/compute/mlp.h)."""
    assert state[:8] == b"GRIDMLP1", "not a state"
    n = struct.unpack_from("<I", state, 8)[0]
    layers = struct.unpack_from(f"<{n}I", state, 12)
    optimizer = struct.unpack_from("<I", state, 12 + 4 * n)[0]
    pos = 12 + 4 * n + 4 + 8
    params = sum(layers[i] * layers[i + 1] + layers[i + 1] for i in range(n - 1))
    runs = [(pos, params)]
    pos += 4 * params
    if optimizer == 1:
        runs.append((pos, params))
        pos += 4 * params
    elif optimizer == 2:
        pos += 8  # i64 t
        runs.append((pos, 2 * params))
        pos += 8 * params
    assert pos == len(state), "unexpected state size"
    return runs


def floats(state):
    return [np.frombuffer(state, dtype="<u4", count=c, offset=o) for o, c in float_ranges(state)]


def rounded(state, how):
    out = bytearray(state)
    for o, c in float_ranges(state):
        bits = np.frombuffer(state, dtype="<u4", count=c, offset=o).copy()
        if how == "fp16":
            bits = bits.view("<f4").astype(np.float16).astype("<f4").view("<u4")
        elif how == "tf32":  # 10 mantissa bits, round to nearest even
            bits = ((bits + 0xFFF + ((bits >> 13) & 1)) & 0xFFFFE000).astype("<u4")
        elif how == "ftz":  # subnormals flushed to a zero of their sign
            sub = ((bits & 0x7F800000) == 0) & ((bits & 0x7FFFFF) != 0)
            bits[sub] &= 0x80000000
        out[o:o + 4 * c] = bits.tobytes()
    return bytes(out)


def restate(r, store, change):
    """Each checkpoint's state replaced by change(step, bytes); the leaves
    at the checkpoint steps and the root made to match."""
    t = r["train"]["trace"]
    for cp in t["checkpoints"]:
        with open(object_path(store, cp["sha256"]), "rb") as f:
            old = f.read()
        new = change(cp["step"], old)
        if new != old:
            t["leaves"][cp["step"]] = put(store, new)
    return reroot(r)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    r = json.loads(sys.stdin.readline())
    if cmd == "reroot":
        reroot(r)
    elif cmd == "fake-segments":
        t = r["train"]["trace"]
        cps = [cp["step"] for cp in t["checkpoints"]]
        for j in map(int, args):
            for s in range(cps[j] + 1, cps[j + 1]):
                t["leaves"][s] = hashlib.sha256(b"made up %d" % s).hexdigest()
        reroot(r)
    elif cmd == "diverge":
        t = r["train"]["trace"]
        for s in range(int(args[0]), len(t["leaves"])):
            t["leaves"][s] = hashlib.sha256(b"wrong %s %d" % (args[0].encode(), s)).hexdigest()
        reroot(r)
    elif cmd == "round":
        restate(r, args[0], lambda step, b: rounded(b, args[1]))
    elif cmd == "flip-zero":
        def flip(step, b):
            if step != int(args[1]):
                return b
            out = bytearray(b)
            for o, c in float_ranges(b):
                bits = np.frombuffer(b, dtype="<u4", count=c, offset=o)
                zeros = np.flatnonzero(bits == 0)
                if len(zeros):
                    struct.pack_into("<I", out, o + 4 * int(zeros[0]), 0x80000000)
                    return bytes(out)
            sys.exit("forge.py: no +0 in the checkpoint at step " + args[1])
        restate(r, args[0], flip)
    elif cmd == "zero-stats":
        total = {"negzero": 0, "poszero": 0, "subnormal": 0, "nan": 0}
        for cp in r["train"]["trace"]["checkpoints"]:
            with open(object_path(args[0], cp["sha256"]), "rb") as f:
                for bits in floats(f.read()):
                    total["negzero"] += int((bits == 0x80000000).sum())
                    total["poszero"] += int((bits == 0).sum())
                    total["subnormal"] += int((((bits & 0x7F800000) == 0) & ((bits & 0x7FFFFF) != 0)).sum())
                    total["nan"] += int((((bits & 0x7F800000) == 0x7F800000) & ((bits & 0x7FFFFF) != 0)).sum())
        print(json.dumps(total, separators=(",", ":")))
        return
    elif cmd == "reseal":
        out = {"train": ("train", "final", "state_sha256"), "gemm": ("gemm", "c_sha256"),
               "infer": ("infer", "predictions_sha256"), "exec": ("exec", "run_sha256")}[r["type"]]
        v = r
        for k in out:
            v = v[k]
        text = "gridutils seal v1\n%s\n%s\n%s" % (args[0] if args else r["sig"]["by"], r["task"], v)
        r["seal"] = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    elif cmd == "exec-recommit":
        e = r["exec"]
        leaves = [leaf((o["path"].encode() + b"\0" + o["size"].to_bytes(8, "big")).hex() + o["sha256"][7:])
                  for o in e["outputs"]]
        e["output_root"] = "sha256:" + (mth(leaves) if leaves else sha(b"")).hex()
        committed = {k: e[k] for k in ("status", "reason", "exit_code", "signal", "output_root", "stdout_sha256",
                                       "stderr_sha256")}
        canonical = json.dumps(committed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        e["run_sha256"] = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    elif cmd == "nonce":
        r["nonce"] = int(args[0])
    else:
        sys.exit("forge.py: unknown command " + cmd)
    print(json.dumps(r, separators=(",", ":")))


if __name__ == "__main__":
    main()

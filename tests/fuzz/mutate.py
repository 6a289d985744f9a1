#!/usr/bin/python3
"""Type mutants of gridutils messages, for tests/fuzz.bats.

Reads JSON Lines of valid messages and writes one mutant a line: for every
path in each message (nested objects and arrays included) the value is
replaced by each of a set of wrong-typed values, and the field is deleted.
With --max, a sample drawn from --seed is kept, so a run is repeatable.

Signatures are checked before anything else, so an unsigned mutant only
reaches the signature check. --sign KEY re-signs each mutant (and --id
fills in its id) through the real `grid-key`, and --inner PATH=KEY first
re-signs a nested signed message (a lease's .order, .bid; KEY '-' re-ids an
unsigned one, the order's .task), so mutants get
as far as the code that reads the field; --link DST=SRC then copies a
re-signed message's new id into the field that points at it (a lease's
.bid.order) before DST's message is signed, unless the mutant changed DST. A mutant grid-key refuses to sign
(a wrong .kind or .v) goes out unsigned: that field is checked first anyway.

--labels FILE gets one line per mutant naming the message and the change.
Standard library only.
"""
import argparse
import json
import random
import re
import subprocess
import sys

DEEP = "\u0000deep\u0000"  # stands for a 20000-deep array, spliced in as text
DEPTH = 20000

VALUES = [5, -0.0, 1e308, "x", "", None, True, [], {}, [1, 2], {"a": 1},
          2**64, -(2**63) - 1, -1, "\u0001\n\t\"\\\u2028", DEEP]
DELETE = object()


def show(v):
    if v is DELETE:
        return "deleted"
    if v is DEEP:
        return f"[[...]] x{DEPTH}"
    return json.dumps(v)


def paths(value, prefix=()):
    """Every path below value, parents before children."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield prefix + (k,)
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield prefix + (i,)
            yield from paths(v, prefix + (i,))


def path_text(p):
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in p)


def parse_path(text):
    return tuple(int(k[1:-1]) if k.startswith("[") else k[1:]
                 for k in re.findall(r"\.[^.\[]+|\[\d+\]", text))


def get(value, p):
    for k in p:
        if isinstance(value, dict) and isinstance(k, str) and k in value:
            value = value[k]
        elif isinstance(value, list) and isinstance(k, int) and k < len(value):
            value = value[k]
        else:
            return None
    return value


def replaced(msg, p, v):
    out = json.loads(json.dumps(msg))
    parent = get(out, p[:-1])
    if v is DELETE:
        del parent[p[-1]]
    else:
        parent[p[-1]] = v
    return out


def dump(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace(
        json.dumps(DEEP), "[" * DEPTH + "]" * DEPTH)


def undump(text):
    return json.loads(text.replace("[" * DEPTH + "]" * DEPTH, json.dumps(DEEP)))


def grid_key(args, objs):
    """Run grid-key ARGS over the objects; the result for each, or None
    where grid-key refused it (read from its '(input line N' errors)."""
    if not objs:
        return []
    text = "".join(dump(o) + "\n" for o in objs)
    p = subprocess.run(["grid-key"] + args + ["--keep-going"], input=text.encode(),
                       capture_output=True)
    bad = {int(n) for n in re.findall(rb"input line (\d+)", p.stderr)}
    out = p.stdout.decode().split("\n")[:-1]
    if len(out) != len(objs) - len(bad):
        sys.exit(f"mutate.py: grid-key {' '.join(args)} gave {len(out)} lines for "
                 f"{len(objs)} inputs, {len(bad)} refused: {p.stderr.decode()[:500]}")
    it = iter(out)
    return [None if i + 1 in bad else undump(next(it)) for i in range(len(objs))]


def resign(mutants, p, args):
    """Re-sign (or re-id) the object at path p of each mutant, in one batch."""
    where = [i for i, m in enumerate(mutants)
             if isinstance(get(m, p), dict) and (not p or "kind" in get(m, p))]
    done = grid_key(args, [get(mutants[i], p) for i in where])
    for i, d in zip(where, done):
        if d is None:
            continue
        if p:
            get(mutants[i], p[:-1])[p[-1]] = d
        else:
            mutants[i] = d


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help="JSON Lines of valid messages (default stdin)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max", type=int, default=0, help="keep at most this many mutants (0: all)")
    ap.add_argument("--sign", metavar="KEY", help="re-sign each mutant with this key file")
    ap.add_argument("--id", action="store_true", help="fill in each mutant's id (unsigned messages)")
    ap.add_argument("--inner", action="append", default=[], metavar="PATH=KEY",
                    help="re-sign the nested message at PATH with KEY first ('-': fill in its id)")
    ap.add_argument("--link", action="append", default=[], metavar="DST=SRC",
                    help="copy SRC to DST before DST's message is re-signed")
    ap.add_argument("--labels", metavar="FILE", help="write what each mutant changed here")
    a = ap.parse_args()

    lines = []
    for f in a.files or ["-"]:
        with (sys.stdin if f == "-" else open(f)) as fh:
            lines += [l for l in fh if l.strip()]
    inner = [(parse_path(s.split("=", 1)[0]), s.split("=", 1)[1]) for s in a.inner]
    resealed = [p for p, _ in inner] + ([()] if a.sign or a.id else [])

    full = []
    for n, line in enumerate(lines, 1):
        msg = json.loads(line)
        for p in paths(msg):
            # The id and sig of a message that is re-signed are rewritten:
            # mutating them would test nothing.
            if any(p[:len(r)] == r and len(p) > len(r) and p[len(r)] in ("id", "sig")
                   for r in resealed):
                continue
            for v in VALUES + [DELETE]:
                full.append((n, msg, p, v))
    chosen = full
    if a.max and len(full) > a.max:
        chosen = [full[i] for i in sorted(random.Random(a.seed).sample(range(len(full)), a.max))]

    mutants = [replaced(msg, p, v) for _, msg, p, v in chosen]
    links = [tuple(parse_path(x) for x in s.split("=", 1)) for s in a.link]

    def relink(under):
        for dst, src in links:
            if dst[:len(under)] != under:
                continue
            for i, (_, _, p, _) in enumerate(chosen):
                if dst[:len(p)] == p or p[:len(dst)] == dst:
                    continue  # the mutant changed DST itself: keep it
                parent, value = get(mutants[i], dst[:-1]), get(mutants[i], src)
                if isinstance(parent, dict) and dst[-1] in parent and isinstance(value, str):
                    parent[dst[-1]] = value

    # Innermost first (then in the order given), so an outer signature
    # covers the re-signed inner one.
    for p, key in sorted(inner, key=lambda x: -len(x[0])):
        relink(p)
        resign(mutants, p, ["id"] if key == "-" else ["sign", "--key", key])
    relink(())
    if a.sign:
        resign(mutants, (), ["sign", "--key", a.sign])
    elif a.id:
        resign(mutants, (), ["id"])

    out = sys.stdout
    for m in mutants:
        out.write(dump(m) + "\n")
    if a.labels:
        with open(a.labels, "w") as fh:
            for n, _, p, v in chosen:
                fh.write(f"message {n} {path_text(p)} = {show(v)}\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""A Monte-Carlo estimate of pi over seeds START..END-1 (an exec task's
{start} and {end}): each seed draws its own points, so the tasks of a job
split by range are independent and every provider gets the same digits.
Writes /out/pi.json."""
import json
import random
import sys

POINTS = 20000  # per seed: enough for two digits, quick in a test

start, end = int(sys.argv[1]), int(sys.argv[2])
seeds = {}
for seed in range(start, end):
    rng = random.Random(seed)
    inside = sum(1 for _ in range(POINTS) if rng.random() ** 2 + rng.random() ** 2 <= 1.0)
    seeds[str(seed)] = inside
with open("/out/pi.json", "w") as f:
    json.dump({"points_per_seed": POINTS, "inside": seeds,
               "pi": 4.0 * sum(seeds.values()) / (POINTS * len(seeds))}, f, sort_keys=True)
    f.write("\n")

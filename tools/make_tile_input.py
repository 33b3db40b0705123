#!/usr/bin/env python3
"""Writes data/tile_input.safetensors, the bundled input of configs/tiles/resonators.yaml:
'inputs' F64 [2000, 1] (a constant 0.2) and 'spikes' U8 [2000, 1] (Bernoulli spikes,
p = 0.02 per 0.1 ms step, i.e. 200 Hz, from a fixed seed). Standard library only."""
import json
import random
import struct
import sys

T = 2000
rng = random.Random(3)
inputs = struct.pack("<%dd" % T, *([0.2] * T))
spikes = bytes(1 if rng.random() < 0.02 else 0 for _ in range(T))
header = {
    "inputs": {"dtype": "F64", "shape": [T, 1], "data_offsets": [0, len(inputs)]},
    "spikes": {"dtype": "U8", "shape": [T, 1],
               "data_offsets": [len(inputs), len(inputs) + len(spikes)]},
}
h = json.dumps(header).encode()
h += b" " * ((8 - len(h) % 8) % 8)
path = sys.argv[1] if len(sys.argv) > 1 else "data/tile_input.safetensors"
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + inputs + spikes)

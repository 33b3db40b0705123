#!/usr/bin/env python3
"""Regenerates data/ (the small fixtures a fresh clone needs) from the full
reference fixtures. Standard library only: safetensors is a JSON header plus
raw little-endian C-order bytes, so slicing leading axes is byte slicing.

usage: tools/make_bundled_data.py SHARED_REFERENCE_DIR DATA_DIR
"""
import json
import os
import shutil
import struct
import sys

SIZES = {"F64": 8, "F32": 4, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    data = blob[8 + n :]
    tensors = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        tensors[name] = (e["dtype"], list(e["shape"]), data[b:end])
    return tensors, meta


def write(path, tensors, meta):
    header, offset, chunks = {}, 0, []
    if meta:
        header["__metadata__"] = meta
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def slice_leading(t, counts):
    """Keeps the first counts[i] entries of each leading axis i."""
    dtype, shape, raw = t
    shape = list(shape)
    item = SIZES[dtype]
    for axis, keep in enumerate(counts):
        outer = 1
        for s in shape[:axis]:
            outer *= s
        inner = item
        for s in shape[axis + 1 :]:
            inner *= s
        block = shape[axis] * inner
        raw = b"".join(raw[o * block : o * block + keep * inner] for o in range(outer))
        shape[axis] = keep
    return dtype, shape, raw


def main(ref, out):
    samples, steps = 1, 600
    os.makedirs(f"{out}/elm/num_memory_20", exist_ok=True)
    for f in ("model_config.json", "model.safetensors", "train_config.json"):
        shutil.copy(f"{ref}/elm/num_memory_20/{f}", f"{out}/elm/num_memory_20/{f}")
    inputs, meta = read(f"{ref}/elm/inputs.safetensors")
    write(f"{out}/elm/inputs_small.safetensors",
          {"spikes": slice_leading(inputs["spikes"], [samples, steps])},
          {"source": "reference/elm/inputs.safetensors, sample 0, steps 0..599"})
    outs, _ = read(f"{ref}/elm/num_memory_20/outputs.safetensors")
    write(f"{out}/elm/num_memory_20/outputs_small.safetensors",
          {k: slice_leading(outs[k], [samples, steps]) for k in ("outputs", "eval_outputs")},
          {"source": "reference/elm/num_memory_20/outputs.safetensors, sample 0, steps 0..599"})
    g = "glifr/lmnist_glifr_lheta"
    os.makedirs(f"{out}/{g}", exist_ok=True)
    for f in ("config.json", "model.safetensors", "traces.safetensors"):
        shutil.copy(f"{ref}/{g}/{f}", f"{out}/{g}/{f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

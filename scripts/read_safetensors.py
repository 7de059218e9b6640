#!/usr/bin/env python3
"""Reads ssa-train weights (checkpoints/step_N/model.safetensors) with numpy alone, verifying the
per-tensor checksums (dtype, shape and CRC-32 of the bytes) ssa-train stores in the header's __metadata__.

  scripts/read_safetensors.py CHECKPOINT/model.safetensors        # list tensors
  python3 -c 'import read_safetensors as r; w = r.load("model.safetensors")'   # dict name -> array

BF16 tensors are returned as float32 (numpy has no bfloat16).
"""
import json
import struct
import sys
import zlib

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32,
          "U8": np.uint8, "BOOL": np.bool_, "BF16": np.uint16}


def load(path, verify=True):
    """Returns {name: numpy array}; raises ValueError naming the problem."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: truncated")
    (length,) = struct.unpack("<Q", data[:8])
    if length > len(data) - 8:
        raise ValueError(f"{path}: header length {length} exceeds the file")
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + length:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= len(body):
            raise ValueError(f"{path}: {name}: data_offsets out of range")
        raw = body[begin:end]
        expected = f'{info["dtype"]}:{",".join(str(d) for d in info["shape"])}:{zlib.crc32(raw)}'
        if verify and metadata.get("crc32." + name) != expected:
            raise ValueError(f"{path}: {name}: checksum mismatch")
        array = np.frombuffer(raw, dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        if info["dtype"] == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array
    return tensors


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    try:
        tensors = load(sys.argv[1])
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"read_safetensors: {e}")
    for name, array in tensors.items():
        print(f"{name}\t{array.dtype}\t{list(array.shape)}\tmean {float(array.astype(np.float64).mean()):.6g}")


if __name__ == "__main__":
    main()

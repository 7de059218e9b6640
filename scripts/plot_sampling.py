#!/usr/bin/env python3
"""Plots the source-sampling probability matrix written by `ssa-train inspect-sampling` as a PNG
heat map (the paper's Fig. 5): row = target i, column = source j, dark = never, bright = always.

Needs only numpy (Debian python3-numpy); the PNG is encoded with zlib from the standard library.

  scripts/plot_sampling.py sampling.csv sampling.png [--scale 4]
"""
import argparse
import struct
import sys
import zlib

import numpy as np

# A perceptual dark-blue -> green -> yellow ramp (viridis anchor colors), interpolated linearly.
RAMP = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=float)


def colorize(p):
    """(T, T) probabilities in [0, 1] -> (T, T, 3) uint8 colors."""
    x = np.clip(p, 0.0, 1.0) * (len(RAMP) - 1)
    lo = np.floor(x).astype(int).clip(0, len(RAMP) - 2)
    frac = (x - lo)[..., None]
    return (RAMP[lo] * (1 - frac) + RAMP[lo + 1] * frac).round().astype(np.uint8)


def png_bytes(rgb):
    """(H, W, 3) uint8 -> PNG file bytes (8-bit RGB, no filtering)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", help="matrix from ssa-train inspect-sampling")
    parser.add_argument("png", help="output image")
    parser.add_argument("--scale", type=int, default=0, help="pixels per entry; 0 = fit about 512 px")
    args = parser.parse_args()
    try:
        p = np.loadtxt(args.csv, delimiter=",", ndmin=2)
    except (OSError, ValueError) as e:
        sys.exit(f"plot_sampling: {args.csv}: {e}")
    if p.shape[0] != p.shape[1]:
        sys.exit(f"plot_sampling: {args.csv}: expected a square matrix, got {p.shape[0]}x{p.shape[1]}")
    scale = args.scale or max(1, 512 // p.shape[0])
    rgb = np.repeat(np.repeat(colorize(p), scale, axis=0), scale, axis=1)
    with open(args.png, "wb") as f:
        f.write(png_bytes(rgb))
    print(f"{args.png}: {rgb.shape[1]}x{rgb.shape[0]} px, mean probability {p.mean():.4f}")


if __name__ == "__main__":
    main()

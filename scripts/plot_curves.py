#!/usr/bin/env python3
"""Plots validation curves of ssa-train runs as a PNG, the paper's Fig. 6: three panels side by side,
the metric vs optimizer steps, vs training wall time (sum of `step_time_s` up to the eval step) and
vs training compute (sum of `flops` up to the eval step). One colored polyline per run.

The image carries no text: each panel is framed, its axes start at 0 (y spans the data), and a
strip below the panels holds one colored square per run, in argument order. The run names, their
colors and every panel's axis ranges are written to OUT.png.txt beside the image.

  scripts/plot_curves.py OUT.png RUN_DIR... [--metric valid_loss]

Needs only numpy (Debian python3-numpy); PNG encoding is shared with scripts/plot_sampling.py.
"""
import argparse
import sys

import numpy as np

from paper_table import RunError, load_run
from plot_sampling import png_bytes

PANEL_W, PANEL_H, MARGIN, LEGEND_H = 300, 220, 20, 24
WIDTH = 3 * (PANEL_W + 2 * MARGIN)      # 1020
HEIGHT = PANEL_H + 2 * MARGIN + LEGEND_H  # 284
COLORS = [("blue", (31, 119, 180)), ("orange", (255, 127, 14)), ("green", (44, 160, 44)), ("red", (214, 39, 40)),
          ("purple", (148, 103, 189)), ("brown", (140, 86, 75)), ("pink", (227, 119, 194)), ("gray", (127, 127, 127))]
PANELS = [("steps", "optimizer steps"), ("wall_s", "training wall time, s"), ("flops", "training compute, FLOPs")]


def curve(run, metric):
    """[(step, wall_s, flops, value)] at each eval line carrying the metric. A train line stands for
    the steps since the previous one, as in paper_table.py, so log.every > 1 is scaled the same way."""
    points, wall, flops, i, train = [], 0.0, 0.0, 0, run["train"]
    for e in run["evals"]:
        if metric not in e or e[metric] is None:
            continue
        while i < len(train) and train[i]["step"] <= e["step"]:
            wall += (train[i].get("step_time_s") or 0) * train[i]["_gap"]
            flops += (train[i].get("flops") or 0) * train[i]["_gap"]
            i += 1
        points.append((e["step"], wall, flops, e[metric]))
    return points


def draw_line(img, x0, y0, x1, y1, color):
    """Draws a 2-pixel-thick segment by sampling it at one point per pixel along its longer axis."""
    n = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    xs = np.rint(np.linspace(x0, x1, n)).astype(int)
    ys = np.rint(np.linspace(y0, y1, n)).astype(int)
    for dx, dy in ((0, 0), (1, 0), (0, 1), (1, 1)):
        img[np.clip(ys + dy, 0, img.shape[0] - 1), np.clip(xs + dx, 0, img.shape[1] - 1)] = color


def render(curves, metric):
    """curves: [(name, points)] -> (image, legend text)."""
    img = np.full((HEIGHT, WIDTH, 3), 255, dtype=np.uint8)
    values = [p[3] for _, pts in curves for p in pts]
    y_lo, y_hi = min(values), max(values)
    if y_hi == y_lo:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5
    text = []
    for k, (key, label) in enumerate(PANELS):
        left, top = k * (PANEL_W + 2 * MARGIN) + MARGIN, MARGIN
        x_hi = max(p[k] for _, pts in curves for p in pts) or 1.0
        text.append(f"panel {k + 1} (left to right): {metric} vs {label}; "
                    f"x 0 .. {x_hi:.4g}, y {y_lo:.4g} (bottom) .. {y_hi:.4g} (top)")
        for run_index, (_, pts) in enumerate(curves):
            color = COLORS[run_index % len(COLORS)][1]
            xy = [(left + p[k] / x_hi * (PANEL_W - 1), top + (y_hi - p[3]) / (y_hi - y_lo) * (PANEL_H - 1)) for p in pts]
            for (xa, ya), (xb, yb) in zip(xy, xy[1:]):
                draw_line(img, xa, ya, xb, yb, color)
            for x, y in xy:  # a 4x4 dot at each eval, so single-point curves still show
                img[max(int(y) - 1, 0):int(y) + 3, max(int(x) - 1, 0):int(x) + 3] = color
        frame = (0, 0, 0)
        img[top - 1, left - 1:left + PANEL_W + 1] = frame
        img[top + PANEL_H, left - 1:left + PANEL_W + 1] = frame
        img[top - 1:top + PANEL_H + 1, left - 1] = frame
        img[top - 1:top + PANEL_H + 1, left + PANEL_W] = frame
    legend_top = PANEL_H + 2 * MARGIN
    for run_index, (name, pts) in enumerate(curves):
        cname, color = COLORS[run_index % len(COLORS)]
        x = MARGIN + run_index * 24
        img[legend_top + 4:legend_top + 18, x:x + 14] = color
        text.append(f"run {run_index + 1}: {cname} {color}: {name} ({len(pts)} evals)")
    return img, "\n".join(text) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("png", help="output image; the legend goes to PNG.txt")
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--metric", default="valid_loss", help="eval field to plot (default valid_loss)")
    args = parser.parse_args()
    if len(args.runs) > len(COLORS):
        sys.exit(f"plot_curves: at most {len(COLORS)} runs (one color each)")
    try:
        runs = [load_run(d) for d in args.runs]
    except RunError as e:
        sys.exit(f"plot_curves: {e}")
    curves = [(run["name"], curve(run, args.metric)) for run in runs]
    empty = [name for name, pts in curves if not pts]
    if empty:
        sys.exit(f"plot_curves: no eval lines with {args.metric} in: {', '.join(empty)}")
    img, legend = render(curves, args.metric)
    with open(args.png, "wb") as f:
        f.write(png_bytes(img))
    with open(args.png + ".txt", "w", encoding="utf-8") as f:
        f.write(legend)
    print(f"{args.png}: {WIDTH}x{HEIGHT} px, {len(curves)} runs; legend in {args.png}.txt")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints dense vs self-ensemble scores and uncertainty as a markdown table (docs/results.md).

Each argument is LABEL=FILE, FILE holding what `ssa-train eval` printed (one JSON line for dense
attention, then one per ensemble size; docs/run-directory.md). One table row per line kept: the
dense line and the largest ensemble's (--all-sizes: every ensemble size). The columns are the
metrics in the order the lines carry them; a metric a line lacks (dense has no
mutual_information or std) is "-".

  scripts/uncertainty_table.py "S4-L4 step 400=runs/repro_i/text_s4_l4.eval.jsonl" ... [--all-sizes]

Standard library only.
"""
import argparse
import json
import sys

NOT_METRICS = {"checkpoint", "step", "split", "mode", "samples", "context", "targets"}


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def kept(lines, all_sizes):
    dense = [l for l in lines if l["mode"] == "dense"]
    ensembles = [l for l in lines if l["mode"] == "ensemble"]
    return dense + (ensembles if all_sizes else ensembles[-1:])


def columns_of(rows):
    columns = []
    for _, line in rows:
        columns += [k for k in line if k not in NOT_METRICS and k not in columns]
    return columns


def cell(line, column):
    value = line.get(column)
    return "-" if value is None else f"{value:.4f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="LABEL=FILE")
    parser.add_argument("--all-sizes", action="store_true", help="a row per ensemble size, not only the largest")
    args = parser.parse_args()
    rows = []
    for item in args.runs:
        label, sep, path = item.rpartition("=")
        if not sep or not label:
            sys.exit(f"uncertainty_table.py: '{item}' is not LABEL=FILE")
        lines = read_lines(path)
        if not lines:
            sys.exit(f"uncertainty_table.py: {path}: no JSON lines")
        rows += [(label, line) for line in kept(lines, args.all_sizes)]
    columns = columns_of(rows)
    print("| run | step | prediction | " + " | ".join(columns) + " |")
    print("|---|---:|---|" + "---:|" * len(columns))
    for label, line in rows:
        mode = "dense" if line["mode"] == "dense" else f"{line['samples']}-sample ensemble"
        print(f"| {label} | {line['step']} | {mode} | " + " | ".join(cell(line, c) for c in columns) + " |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints the paper's quality + C/M/S table (docs/benchmarks.md) from ssa-train run directories.

For each RUN_DIR it reads RUN_DIR/metrics.jsonl (docs/run-directory.md) and RUN_DIR/config.resolved.yaml:

  quality w/o FT  the metric on the last eval line of a non-dense (SSA) phase, "-" if none
  quality end     the metric on the last eval line (+FT when the run ends with a dense phase)
  ensemble        ensemble_<metric> on the last eval line that has it, "-" if none
  C               total training FLOPs (sum of `flops` over train lines) / the baseline's  (< 1: cheaper)
  M               mean `cuda_peak_mb` over train lines on CUDA runs (the paper averages memory
                  over training), else max `peak_rss_mb`; / the baseline's               (< 1: smaller)
  S               median steps/s (1 / median `step_time_s`) / the baseline's              (> 1: faster)

The baseline is --baseline, or else the first RUN_DIR (normally the dense S0 run). With
log.every > 1 only every log.every-th step has a train line; each line then stands for the steps
since the previous line (its `flops` times that gap), which a footnote reports.

  scripts/paper_table.py RUN_DIR... [--baseline RUN_DIR] [--metric valid_bits_per_token]

Standard library only.
"""
import argparse
import json
import os
import re
import statistics
import sys

# Tried in order when --metric is not given: the first one the eval lines carry.
DEFAULT_METRICS = ["valid_bits_per_token", "valid_bits_per_dim", "valid_accuracy", "valid_mae", "valid_loss"]


class RunError(Exception):
    pass


def read_config(run_dir):
    """Just the keys this script needs from config.resolved.yaml (no PyYAML on Debian's python3):
    train.steps, log.every and the attention kind of each train.phases entry, by name."""
    cfg = {"steps": None, "log_every": 1, "phase_attention": {}}
    path = os.path.join(run_dir, "config.resolved.yaml")
    if not os.path.exists(path):
        return cfg
    section, phase = None, None
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = line.rstrip(":").strip()
            continue
        m = re.match(r"\s+(?:- )?(\w+):\s*(.*)$", line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip().strip('"')
        if section == "train" and key == "steps" and line.startswith("  steps"):
            cfg["steps"] = int(float(value))
        elif section == "log" and key == "every":
            cfg["log_every"] = int(float(value))
        elif section == "train" and key == "name" and "- " in line:
            phase = value
        elif section == "train" and key == "attention" and phase is not None:
            cfg["phase_attention"][phase] = value
    return cfg


def load_run(run_dir):
    """Parses one run directory; raises RunError with a one-line message when it cannot."""
    path = os.path.join(run_dir, "metrics.jsonl")
    if not os.path.isfile(path):
        raise RunError(f"{path}: no such file (not a run directory?)")
    train, evals = [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise RunError(f"{path}:{n}: not JSON: {e}")
            if rec.get("event") == "train":
                train.append(rec)
            elif rec.get("event") == "eval":
                evals.append(rec)
    if not train:
        raise RunError(f"{path}: no \"event\":\"train\" lines (empty or unfinished run)")
    train.sort(key=lambda r: r["step"])
    evals.sort(key=lambda r: r["step"])
    # Each train line stands for the steps since the previous one (1 when log.every is 1).
    prev = 0
    for rec in train:
        rec["_gap"] = rec["step"] - prev
        prev = rec["step"]
    cfg = read_config(run_dir)
    # A phase is dense if the config says so; without a config, if its train lines computed all scores.
    dense = {}
    for rec in train:
        dense[rec["phase"]] = dense.get(rec["phase"], True) and (rec.get("attention_fraction") or 0) >= 1.0
    for name, kind in cfg["phase_attention"].items():
        dense[name] = kind == "dense"
    return {"name": os.path.basename(os.path.normpath(run_dir)), "train": train, "evals": evals,
            "dense": dense, "cfg": cfg, "path": path}


def total_flops(run):
    return sum((r.get("flops") or 0) * r["_gap"] for r in run["train"])


def peak_memory(run):
    cuda = [r["cuda_peak_mb"] for r in run["train"] if r.get("cuda_peak_mb")]
    if cuda:
        return statistics.mean(cuda)
    return max((r.get("peak_rss_mb") or 0) for r in run["train"])


def steps_per_s(run):
    times = [r["step_time_s"] for r in run["train"] if r.get("step_time_s")]
    return 1.0 / statistics.median(times) if times else float("nan")


def pick_metric(runs, wanted):
    if wanted:
        return wanted
    for m in DEFAULT_METRICS:
        if any(m in e for run in runs for e in run["evals"]):
            return m
    return "valid_loss"


def fmt(x, digits=4):
    return "-" if x is None else f"{x:.{digits}f}"


def quality(run, metric):
    """(last value in a non-dense phase, last value, last ensemble value); None where absent."""
    before = [e[metric] for e in run["evals"] if metric in e and not run["dense"].get(e["phase"], False)]
    end = [e[metric] for e in run["evals"] if metric in e]
    ens = [e["ensemble_" + metric] for e in run["evals"] if ("ensemble_" + metric) in e]
    return (before[-1] if before else None, end[-1] if end else None, ens[-1] if ens else None)


def ratio(a, b):
    return a / b if b else float("nan")


def table(runs, baseline, metric):
    lines = [f"| run | {metric} w/o FT | {metric} end | ensemble | C | M | S |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    base_c, base_m, base_s = total_flops(baseline), peak_memory(baseline), steps_per_s(baseline)
    notes = []
    for run in runs:
        before, end, ens = quality(run, metric)
        ends_dense = bool(run["evals"]) and run["dense"].get(run["evals"][-1]["phase"], False)
        has_ssa = any(not d for d in run["dense"].values())
        end_txt = fmt(end) + (" (+FT)" if ends_dense and has_ssa and end is not None else "")
        c = ratio(total_flops(run), base_c)
        m = ratio(peak_memory(run), base_m)
        s = ratio(steps_per_s(run), base_s)
        lines.append(f"| {run['name']} | {fmt(before)} | {end_txt} | {fmt(ens)} | {c:.2f} | {m:.2f} | {s:.2f} |")
        if any(r["_gap"] != 1 for r in run["train"]):
            notes.append(f"{run['name']}: {len(run['train'])} train lines for {run['train'][-1]['step']} steps "
                         f"(log.every={run['cfg']['log_every']}); each line's flops counted for the steps since "
                         f"the previous line, step time sampled from the logged steps only.")
    lines.append("")
    memory = ("mean CUDA allocator peak" if any(r.get("cuda_peak_mb") for r in baseline["train"])
              else "peak RSS of the whole process")
    lines.append(f"Baseline: {baseline['name']} (C = {base_c:.3g} FLOPs, M = {base_m:.0f} MiB, S = {base_s:.3g} steps/s). "
                 f"C = total training FLOPs, M = {memory}, S = median steps/s, each / the baseline's "
                 "(C, M < 1 better; S > 1 faster).")
    for i, note in enumerate(notes, 1):
        lines.append(f"[{i}] {note}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--baseline", metavar="RUN_DIR", help="run the ratios are relative to; default: the first")
    parser.add_argument("--metric", help="eval field, e.g. valid_loss; default: the task's headline metric")
    args = parser.parse_args()
    try:
        runs = [load_run(d) for d in args.runs]
        baseline = load_run(args.baseline) if args.baseline else runs[0]
    except RunError as e:
        sys.exit(f"paper_table: {e}")
    print(table(runs, baseline, pick_metric(runs, args.metric)))


if __name__ == "__main__":
    main()

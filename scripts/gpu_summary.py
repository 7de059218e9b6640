#!/usr/bin/env python3
"""Step time, tokens/s, model FLOPs utilization and CUDA memory of training runs, as one markdown
table (the GPU numbers docs/benchmarks.md asks for). Standard library only.

    scripts/gpu_summary.py RUN_DIR... [--peak-tflops 989] [--skip 5]

Per run, over the train lines of each phase after the first --skip steps (warm-up, allocator
growth): median step_time_s, median targets_per_s, MFU = median(flops / step_time_s) / peak, and
the largest cuda_peak_mb. 989 TFLOP/s is the dense bf16 peak of an H100 / H200 SXM.
"""
import argparse
import json
import os
import statistics


def phase_rows(run_dir, skip):
    lines = [json.loads(l) for l in open(os.path.join(run_dir, "metrics.jsonl")) if '"event":"train"' in l]
    by_phase = {}
    for line in lines:
        if line["step"] > skip:
            by_phase.setdefault(line["phase"], []).append(line)
    return by_phase


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--peak-tflops", type=float, default=989.0)
    parser.add_argument("--skip", type=int, default=5)
    args = parser.parse_args()
    print("| run | phase | steps | step time (s) | tokens/s | TFLOP/s | MFU | CUDA peak (MiB) | attention fraction |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for run in args.runs:
        for phase, lines in phase_rows(run, args.skip).items():
            step = statistics.median(l["step_time_s"] for l in lines)
            tokens = statistics.median(l["targets_per_s"] for l in lines)
            tflops = statistics.median(l["flops"] / l["step_time_s"] for l in lines) / 1e12
            memory = max((l.get("cuda_peak_mb") or 0) for l in lines)
            print("| %s | %s | %d | %.3f | %.0f | %.1f | %.1f%% | %.0f | %.3f |" % (
                os.path.basename(run.rstrip("/")), phase, len(lines), step, tokens, tflops,
                100 * tflops / args.peak_tflops, memory, lines[-1]["attention_fraction"]))


if __name__ == "__main__":
    main()

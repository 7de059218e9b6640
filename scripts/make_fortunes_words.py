#!/usr/bin/python3
"""Builds a small word-level corpus in WikiText-103's layout from Debian's fortunes package, for
the word-level scaled-down reproduction (docs/results.md, set E; configs/repro/words_*.yaml).

Every fortune (the text between '%' lines) of every plain-text file in /usr/share/games/fortunes
(ascii-art left out) is lowercased and split into words and single punctuation marks, one fortune
per line. Fortunes go, by a fixed hash of their text, 5% to valid, 5% to test and the rest to
train, of which --train-share is kept (a smaller corpus, so that the small CPU models overfit
within minutes); words seen fewer than --min-count times in train become <unk> everywhere, as
in WikiText. Writes OUT/wiki.{train,valid,test}.tokens; then

    ssa-train prepare-data wikitext-103 --input OUT --out OUT/prepared

builds the fairseq dictionary and the uint32 token files the configs read.

Usage: make_fortunes_words.py OUT [--min-count 3] [--train-share 1.0]
"""
import argparse
import collections
import hashlib
import os
import re

FORTUNES = "/usr/share/games/fortunes"
TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[^\sa-z0-9]")


def fortunes():
    for name in sorted(os.listdir(FORTUNES)):
        path = os.path.join(FORTUNES, name)
        if name.endswith((".dat", ".u8")) or name == "ascii-art" or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for block in re.split(r"^%$", f.read(), flags=re.M):
                words = TOKEN.findall(block.lower())
                if words:
                    yield words


def split_of(words, train_share):
    bucket = int(hashlib.sha256(" ".join(words).encode()).hexdigest(), 16) % 10000 / 100.0
    if bucket >= 95:
        return "test"
    if bucket >= 90:
        return "valid"
    return "train" if bucket < 90 * train_share else "unused"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--min-count", type=int, default=3)
    p.add_argument("--train-share", type=float, default=1.0)
    a = p.parse_args()
    splits = collections.defaultdict(list)
    for words in fortunes():
        splits[split_of(words, a.train_share)].append(words)
    counts = collections.Counter(w for line in splits["train"] for w in line)
    keep = {w for w, c in counts.items() if c >= a.min_count}
    os.makedirs(a.out, exist_ok=True)
    for split in ("train", "valid", "test"):
        lines = [" ".join(w if w in keep else "<unk>" for w in line) for line in splits[split]]
        with open(os.path.join(a.out, f"wiki.{split}.tokens"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        tokens = sum(len(line) for line in splits[split])
        print(f"{split}: {len(lines)} fortunes, {tokens} words")
    print(f"vocabulary: {len(keep)} words seen >= {a.min_count} times in train, + <unk>")


if __name__ == "__main__":
    main()

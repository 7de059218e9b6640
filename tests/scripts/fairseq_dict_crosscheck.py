#!/usr/bin/python3
"""Cross-checks `ssa-train prepare-data wikitext-103` against fairseq's Dictionary semantics
re-typed in Python (fairseq/data/dictionary.py: Counter over tokenize_line words + one </s> per
line, finalize = sorted then Counter.most_common, padding with madeupwordNNNN to a multiple of 8;
encode_line with <unk> for unseen words and append_eos), on WikiText-like files made from
Debian's fortunes plus lines with Unicode spaces, \\r\\n and \\r line ends, and a literal <unk>.

Usage: fairseq_dict_crosscheck.py SSA_TRAIN_BIN
"""
import collections
import os
import re
import struct
import subprocess
import sys
import tempfile

SPACE = re.compile(r"\s+")  # fairseq.tokenizer.tokenize_line
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
EXTRA = "Caf\u00e9\u00a0au lait\u2009= <unk> =\r\nzebra\x1cZebra  \u3000end\rlast <unk>\n"


def tokenize(line):
    return SPACE.sub(" ", line).strip().split()


def reference_dictionary(path):
    counts = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            counts.update(tokenize(line))
    words = {w: n for w, n in counts.items() if w not in SPECIALS}
    ordered = collections.Counter(dict(sorted(words.items()))).most_common(len(words))
    symbols, counts_out = SPECIALS + [w for w, _ in ordered], [0] * 4 + [n for _, n in ordered]
    i = 0
    while len(symbols) % 8:
        symbols.append("madeupword%04d" % i)
        counts_out.append(0)
        i += 1
    return symbols, "".join("%s %d\n" % pair for pair in zip(symbols[4:], counts_out[4:]))


def reference_ids(path, index):
    ids = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            ids += [index.get(w, 3) for w in tokenize(line)] + [2]
    return ids


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        raw, out = os.path.join(tmp, "raw"), os.path.join(tmp, "out")
        os.makedirs(raw)
        fortunes = open("/usr/share/games/fortunes/fortunes", encoding="utf-8").read()
        for split, text in [("train", fortunes + EXTRA), ("valid", EXTRA + fortunes[:2000]), ("test", "novel words\n")]:
            with open(os.path.join(raw, "wiki.%s.tokens" % split), "w", encoding="utf-8", newline="") as f:
                f.write(text)
        run = subprocess.run([binary, "prepare-data", "wikitext-103", "--input", raw, "--out", out],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit("prepare-data failed: " + run.stderr)
        symbols, dict_txt = reference_dictionary(os.path.join(raw, "wiki.train.tokens"))
        if open(os.path.join(out, "dict.txt"), encoding="utf-8").read() != dict_txt:
            sys.exit("dict.txt differs from fairseq's")
        if "vocab_size %d " % len(symbols) not in run.stdout:
            sys.exit("summary does not report vocab_size %d: %s" % (len(symbols), run.stdout))
        index = {s: i for i, s in enumerate(symbols)}
        for split in ["train", "valid", "test"]:
            data = open(os.path.join(out, split + ".u32"), "rb").read()
            got = list(struct.unpack("<%dI" % (len(data) // 4), data))
            if got != reference_ids(os.path.join(raw, "wiki.%s.tokens" % split), index):
                sys.exit(split + ".u32 differs from fairseq's encode_line")
    print("dict.txt (%d entries) and the train/valid/test ids match fairseq's Dictionary" % len(symbols))


if __name__ == "__main__":
    main()

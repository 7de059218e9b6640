#!/usr/bin/python3
"""Every dotted config key named in a string of the sources (error messages, warnings, hints)
exists in the schema: it is a key of `ssa-train config-reference`, or the prefix of a group of
them (model.ssa, data.augment.distaug). A key renamed in the schema but not in its messages
fails here, naming the file and line.
  error_keys_test.py SSA_TRAIN SOURCE_DIR"""
import pathlib
import re
import subprocess
import sys

# Dotted names in strings that are not config keys: files a run writes or reads, and the names of
# checkpoint tensors.
NOT_KEYS = {"log.h", "model.h", "model.safetensors", "train.log", "data.csv.gz", "data.epoch", "data.cursor",
            # Hugging Face LLaMA files and tensor names (lib/train/hf_llama.cpp)
            "model.safetensors.index.json", "model.embed_tokens.weight", "model.norm.weight"}
SECTIONS = "run|data|model|train|eval|checkpoint|log|dist"
KEY = re.compile(r"\b((?:%s)\.[a-z_][a-z_0-9]*(?:\.[a-z_][a-z_0-9]*)*)" % SECTIONS)
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def schema_keys(binary):
    reference = subprocess.run([binary, "config-reference"], check=True, capture_output=True, text=True).stdout
    keys = set(re.findall(r"^\| `([a-z_0-9.]+)`", reference, re.M))
    if len(keys) < 50:
        sys.exit("config-reference listed only %d keys" % len(keys))
    prefixes = {k.rsplit(".", n)[0] for k in keys for n in range(1, k.count("."))}
    return keys, prefixes


def named_keys(source_dir):
    for folder in ("apps", "lib", "models"):
        for path in sorted((source_dir / folder).rglob("*")):
            if path.suffix not in (".cpp", ".h"):
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if line.lstrip().startswith("#include"):
                    continue
                for literal in STRING.findall(line):
                    for key in KEY.findall(literal):
                        yield key, "%s:%d" % (path.relative_to(source_dir), number)


def main():
    keys, prefixes = schema_keys(sys.argv[1])
    checked, unknown = 0, []
    for key, where in named_keys(pathlib.Path(sys.argv[2])):
        key = key.rstrip(".")
        if key in NOT_KEYS:
            continue
        checked += 1
        if key not in keys and key not in prefixes:
            unknown.append("%s: names %s, which is not a config key" % (where, key))
    print("\n".join(unknown) if unknown else "%d key names in the sources, all in the schema" % checked)
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks that every project #include follows the folder order of docs/architecture.md.

The table under "## Folder order" lists, per folder, the folders its files may include (a
folder may always include itself). A model family folder (models/<family>/) may include the
shared models/*.h files and itself, not another family; the shared models/*.h include no family. Prints file:line for each include
against the order and exits 1; exits 0 when there is none.

  check_layering.py [ROOT]      check the tree at ROOT (default: this repository)
  check_layering.py --self-test plant an upward include in a copy of the tree and expect a failure
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE_SUFFIXES = {".h", ".cpp", ".hpp", ".cc"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|(.*)\|\s*$")


def folder_order(doc):
    """{folder: set of folders it may include}, from the table after '## Folder order'."""
    order, inside = {}, False
    for line in doc.read_text().splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## Folder order"
            continue
        match = ROW.match(line) if inside else None
        if match:
            order[match.group(1)] = set(re.findall(r"`([^`]+)`", match.group(2)))
        elif order and inside:
            inside = line.startswith("|")  # the first table only
    if not order:
        sys.exit(f"{doc}: no '## Folder order' table")
    return order


def folder_of(path, order):
    """The longest folder of the table that holds `path` (a repository-relative path), or None."""
    owners = [f for f in order if path == f or path.startswith(f + "/")]
    return max(owners, key=len) if owners else None


def family_of(path):
    parts = path.split("/")
    return parts[1] if parts[0] == "models" and len(parts) > 2 else None


def problem(source, target, order):
    """Why `source` may not include `target`, or None."""
    here, there = folder_of(source, order), folder_of(target, order)
    if here is None or there is None:
        return None  # generated headers, third-party paths
    if there != here and there not in order[here]:
        return f"{here} may not include {there} (docs/architecture.md, Folder order)"
    family, other = family_of(source), family_of(target)
    shared_header = source.startswith("models/") and family is None and source.endswith(".h")
    if other and family != other and (family or shared_header):
        return f"only the family itself and the registration list include models/{other}/"
    return None


def check(root):
    order = folder_order(root / "docs" / "architecture.md")
    failures = []
    for folder in order:
        for file in sorted((root / folder).rglob("*")):
            if file.suffix not in SOURCE_SUFFIXES or not file.is_file():
                continue
            source = file.relative_to(root).as_posix()
            for number, line in enumerate(file.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                why = match and problem(source, match.group(1), order)
                if why:
                    failures.append(f"{source}:{number}: includes {match.group(1)}: {why}")
    return failures


def self_test(root):
    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp)
        shutil.copytree(root / "docs", copy / "docs")
        for top in ("lib", "models"):
            shutil.copytree(root / top, copy / top)
        planted = copy / "lib" / "core" / "error.h"
        lines = planted.read_text().splitlines()
        planted.write_text("\n".join(lines + ['#include "lib/train/trainer.h"']) + "\n")
        result = subprocess.run([sys.executable, __file__, str(copy)], capture_output=True, text=True)
        expected = f"lib/core/error.h:{len(lines) + 1}: includes lib/train/trainer.h"
        if result.returncode != 1 or expected not in result.stdout:
            sys.exit(f"self-test: planted include not reported as '{expected}'; got rc {result.returncode}:\n"
                     + result.stdout + result.stderr)
    print("self-test: the planted upward include was reported")


def main():
    root = pathlib.Path(__file__).resolve().parents[2]
    if sys.argv[1:] == ["--self-test"]:
        return self_test(root)
    failures = check(pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root)
    print("\n".join(failures) if failures else "layering: every include follows the folder order")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Re-runs the examples in README.md and puts their real output in place.

Every fenced block whose first line starts with "$ " is an example: each
"$ " line (with its "\\" continuations) is run from the repository root with
build/cli first on PATH, and the block becomes the commands followed by
their output. Absolute paths into the repository print as "./".
out/ and cortile-demo/ start empty. Blocks listed with --skip (a substring of their first command) are kept as
they are, e.g. those over ../shared when it is absent.

usage: tools/readme_examples.py [--skip TEXT]... [--only TEXT]... [--dry-run]
"""
import argparse
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def commands_of(block_lines):
    """The commands of a block: lists of source lines, one list per command."""
    cmds, cur = [], None
    for line in block_lines:
        if line.startswith("$ "):
            cur = [line]
            cmds.append(cur)
        elif cur is not None and cur[-1].endswith("\\"):
            cur.append(line)
        else:
            cur = None
    return cmds


def run(cmd_lines, env):
    text = "\n".join(cmd_lines)[2:]
    text = text.replace("\\\n", " ")
    p = subprocess.run(text, shell=True, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    out = p.stdout.replace(ROOT + "/", "./")
    return [l.rstrip() for l in out.rstrip("\n").split("\n")] if out.strip() else []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--dry-run", action="store_true")
    a = ap.parse_args()
    env = dict(os.environ)
    env["PATH"] = os.path.join(ROOT, "build", "cli") + os.pathsep + env["PATH"]
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    for scratch in ("out", "cortile-demo"):  # examples start from a clean clone's state
        shutil.rmtree(os.path.join(ROOT, scratch), ignore_errors=True)
    os.mkdir(os.path.join(ROOT, "out"))  # the README's "mkdir -p out"
    path = os.path.join(ROOT, "README.md")
    lines = open(path).read().split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if not line.startswith("```") or i >= len(lines) or not lines[i].startswith("$ "):
            continue
        j = i
        while not lines[j].startswith("```"):
            j += 1
        block = lines[i:j]
        first = block[0]
        keep = any(s in first for s in a.skip) or (a.only and not any(s in first for s in a.only))
        if keep:
            out.extend(block)
        else:
            print(first, file=sys.stderr)
            for cmd in commands_of(block):
                out.extend(cmd)
                out.extend(run(cmd, env))
        i = j
    text = "\n".join(out)
    if a.dry_run:
        sys.stdout.write(text)
    else:
        open(path, "w").write(text)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""tools/deps.py finds what it must: builds small trees with an upward
include, a cycle between modules, an include cycle and a call cycle between
two files, and checks that each is reported (and a clean tree passes)."""
import os
import subprocess
import sys
import tempfile

DEPS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools", "deps.py")


def tree(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)


def objects(root, build, sources):
    for src in sources:
        module = src.split("/")[0]
        d = os.path.join(build, module, "CMakeFiles", f"cortile_{module}.dir")
        os.makedirs(d, exist_ok=True)
        subprocess.run(["cc", "-c", "-I" + os.path.join(root, "support"), "-I" +
                        os.path.join(root, "formats"), os.path.join(root, src), "-o",
                        os.path.join(d, os.path.basename(src) + ".o")], check=True)


def check(name, files, expect, compile_sources=()):
    with tempfile.TemporaryDirectory() as root:
        tree(root, files)
        cmd = [sys.executable, DEPS, "--root", root, "--quiet"]
        if compile_sources:
            build = os.path.join(root, "build")
            objects(root, build, compile_sources)
            cmd += ["--objects", build]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        ok = (p.returncode == 0) if expect is None else (p.returncode == 1 and expect in p.stdout)
        print(("ok    " if ok else "FAIL  ") + name)
        if not ok:
            print(p.stdout)
        return ok


results = [
    check("clean tree passes", {
        "support/cx_a.h": "int a(void);\n",
        "support/a.c": '#include "cx_a.h"\nint a(void) { return 1; }\n',
        "formats/cx_b.h": '#include "cx_a.h"\nint b(void);\n',
        "formats/b.c": '#include "cx_b.h"\nint b(void) { return a(); }\n',
    }, None, ["support/a.c", "formats/b.c"]),
    check("upward include refused", {
        "support/cx_a.h": "int a(void);\n",
        "support/a.c": '#include "cx_b.h"\n',
        "formats/cx_b.h": "int b(void);\n",
    }, "includes cx_b.h of formats/, which support/ may not use"),
    check("include cycle between files", {
        "support/cx_a.h": '#include "cx_c.h"\n',
        "support/cx_c.h": '#include "cx_a.h"\n',
    }, "include cycle between files"),
    check("call cycle between files", {
        "support/cx_a.h": "int a(int);\nint c(int);\n",
        "support/a.c": '#include "cx_a.h"\nint a(int x) { return x ? c(x - 1) : 0; }\n',
        "support/c.c": '#include "cx_a.h"\nint c(int x) { return x ? a(x - 1) : 1; }\n',
    }, "call cycle between files: support/a.c -> support/c.c", ["support/a.c", "support/c.c"]),
    check("unknown folder with sources", {
        "stray/x.c": "int x;\n",
    }, "stray/ holds sources but is no module"),
]
print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
sys.exit(0 if all(results) else 1)

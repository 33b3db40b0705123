#!/usr/bin/env python3
"""Checks the dependency arrows between cortile's modules (top-level folders).

Every module may use only the modules listed for it in LAYERS (each a layer
below it). The check reads the `#include "..."` lines of every source and
header, finds the folder that owns each included header, and reports:
  - an include of a module that is not allowed (an arrow pointing up or
    sideways), and any cycle in the module graph;
  - include cycles between files;
  - with --objects BUILD_DIR: the call graph between source files, from the
    symbols each compiled object defines and uses (`nm`), and any call cycle
    between two files (inside a module or across modules).
It prints the allowed direction per module and what each one really uses,
and exits 1 when anything is wrong.

usage: tools/deps.py [--objects BUILD_DIR] [--root DIR] [--quiet]
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Bottom to top; each module may include the ones listed (its layers below).
LAYERS = [
    ("support", []),
    ("formats", ["support"]),
    ("plot", ["formats", "support"]),
    ("models", ["formats", "support"]),
    ("router", ["plot", "formats", "support"]),
    ("chip", ["router", "plot", "models", "formats", "support"]),
    ("program", ["chip", "router", "models", "formats", "support"]),
    ("sim", ["program", "chip", "router", "models", "formats", "support"]),
    ("report", ["sim", "program", "chip", "router", "models", "formats", "support"]),
    ("compiler", ["report", "sim", "program", "chip", "router", "models", "formats", "support"]),
    ("sweep", ["compiler", "report", "sim", "program", "chip", "router", "models", "plot",
               "formats", "support"]),
    ("cli", ["sweep", "compiler", "report", "sim", "program", "chip", "router", "models", "plot",
             "formats", "support"]),
]
# Users of every module that nothing may include.
TOP = ["tests", "bench", "examples"]
SOURCE_EXT = (".c", ".h", ".cpp", ".hpp")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(folder):
    out = []
    for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
        out += [os.path.join(dirpath, f) for f in sorted(files) if f.endswith(SOURCE_EXT)]
    return sorted(out)


def rel(path):
    return os.path.relpath(path, ROOT)


def scc(nodes, edges):
    """Tarjan's strongly connected components; returns those with a cycle."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in edges.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def include_check(errors, quiet):
    modules = [m for m, _ in LAYERS]
    allowed = dict(LAYERS)
    owner = {}  # header name -> module
    files = {}  # module -> files
    for m in modules + TOP:
        files[m] = sources(m)
        for f in files[m]:
            if f.endswith((".h", ".hpp")):
                name = os.path.basename(f)
                if name in owner and m not in TOP:
                    errors.append(f"header {name} exists in {owner[name]}/ and {m}/")
                if m not in TOP:
                    owner[name] = m
    for d in sorted(os.listdir(ROOT)):
        if (os.path.isdir(os.path.join(ROOT, d)) and not d.startswith(".") and
                d not in modules + TOP and sources(d) and not d.startswith("build")):
            errors.append(f"{d}/ holds sources but is no module in tools/deps.py")
    uses = {m: {} for m in modules + TOP}
    file_edges = {}
    for m in modules + TOP:
        for f in files[m]:
            text = open(f, encoding="utf-8", errors="replace").read()
            for inc in INCLUDE.findall(text):
                name = os.path.basename(inc)
                dep = owner.get(name)
                if dep is None:
                    local = os.path.join(os.path.dirname(f), inc)
                    if not os.path.exists(local):
                        errors.append(f"{rel(f)}: includes \"{inc}\", which no module has")
                    continue
                file_edges.setdefault(rel(f), set())
                hdr = [h for h in files[dep] if os.path.basename(h) == name][0]
                file_edges[rel(f)].add(rel(hdr))
                if dep == m:
                    continue
                uses[m].setdefault(dep, rel(f))
                if m in TOP:
                    continue
                if dep in TOP or dep not in allowed[m]:
                    errors.append(f"{rel(f)}: includes {name} of {dep}/, which {m}/ may not use")
    for comp in scc(list(file_edges), file_edges):
        errors.append("include cycle between files: " + " -> ".join(comp))
    mod_edges = {m: set(uses[m]) for m in modules}
    for comp in scc(modules, mod_edges):
        errors.append("cycle between modules: " + " <-> ".join(comp))
    if not quiet:
        print("modules, bottom to top (may use -> uses):")
        for m in modules:
            used = sorted(uses[m], key=modules.index)
            print(f"  {m:9} may use: {', '.join(allowed[m]) or '-'}")
            print(f"  {'':9} uses:    {', '.join(used) or '-'}")
    return owner


def symbols(obj):
    out = subprocess.run(["nm", "-P", obj], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            used.add(name)
        elif kind in "TDBRVWtdbr" and kind.isupper():
            defined.add(name)
    return defined, used


def call_check(errors, build, quiet):
    modules = [m for m, _ in LAYERS]
    objs = {}
    for m in modules:
        d = os.path.join(build, m)
        for dirpath, _, fs in os.walk(d):
            for f in fs:
                src = f[:-2]  # x.c.o -> x.c
                # objects of deleted sources stay in a build folder: skip them
                if (f.endswith(".o") and "CMakeFiles/cortile" in dirpath and
                        os.path.exists(os.path.join(ROOT, m, src))):
                    objs[f"{m}/{src}"] = os.path.join(dirpath, f)
    if not objs:
        errors.append(f"--objects {build}: no module objects found (build first)")
        return
    where, need = {}, {}
    for name, obj in sorted(objs.items()):
        defined, used = symbols(obj)
        need[name] = used
        for s in defined:
            where.setdefault(s, name)
    edges = {}
    for name, used in need.items():
        edges[name] = {where[s] for s in used if s in where and where[s] != name}
    for name, deps in edges.items():
        m = name.split("/")[0]
        allowed = dict(LAYERS)[m]
        for d in sorted(deps):
            dm = d.split("/")[0]
            if dm != m and dm not in allowed:
                errors.append(f"{name} calls into {d}, which {m}/ may not use")
    for comp in scc(list(edges), edges):
        errors.append("call cycle between files: " + " -> ".join(comp))
    if not quiet:
        n = sum(len(v) for v in edges.values())
        print(f"call graph: {len(objs)} files, {n} file-to-file call edges")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", metavar="BUILD_DIR")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--root", help="the tree to check (default: this repository)")
    a = ap.parse_args()
    global ROOT
    if a.root:
        ROOT = os.path.abspath(a.root)
    errors = []
    include_check(errors, a.quiet)
    if a.objects:
        call_check(errors, os.path.abspath(a.objects), a.quiet)
    for e in errors:
        print("error: " + e)
    print("dependencies: " + ("ok" if not errors else f"{len(errors)} problem(s)"))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fails when switchyard-core's modules import each other in a cycle.

Reads every `crate::a::b` path in the core's sources (use statements and inline paths,
comments and doc links excluded) and builds a graph between the top-level modules, and
one inside each folder listed in NESTED between its sub-modules. Any strongly connected
component larger than one module is a cycle: printed with the imports that make it, and
the exit status is 1.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "crates", "switchyard-core", "src")
NESTED = ["sources", "store", "alerts", "actions", "console", "profiles", "snapshot", "config"]
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)(?:::([a-z_][a-z0-9_]*))?")
SUPER = re.compile(r"\bsuper::([a-z_][a-z0-9_]*)")


def code_lines(path):
    in_tests = False
    for line in open(path, encoding="utf-8"):
        stripped = line.strip()
        if stripped.startswith("#[cfg(test)]"):
            in_tests = True  # test modules may reach anywhere
        if in_tests:
            continue
        if stripped.startswith("//"):
            continue
        yield line.split("//")[0]


def module_of(relative):
    """`sources/ws/session.rs` -> ["sources", "ws", "session"]."""
    parts = relative[:-3].split(os.sep)
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts


def sccs(graph):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            out.append(component)

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main():
    top, nested, why = {}, {name: {} for name in NESTED}, {}
    for directory, _, files in os.walk(ROOT):
        for name in files:
            if not name.endswith(".rs") or name == "tests.rs":
                continue
            path = os.path.join(directory, name)
            parts = module_of(os.path.relpath(path, ROOT))
            if parts in (["lib"],) or parts[-1] == "tests":
                continue
            here = parts[0]
            top.setdefault(here, set())
            for line in code_lines(path):
                for first, second in PATH.findall(line):
                    if first != here:
                        top[here].add(first)
                        why.setdefault((here, first), f"{os.path.relpath(path, ROOT)}: {line.strip()}")
                    elif here in NESTED and len(parts) > 1 and second and second != parts[1]:
                        nested[here].setdefault(parts[1], set()).add(second)
                        why.setdefault((f"{here}::{parts[1]}", f"{here}::{second}"), f"{os.path.relpath(path, ROOT)}: {line.strip()}")
                if here in NESTED and len(parts) == 2:
                    for sibling in SUPER.findall(line):
                        if sibling != parts[1]:
                            nested[here].setdefault(parts[1], set()).add(sibling)
                            why.setdefault((f"{here}::{parts[1]}", f"{here}::{sibling}"), f"{os.path.relpath(path, ROOT)}: {line.strip()}")
    cycles = []
    for component in sccs(top):
        if len(component) > 1:
            cycles.append(sorted(component))
    for parent, graph in nested.items():
        for component in sccs(graph):
            if len(component) > 1:
                cycles.append(sorted(f"{parent}::{m}" for m in component))
    if not cycles:
        print(f"no import cycles among {len(top)} top-level modules of switchyard-core (nor inside {', '.join(NESTED)})")
        return 0
    for cycle in cycles:
        print("cycle: " + " <-> ".join(cycle))
        members = set(cycle)
        for (a, b), line in sorted(why.items()):
            if a in members and b in members:
                print(f"  {a} -> {b}   ({line})")
    return 1


if __name__ == "__main__":
    sys.exit(main())

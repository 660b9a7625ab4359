#!/usr/bin/env python3
"""Fails when a module of a Rust crate imports one that imports it back.

Usage: check_imports.py <crate src dir>...

Every `use crate::...`, `use super::...` and `crate::`/`super::` path names the deepest module
it reaches. Between siblings, an import anywhere inside one counts as an import of the other
(so `http/router.rs -> api/users.rs` is `http -> api`); a module and its own ancestors or
descendants are one unit, not a circle. A circle among siblings at any level is reported.
Test modules (`#[cfg(test)] mod tests`) are left out.
"""
import os, re, sys
from collections import defaultdict

def modules(src):
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith('.rs'): continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel[-1] in ('mod', 'lib', 'main'): rel = rel[:-1]
            mods[tuple(rel)] = path
    return mods

USE = re.compile(r'\buse\s+((?:crate|super|self)(?:::\w+)*)(?:::\{([^;]*)\})?', re.S)
PATH = re.compile(r'\b(crate|super)((?:::\w+)+)')

def resolve(mod, path, mods):
    parts = path.split('::')
    cur = list(mod)
    i = 0
    if parts[0] == 'crate': cur = []; i = 1
    while i < len(parts) and parts[i] in ('super', 'self'):
        if parts[i] == 'super': cur = cur[:-1]
        i += 1
    for p in parts[i:]:
        if tuple(cur + [p]) in mods: cur.append(p)
        else: break
    return tuple(cur)

def edges(mods):
    out = defaultdict(set)
    for mod, path in mods.items():
        text = open(path).read()
        text = re.sub(r'#\[cfg\(test\)\]\s*mod tests\s*\{.*', '', text, flags=re.S)
        text = re.sub(r'//.*', '', text)
        for m in USE.finditer(text):
            base, group = m.group(1), m.group(2)
            targets = [base]
            if group:
                for item in re.split(r',', group):
                    item = item.strip().split(' as ')[0]
                    item = re.sub(r'::\{.*', '', item, flags=re.S).strip()
                    if item: targets.append(base + '::' + item)
            for t in targets:
                out[mod].add(resolve(mod, t, mods))
        for m in PATH.finditer(text):
            out[mod].add(resolve(mod, m.group(1) + m.group(2), mods))
    return out

def is_ancestor(a, b): return len(a) < len(b) and b[:len(a)] == a

def cycles(nodes, out):
    # Tarjan SCC
    index, low, stack, on, res, n = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
        for w in out.get(v, ()):
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: res.append(comp)
    for v in nodes:
        if v not in index: visit(v)
    return res

def main():
    bad = False
    for src in sys.argv[1:]:
        mods = modules(src)
        out = edges(mods)
        # Group by parent: among siblings, an edge a/x -> b/y counts as a -> b.
        level = defaultdict(lambda: defaultdict(set))
        for m, targets in out.items():
            for t in targets:
                if t == m or is_ancestor(t, m) or is_ancestor(m, t): continue
                k = 0
                while k < min(len(m), len(t)) and m[k] == t[k]: k += 1
                parent = m[:k]
                level[parent][m[:k+1]].add(t[:k+1])
        for parent, graph in level.items():
            for comp in cycles(list(graph), graph):
                bad = True
                names = sorted('/'.join(c) for c in comp)
                print(f"{src}: import circle: {' <-> '.join(names)}")
    if bad: sys.exit(1)
    print("no import circles")

main()

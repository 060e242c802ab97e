#!/usr/bin/env python3
"""The import graph of a checkout's src/: files, import cycles (strongly connected components of
more than one file) and the longest function outside tests.

    python3 scripts/import-graph.py [TREE] [-v]

Edges come from `use crate::...`, `use super::...` and inline `crate::...` paths (comments and
`#[cfg(test)]` modules left out), each resolved to the file that defines the module; the same
rule tests/api/layers.rs enforces. `-v` lists each cycle's files and edges. To compare with an
older commit: `git worktree add /tmp/old <commit> && python3 scripts/import-graph.py /tmp/old`.
"""
import os, re, sys
root = next((a for a in sys.argv[1:] if a != '-v'), '.')
src = os.path.join(root, 'src')
files = {}
for d, _, fs in os.walk(src):
    for f in fs:
        if f.endswith('.rs'):
            p = os.path.join(d, f)
            rel = os.path.relpath(p, src)
            files[rel] = open(p).read()
def modpath(rel):
    parts = rel[:-3].split('/')
    if parts[-1] in ('mod', 'lib', 'main'):
        parts = parts[:-1]
    return parts
mods = {tuple(modpath(r)): r for r in files}
def resolve(path):
    for n in range(len(path), 0, -1):
        if tuple(path[:n]) in mods:
            return mods[tuple(path[:n])]
    return None
def strip_tests(text):
    i = text.find('#[cfg(test)]')
    text = text if i < 0 else text[:i]
    return re.sub(r'//[^\n]*', '', text)
def expand_use(body):
    # expand `a::{b, c::{d}}` into paths
    body = re.sub(r'\s+', '', body)
    out = []
    def rec(prefix, s):
        depth = 0; cur = ''; items = []
        for ch in s:
            if ch == '{': depth += 1
            if ch == '}': depth -= 1
            if ch == ',' and depth == 0:
                items.append(cur); cur = ''
            else:
                cur += ch
        if cur: items.append(cur)
        for it in items:
            m = re.match(r'^([\w:]*?)::\{(.*)\}$', it)
            if m:
                rec(prefix + [p for p in m.group(1).split('::') if p], m.group(2))
            else:
                out.append(prefix + [p for p in it.split(' as ')[0].split('::') if p])
    rec([], body)
    return out
edges = {r: set() for r in files}
for rel, text in files.items():
    text = strip_tests(text)
    me = modpath(rel)
    is_modfile = rel.endswith('mod.rs') or rel in ('lib.rs', 'main.rs')
    here = me if is_modfile else me[:-1]
    paths = []
    for m in re.finditer(r'^\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);', text, re.M):
        paths += expand_use(m.group(1))
    for m in re.finditer(r'(?<![\w:])crate::((?:\w+::)*\w+)', text):
        paths.append(['crate'] + m.group(1).split('::'))
    for p in paths:
        if not p: continue
        if p[0] == 'crate': target = p[1:]
        elif p[0] == 'super':
            base = here[:-1]; q = p[1:]
            while q and q[0] == 'super': base = base[:-1]; q = q[1:]
            target = base + q
        elif p[0] == 'self': target = here + p[1:]
        else:
            # module declared locally (e.g. `use status::X` inside a mod.rs)
            if tuple(here + [p[0]]) in mods: target = here + p
            else: continue
        t = resolve(target)
        if t and t != rel and t != 'lib.rs':
            edges[rel].add(t)
# Tarjan
idx = {}; low = {}; st = []; on = set(); sccs = []; c = [0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v] = low[v] = c[0]; c[0] += 1; st.append(v); on.add(v)
    for w in edges[v]:
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        sccs.append(comp)
for v in files:
    if v not in idx: sc(v)
cyc = [s for s in sccs if len(s) > 1]
# longest fn (non-test code)
longest = (0, '')
for rel, text in files.items():
    lines = strip_tests(text).split('\n')
    for i, l in enumerate(lines):
        if re.match(r'^\s*(pub(\([^)]*\))?\s+)?(async\s+)?fn\s+\w+', l):
            indent = len(l) - len(l.lstrip())
            for j in range(i + 1, len(lines)):
                if lines[j].startswith(' ' * indent + '}') and len(lines[j]) - len(lines[j].lstrip()) == indent:
                    n = j - i + 1
                    name = re.search(r'fn\s+(\w+)', l).group(1)
                    if n > longest[0]: longest = (n, f'{rel}:{name}')
                    break
print(f'files {len(files)}; cycles {len(cyc)} (sizes {sorted(len(s) for s in cyc)}); longest fn {longest[0]} lines ({longest[1]})')
if '-v' in sys.argv:
    for s in cyc:
        print(sorted(s))
        for a in s:
            print('  ', a, '->', sorted(b for b in edges[a] if b in s))

#!/usr/bin/env python3
"""Fails when a test named in the ASVS tables of docs/security.md does not exist.

Usage: check_asvs.py <repository root>

A test is named in backticks as `<path>::<name>`: for a Rust file, `<name>` must be a function
(`fn <name>`) in it; for a Playwright spec, a test title (`test('<name>'`, or a template
literal). Every row of the tables (a line starting `| 6.`, `| 7.` or `| 10.`) is read; a row that names no
test must say why (not met, not applicable, or nothing to test) in its own words.
"""
import os, re, sys

root = sys.argv[1] if len(sys.argv) > 1 else '.'
doc = os.path.join(root, 'docs', 'security.md')
rows = [line for line in open(doc) if re.match(r'\|\s*(?:[67]|10)\.\d', line)]
if len(rows) < 40:
    sys.exit(f'{doc}: expected the ASVS table (chapters 6 and 7), found {len(rows)} rows')

missing, checked = [], 0
for row in rows:
    for path, name in re.findall(r'`([\w./-]+\.(?:rs|ts))::([^`]+)`', row):
        file = os.path.join(root, path)
        if not os.path.isfile(file):
            missing.append(f'{path} (no such file)')
            continue
        text = open(file).read()
        if path.endswith('.rs'):
            found = re.search(r'\bfn\s+' + re.escape(name) + r'\b', text)
        else:
            found = any(f"{q}{name}{q}" in text for q in ("'", '"', '`'))
        checked += 1
        if not found:
            missing.append(f'{path}::{name}')
if missing:
    print('docs/security.md names tests that do not exist:', *missing, sep='\n  ')
    sys.exit(1)
print(f'ASVS table: {len(rows)} requirements, {checked} named tests, all present')

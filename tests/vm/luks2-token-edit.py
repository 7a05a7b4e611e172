#!/usr/bin/env python3
# luks2-token-edit.py FILE TYPE [KEY=VALUE]: in both LUKS2 header copies of FILE (a partition or
# its header area copied out of a disk), removes every token of TYPE, or with KEY=VALUE sets that
# string member in them, with valid header checksums: a header as an attacker with the disk would
# edit it (e.g. a re-encryption kcc-init's kcc-reencrypt record no longer describes).
import os, sys
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from luks2_header import rewrite

ttype = sys.argv[2]
member = sys.argv[3].split('=', 1) if len(sys.argv) > 3 else None


def edit_tokens(meta):
    for tid in [k for k, t in meta['tokens'].items() if t.get('type') == ttype]:
        if member:
            meta['tokens'][tid][member[0]] = member[1]
        else:
            del meta['tokens'][tid]


rewrite(sys.argv[1], edit_tokens)

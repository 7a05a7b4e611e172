#!/usr/bin/env python3
# luks2-set-cipher.py IMAGE CIPHER: rewrites the data segment's cipher in both LUKS2 header copies
# of IMAGE (a partition copied out of a disk), keeping keyslots, digests and tokens, with valid
# header checksums: a re-headered volume as an attacker with the disk would make it
# (e.g. cipher_null-ecb: the real keyslot still opens, the data would be read in plain).
import os, sys
sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from luks2_header import rewrite


def set_cipher(meta):
    meta['segments']['0']['encryption'] = sys.argv[2]


rewrite(sys.argv[1], set_cipher)

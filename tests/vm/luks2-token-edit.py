#!/usr/bin/env python3
# luks2-token-edit.py FILE TYPE [KEY=VALUE]: in both LUKS2 header copies of FILE (a partition or
# its header area copied out of a disk), removes every token of TYPE, or with KEY=VALUE sets that
# string member in them, with valid header checksums: a header as an attacker with the disk would
# edit it (e.g. a re-encryption kcc-init's kcc-reencrypt record no longer describes).
import hashlib, json, struct, sys
path, ttype = sys.argv[1], sys.argv[2]
member = sys.argv[3].split('=', 1) if len(sys.argv) > 3 else None
with open(path, 'r+b') as f:
    hdr = f.read(4096)
    size = struct.unpack('>Q', hdr[8:16])[0]
    for off in (0, size):
        f.seek(off)
        h = bytearray(f.read(size))
        meta = json.loads(bytes(h[4096:size]).rstrip(b'\0').decode())
        for tid in [k for k, t in meta['tokens'].items() if t.get('type') == ttype]:
            if member:
                meta['tokens'][tid][member[0]] = member[1]
            else:
                del meta['tokens'][tid]
        text = json.dumps(meta, separators=(',', ':')).encode()
        h[4096:size] = text + b'\0' * (size - 4096 - len(text))
        h[448:448 + 64] = b'\0' * 64
        h[448:448 + 32] = hashlib.sha256(bytes(h)).digest()
        f.seek(off)
        f.write(h)

#!/usr/bin/env python3
# luks2-set-cipher.py IMAGE CIPHER: rewrites the data segment's cipher in both LUKS2 header copies
# of IMAGE (a partition copied out of a disk), keeping keyslots, digests and tokens, with valid
# header checksums: a re-headered volume as an attacker with the disk would make it
# (e.g. cipher_null-ecb: the real keyslot still opens, the data would be read in plain).
import hashlib, json, struct, sys
path, seg_cipher = sys.argv[1], sys.argv[2]
with open(path, 'r+b') as f:
    hdr = f.read(4096)
    size = struct.unpack('>Q', hdr[8:16])[0]
    for off in (0, size):
        f.seek(off)
        h = bytearray(f.read(size))
        area = bytes(h[4096:size])
        meta = json.loads(area.rstrip(b'\0').decode())
        meta['segments']['0']['encryption'] = seg_cipher
        text = json.dumps(meta, separators=(',', ':')).encode()
        h[4096:size] = text + b'\0' * (size - 4096 - len(text))
        h[448:448 + 64] = b'\0' * 64
        h[448:448 + 32] = hashlib.sha256(bytes(h)).digest()
        f.seek(off)
        f.write(h)

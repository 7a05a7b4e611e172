#!/usr/bin/env python3
"""efi-var-live.py VARS NAME[*]: exit 0 when OVMF's variable store VARS (the pflash file qemu wrote)
holds a live variable named NAME (NAME*: whose name starts with NAME), 1 when it holds none (never written, or deleted: a deleted
variable keeps its record until the firmware reclaims the store, with another State), 100 on
usage. OVMF stores AUTHENTICATED_VARIABLE_HEADERs (edk2 MdeModulePkg VariableFormat.h): StartId
0x55AA, State, Reserved, Attributes, MonotonicCount, TimeStamp, PubKeyIndex, NameSize, DataSize,
VendorGuid (60 bytes), then the UCS-2 name."""
import struct
import sys

# State bits are cleared as a record moves on: 0x3F added, 0x3E added and being replaced (still
# the value until its successor is added), 0x3D deleted, 0x7F header only.
LIVE = (0x3F, 0x3E)
HEADER = 60

if len(sys.argv) != 3:
    sys.exit(100)
data = open(sys.argv[1], "rb").read()
prefix = sys.argv[2].endswith("*")
name = (sys.argv[2].rstrip("*") + ("" if prefix else "\0")).encode("utf-16-le")
live = 0
at = data.find(name)
while at >= 0:
    h = at - HEADER
    if h >= 0 and data[h:h + 2] == b"\xaa\x55":
        state = data[h + 2]
        name_size = struct.unpack_from("<I", data, h + 36)[0]
        if (prefix or name_size == len(name)) and state in LIVE:
            live += 1
    at = data.find(name, at + 1)
print(f"{sys.argv[2]}: {live} live")
sys.exit(0 if live else 1)

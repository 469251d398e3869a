#!/usr/bin/env python3
"""A test double for a network filesystem that hangs: a FUSE server, on /dev/fuse directly, that
answers what stat(2) needs (INIT, LOOKUP, GETATTR: a directory root and regular files of mode
0644) and never answers ACCESS or OPEN, so access(2) and open(2) block in the kernel while stat
works, as an NFS server can leave them. No real filesystem can be made to do that on demand.

Usage (as root, in a private mount namespace): hung_fuse.py MOUNTPOINT
Mounts itself there (allow_other, so that other users reach it too), prints "ready", and serves
until killed. Every name in the root exists.
"""
import ctypes
import os
import struct
import sys

FUSE_LOOKUP, FUSE_FORGET, FUSE_GETATTR, FUSE_INIT, FUSE_BATCH_FORGET = 1, 2, 3, 26, 42
IN_HEADER = struct.Struct("<IIQQIIII")  # len, opcode, unique, nodeid, uid, gid, pid, padding


def attr(ino, mode):
    # fuse_attr: ino size blocks atime mtime ctime, *nsec, mode nlink uid gid rdev blksize flags
    return struct.pack("<QQQQQQIIIIIIIIII", ino, 4, 1, 0, 0, 0, 0, 0, 0, mode, 1, 0, 0, 0,
                       4096, 0)


def reply(fd, unique, payload=b"", error=0):
    os.write(fd, struct.pack("<IiQ", 16 + len(payload), error, unique) + payload)


def main():
    mountpoint = sys.argv[1]
    fd = os.open("/dev/fuse", os.O_RDWR)
    libc = ctypes.CDLL(None, use_errno=True)
    opts = f"fd={fd},rootmode=40000,user_id=0,group_id=0,allow_other".encode()
    if libc.mount(b"hung_fuse", mountpoint.encode(), b"fuse", 0, opts) != 0:
        sys.exit(f"mount: {os.strerror(ctypes.get_errno())}")
    print("ready", flush=True)
    while True:
        req = os.read(fd, 1 << 21)
        _, opcode, unique, nodeid = IN_HEADER.unpack_from(req)[:4]
        if opcode == FUSE_INIT:
            # fuse_init_out (protocol 7.26): major minor max_readahead flags max_background
            # congestion_threshold max_write time_gran max_pages map_alignment flags2 unused[7]
            reply(fd, unique, struct.pack("<IIIIHHIIHHI28x", 7, 26, 65536, 0, 16, 12, 65536, 1,
                                          0, 0, 0))
        elif opcode == FUSE_GETATTR:
            mode = 0o40755 if nodeid == 1 else 0o100644
            reply(fd, unique, struct.pack("<QII", 1, 0, 0) + attr(nodeid, mode))
        elif opcode == FUSE_LOOKUP:
            # fuse_entry_out: nodeid generation entry_valid attr_valid, *_nsec, attr
            reply(fd, unique, struct.pack("<QQQQII", 2, 0, 1, 1, 0, 0) + attr(2, 0o100644))
        elif opcode in (FUSE_FORGET, FUSE_BATCH_FORGET):
            pass  # no reply, as the protocol says
        # ACCESS, OPEN and everything else: never answered.


if __name__ == "__main__":
    main()

"""Rewrite a zip file, copying every member it does not change as its compressed bytes.

Python's :mod:`zipfile` can only inflate and deflate again; an ``.xlsx`` edit must leave the
office's parts exactly as Excel wrote them (and not pay for re-compressing 100 MB). This
writes the local header, the data and the central-directory entry of each member itself,
as PKWARE's APPNOTE.TXT lays them out (sections 4.3.7, 4.3.12, 4.3.16). No ZIP64: a
register that needs it (4 GB, 65,535 parts) is refused by name.
"""

from __future__ import annotations

import struct
import zlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sBBBBHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")
_LIMIT = 0xFFFFFFFF
_UTF8 = 0x800


class ZipTooLarge(Exception):
    """The rewritten package would need ZIP64."""


@dataclass
class Member:
    """One member of the zip being written: raw (copied), new data (deflated here), or data
    deflated already (``packed``: its CRC, size and deflated bytes)."""

    info: zipfile.ZipInfo
    data: bytes | None = None  # None (and no packed): copy the source's compressed bytes
    packed: tuple[int, int, bytes] | None = None


def pack(data: bytes, level: int = 6) -> tuple[int, int, bytes]:
    """``data`` deflated as a zip member holds it: (CRC-32, size, deflated bytes). Done as soon
    as a part is made, so that a large part and its rewritten copy are not held together."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), c.compress(data) + c.flush()


def _dos(date_time) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    y = max(1980, y)
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _name_bytes(info: zipfile.ZipInfo) -> tuple[bytes, int]:
    try:
        return info.filename.encode("ascii"), info.flag_bits & _UTF8
    except UnicodeEncodeError:
        return info.filename.encode("utf-8"), _UTF8


def raw_data(src, info: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of ``info`` in the open file ``src`` (the local header skipped)."""
    src.seek(info.header_offset)
    head = src.read(_LOCAL.size)
    fields = _LOCAL.unpack(head)
    if fields[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"{info.filename}: no local header at {info.header_offset}")
    src.seek(fields[9] + fields[10], 1)  # name and extra field
    return src.read(info.compress_size)


def write(src_path: Path, dest_path: Path, members: list[Member], level: int = 6) -> None:
    """Write ``members`` in order to ``dest_path``; raw ones come from ``src_path``."""
    central = []
    offset = 0
    with open(src_path, "rb") as src, open(dest_path, "wb") as out:
        for m in members:
            info = m.info
            name, utf8 = _name_bytes(info)
            flags = (info.flag_bits & ~0x0008 & ~_UTF8) | utf8  # sizes known: no data descriptor
            if m.data is None and m.packed is None:
                payload = raw_data(src, info)
                method, crc, csize, usize = info.compress_type, info.CRC, info.compress_size, info.file_size
            else:
                crc, usize, payload = m.packed if m.packed is not None else pack(m.data, level)
                method, csize = zipfile.ZIP_DEFLATED, len(payload)
                flags &= ~0x0006  # compression option bits describe the old data
            if offset > _LIMIT or csize > _LIMIT or usize > _LIMIT:
                raise ZipTooLarge(info.filename)
            t, d = _dos(info.date_time)
            needed = max(20, info.extract_version if m.data is None and m.packed is None else 20)
            out.write(_LOCAL.pack(b"PK\x03\x04", needed, flags, method, t, d, crc, csize, usize, len(name), 0))
            out.write(name)
            out.write(payload)
            central.append((name, needed, flags, method, t, d, crc, csize, usize, info, offset))
            offset += _LOCAL.size + len(name) + csize
        start = offset
        for name, needed, flags, method, t, d, crc, csize, usize, info, at in central:
            made = (info.create_system << 8 | info.create_version) if info.create_version else 20
            out.write(_CENTRAL.pack(b"PK\x01\x02", made & 0xFF, made >> 8, needed & 0xFF, needed >> 8, flags, method, t, d, crc, csize, usize,
                                    len(name), 0, 0, 0, info.internal_attr, info.external_attr, at))
            out.write(name)
        size = out.tell() - start
        if len(central) > 0xFFFF or start > _LIMIT:
            raise ZipTooLarge(f"{len(central)} members")
        out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))


def new_info(name: str, like: zipfile.ZipInfo | None = None) -> zipfile.ZipInfo:
    """A ZipInfo for a new member, dated like ``like`` (Excel dates every part 1980-01-01)."""
    info = zipfile.ZipInfo(name, date_time=like.date_time if like else (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    info.create_version = 20
    info.external_attr = 0
    return info

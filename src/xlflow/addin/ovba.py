"""Read a VBA project (``vbaProject.bin``) back, field by field, as MS-OVBA defines it.

Why: the add-in is written without Excel, so what Excel will see has to be read back by
code that shares nothing with the writer (``ms_ovba``/``ms_cfb``). This module parses the
compound file with ``olefile`` (a reader only) and every stream from the specification
([MS-OVBA] v20240416; section numbers in the docstrings):

* ``PROJECT`` (2.3.1): the ``key=value`` lines of ProjectProperties, the host extenders
  and the workspace;
* ``PROJECTwm`` (2.3.3): module names in MBCS and UTF-16;
* ``VBA/_VBA_PROJECT`` (2.3.4.1): the seven version-independent bytes;
* ``VBA/dir`` (2.3.4.2), decompressed (2.4.1): every record in order, and from them the
  project information, the references and the modules;
* each module stream (2.3.4.3): its performance cache length and decompressed source.

:func:`read_project` returns a :class:`VbaProjectView`; :mod:`xlflow.addin.compare` puts
two of them side by side. Nothing here writes.

>>> project = read_project(Path("xl/vbaProject.bin").read_bytes())   # doctest: +SKIP
>>> [m.name for m in project.modules]                               # doctest: +SKIP
['ThisWorkbook', 'Sheet1', 'xlflow', 'xlwings', 'Dictionary']
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

#: dir stream record ids (MS-OVBA 2.3.4.2) -> name.
RECORD_NAMES = {
    0x0001: "PROJECTSYSKIND", 0x004A: "PROJECTCOMPATVERSION", 0x0002: "PROJECTLCID",
    0x0014: "PROJECTLCIDINVOKE", 0x0003: "PROJECTCODEPAGE", 0x0004: "PROJECTNAME",
    0x0005: "PROJECTDOCSTRING", 0x0006: "PROJECTHELPFILEPATH", 0x0007: "PROJECTHELPCONTEXT",
    0x0008: "PROJECTLIBFLAGS", 0x0009: "PROJECTVERSION", 0x000C: "PROJECTCONSTANTS",
    0x0016: "REFERENCENAME", 0x0033: "REFERENCEORIGINAL", 0x002F: "REFERENCECONTROL",
    0x0030: "REFERENCECONTROL(extended)", 0x000D: "REFERENCEREGISTERED",
    0x000E: "REFERENCEPROJECT", 0x000F: "PROJECTMODULES", 0x0013: "PROJECTCOOKIE",
    0x0019: "MODULENAME", 0x0047: "MODULENAMEUNICODE", 0x001A: "MODULESTREAMNAME",
    0x001C: "MODULEDOCSTRING", 0x0031: "MODULEOFFSET", 0x001E: "MODULEHELPCONTEXT",
    0x002C: "MODULECOOKIE", 0x0021: "MODULETYPE(procedural)",
    0x0022: "MODULETYPE(document/class/designer)", 0x0025: "MODULEREADONLY",
    0x0028: "MODULEPRIVATE", 0x002B: "MODULE terminator", 0x0010: "dir terminator",
}

#: A record followed by a Unicode twin: record id -> the twin's Reserved marker.
_UNICODE_TWIN = {0x0005: 0x0040, 0x0006: 0x003D, 0x000C: 0x003C, 0x0016: 0x003E,
                 0x001A: 0x0032, 0x001C: 0x0048}

#: The order of PROJECTINFORMATION (2.3.4.2.1); PROJECTCOMPATVERSION may be absent.
INFORMATION_ORDER = (0x0001, 0x004A, 0x0002, 0x0014, 0x0003, 0x0004, 0x0005, 0x0006,
                     0x0007, 0x0008, 0x0009, 0x000C)
#: The order of a MODULE record (2.3.4.2.3.2); NAMEUNICODE, READONLY, PRIVATE optional.
MODULE_ORDER = (0x0019, 0x0047, 0x001A, 0x001C, 0x0031, 0x001E, 0x002C, 0x0021, 0x0025,
                0x0028, 0x002B)


class OvbaFormatError(ValueError):
    """The bytes are not a VBA project as MS-OVBA defines it (says which stream and where)."""


# ------------------------------------------------------------------------- compression
def decompress(container: bytes) -> bytes:
    """MS-OVBA 2.4.1.3.1 decompression of a CompressedContainer.

    Written from the specification (``ms_ovba_compression``'s own decompressor skips two
    bytes between chunks, so it cannot serve as a check of its compressor).
    """
    if not container or container[0] != 0x01:
        raise OvbaFormatError("compressed container must start with 0x01")
    out = bytearray()
    pos = 1
    while pos < len(container):
        header = int.from_bytes(container[pos:pos + 2], "little")
        if (header >> 12) & 0b111 != 0b011:
            raise OvbaFormatError(f"bad chunk signature at byte {pos}")
        chunk_end = pos + (header & 0x0FFF) + 3
        pos += 2
        if not header & 0x8000:  # raw chunk: 4096 bytes as they are
            out += container[pos:pos + 4096]
            pos += 4096
            continue
        chunk_start = len(out)
        while pos < chunk_end:
            flags = container[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not (flags >> bit) & 1:
                    out.append(container[pos])
                    pos += 1
                    continue
                token = int.from_bytes(container[pos:pos + 2], "little")
                pos += 2
                bit_count = max((len(out) - chunk_start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - chunk_start:
                    raise OvbaFormatError("copy token points before the chunk")
                for _ in range(length):
                    out.append(out[-offset])
        pos = chunk_end
    return bytes(out)


# --------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class Record:
    """One dir stream record: its id, its data, and the Unicode twin where it has one.

    ``size_field`` is the Size as written (for PROJECTVERSION the Reserved field, which
    MS-OVBA fixes at 4 although six bytes follow).
    """

    id: int
    size_field: int
    data: bytes
    unicode: bytes | None = None
    twin_marker: int | None = None

    @property
    def name(self) -> str:
        return RECORD_NAMES.get(self.id, f"unknown 0x{self.id:04X}")

    def u32(self) -> int:
        return struct.unpack("<I", self.data[:4])[0]

    def u16(self) -> int:
        return struct.unpack("<H", self.data[:2])[0]


@dataclass(frozen=True)
class Reference:
    """A REFERENCE (2.3.4.2.2.1): its name and the record that says what it points to."""

    name: str | None
    name_unicode: str | None
    kind: str  # "registered", "project", "control", "original"
    libid: str
    records: tuple[Record, ...]


@dataclass(frozen=True)
class Module:
    """A MODULE record (2.3.4.2.3.2) and what its stream holds."""

    name: str
    name_unicode: str | None
    stream_name: str
    stream_name_unicode: str | None
    docstring: str
    text_offset: int
    help_context: int
    cookie: int
    type_id: int  # 0x0021 procedural, 0x0022 document, class or designer
    read_only: bool
    private: bool
    record_ids: tuple[int, ...]
    source: str = ""
    stream_size: int = 0


@dataclass
class VbaProjectView:
    """Everything a reader of the project sees, in the spec's words."""

    streams: dict[str, int]                      # stream path -> size
    project_lines: list[str]                     # PROJECT, as lines
    project_properties: list[tuple[str, str]]    # ProjectProperties key, value in order
    host_extenders: list[str]
    workspace: dict[str, str]
    projectwm: list[tuple[str, str]] | None      # (MBCS name, UTF-16 name)
    vba_project_head: bytes                      # the first 7 bytes of _VBA_PROJECT
    vba_project_size: int
    records: list[Record]                        # the dir stream, in order
    information: dict[int, Record]
    references: list[Reference]
    modules: list[Module]
    codepage: int
    projectmodules_count: int
    project_cookie: int
    dir_tail: bytes = b""                        # bytes after the dir terminator
    problems: list[str] = field(default_factory=list)

    def module(self, name: str) -> Module:
        return next(m for m in self.modules if m.name == name)


# ---------------------------------------------------------------------------- reading
def _u16(buf: io.BytesIO, what: str) -> int:
    data = buf.read(2)
    if len(data) != 2:
        raise OvbaFormatError(f"dir stream ends inside {what}")
    return struct.unpack("<H", data)[0]


def _u32(buf: io.BytesIO, what: str) -> int:
    data = buf.read(4)
    if len(data) != 4:
        raise OvbaFormatError(f"dir stream ends inside {what}")
    return struct.unpack("<I", data)[0]


def _bytes(buf: io.BytesIO, n: int, what: str) -> bytes:
    data = buf.read(n)
    if len(data) != n:
        raise OvbaFormatError(f"dir stream ends inside {what} ({n} bytes announced)")
    return data


def dir_records(data: bytes) -> tuple[list[Record], bytes]:
    """The decompressed dir stream as records, up to and including its terminator, and
    whatever follows the terminator (MS-OVBA leaves nothing there)."""
    buf = io.BytesIO(data)
    records: list[Record] = []
    while True:
        start = buf.tell()
        if start >= len(data):
            raise OvbaFormatError("dir stream has no terminator (0x0010)")
        rid = _u16(buf, "a record id")
        name = RECORD_NAMES.get(rid)
        if name is None:
            raise OvbaFormatError(f"dir stream: unknown record id 0x{rid:04X} at byte {start}")
        if rid == 0x0009:  # PROJECTVERSION: Reserved (4, MUST be 4), VersionMajor u32, Minor u16
            reserved = _u32(buf, name)
            records.append(Record(rid, reserved, _bytes(buf, 6, name)))
            continue
        size = _u32(buf, name)
        body = _bytes(buf, size, name)
        twin = _UNICODE_TWIN.get(rid)
        if twin is not None:
            marker = _u16(buf, f"{name}'s Unicode part")
            if marker != twin:
                raise OvbaFormatError(
                    f"dir stream: {name} at byte {start} is followed by 0x{marker:04X}, "
                    f"not its Unicode part 0x{twin:04X}")
            usize = _u32(buf, name)
            records.append(Record(rid, size, body, _bytes(buf, usize, name), marker))
        else:
            records.append(Record(rid, size, body))
        if rid == 0x0010:
            return records, data[buf.tell():]


def _text(raw: bytes, codepage: int) -> str:
    return raw.decode(f"cp{codepage}", errors="replace")


def _utf16(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-16-le", errors="replace")


def _split(records: list[Record]):
    """PROJECTINFORMATION, the REFERENCE groups and the MODULE groups of the dir stream."""
    i = 0
    information: dict[int, Record] = {}
    while i < len(records) and records[i].id in INFORMATION_ORDER:
        information[records[i].id] = records[i]
        i += 1
    references: list[list[Record]] = []
    current: list[Record] = []
    while i < len(records) and records[i].id in (0x0016, 0x0033, 0x002F, 0x0030, 0x000D, 0x000E):
        rec = records[i]
        current.append(rec)
        # A REFERENCE ends with its ReferenceRecord; a REFERENCEORIGINAL is followed by
        # its REFERENCECONTROL, which carries an optional name and the extended part.
        if rec.id in (0x000D, 0x000E, 0x0030):
            references.append(current)
            current = []
        i += 1
    if current:
        raise OvbaFormatError("dir stream: a REFERENCE without its reference record")
    header = records[i:i + 2]
    if [r.id for r in header] != [0x000F, 0x0013]:
        raise OvbaFormatError("dir stream: PROJECTMODULES and PROJECTCOOKIE must follow the references")
    i += 2
    modules: list[list[Record]] = []
    current = []
    while i < len(records) and records[i].id != 0x0010:
        current.append(records[i])
        if records[i].id == 0x002B:
            modules.append(current)
            current = []
        i += 1
    if current:
        raise OvbaFormatError("dir stream: a MODULE without its terminator (0x002B)")
    return information, references, header, modules


def _reference(group: list[Record], codepage: int) -> Reference:
    name = unicode = None
    kind, libid = "?", ""
    for rec in group:
        if rec.id == 0x0016 and name is None:
            name, unicode = _text(rec.data, codepage), _utf16(rec.unicode)
        elif rec.id == 0x000D:
            size = struct.unpack("<I", rec.data[:4])[0]
            kind, libid = "registered", _text(rec.data[4:4 + size], codepage)
        elif rec.id == 0x000E:
            size = struct.unpack("<I", rec.data[:4])[0]
            kind, libid = "project", _text(rec.data[4:4 + size], codepage)
        elif rec.id == 0x0033:
            kind, libid = "original", _text(rec.data, codepage)
        elif rec.id == 0x002F and kind == "?":
            size = struct.unpack("<I", rec.data[:4])[0]
            kind, libid = "control", _text(rec.data[4:4 + size], codepage)
    return Reference(name, unicode, kind, libid, tuple(group))


def _module(group: list[Record], codepage: int) -> Module:
    by_id = {r.id: r for r in group}
    if 0x0019 not in by_id or 0x001A not in by_id:
        raise OvbaFormatError("dir stream: a MODULE without MODULENAME or MODULESTREAMNAME")
    type_id = 0x0021 if 0x0021 in by_id else 0x0022
    return Module(
        name=_text(by_id[0x0019].data, codepage),
        name_unicode=_utf16(by_id[0x0047].data) if 0x0047 in by_id else None,
        stream_name=_text(by_id[0x001A].data, codepage),
        stream_name_unicode=_utf16(by_id[0x001A].unicode),
        docstring=_text(by_id[0x001C].data, codepage) if 0x001C in by_id else "",
        text_offset=by_id[0x0031].u32() if 0x0031 in by_id else -1,
        help_context=by_id[0x001E].u32() if 0x001E in by_id else 0,
        cookie=by_id[0x002C].u16() if 0x002C in by_id else -1,
        type_id=type_id,
        read_only=0x0025 in by_id,
        private=0x0028 in by_id,
        record_ids=tuple(r.id for r in group),
    )


def _project_text(text: str) -> tuple[list[tuple[str, str]], list[str], dict[str, str]]:
    properties: list[tuple[str, str]] = []
    hosts: list[str] = []
    workspace: dict[str, str] = {}
    section = None
    for line in text.split("\r\n"):
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line
            continue
        if section is None:
            key, _, value = line.partition("=")
            properties.append((key, value))
        elif section == "[Host Extender Info]":
            hosts.append(line)
        elif section == "[Workspace]":
            key, _, value = line.partition("=")
            workspace[key] = value
    return properties, hosts, workspace


def _projectwm(data: bytes, codepage: int) -> list[tuple[str, str]]:
    """PROJECTwm (2.3.3): NameMap records (MBCS name, 0x00, UTF-16 name, 0x0000), then 0x0000."""
    pairs: list[tuple[str, str]] = []
    pos = 0
    while True:
        if data[pos:pos + 2] == b"\x00\x00":
            if pos + 2 != len(data):
                raise OvbaFormatError("PROJECTwm: bytes after its terminator")
            return pairs
        end = data.find(b"\x00", pos)
        if end < 0:
            raise OvbaFormatError("PROJECTwm: a module name without its terminator")
        mbcs = _text(data[pos:end], codepage)
        pos = end + 1
        uend = pos
        while data[uend:uend + 2] != b"\x00\x00":
            if uend >= len(data):
                raise OvbaFormatError("PROJECTwm: a UTF-16 name without its terminator")
            uend += 2
        pairs.append((mbcs, data[pos:uend].decode("utf-16-le")))
        pos = uend + 2


def read_project(vba_bin: bytes) -> VbaProjectView:
    """Parse a ``vbaProject.bin`` into a :class:`VbaProjectView` (raises OvbaFormatError)."""
    import olefile

    try:
        ole = olefile.OleFileIO(vba_bin)
    except OSError as e:
        raise OvbaFormatError(f"not a compound file: {e}") from None
    try:
        streams = {"/".join(p): ole.get_size("/".join(p)) for p in ole.listdir(streams=True)}
        for needed in ("PROJECT", "VBA/dir", "VBA/_VBA_PROJECT"):
            if needed not in streams:
                raise OvbaFormatError(f"the stream {needed} is missing")
        raw_dir = decompress(ole.openstream("VBA/dir").read())
        records, tail = dir_records(raw_dir)
        information, ref_groups, header, module_groups = _split(records)
        codepage = information[0x0003].u16() if 0x0003 in information else 1252
        project_text = ole.openstream("PROJECT").read().decode(f"cp{codepage}")
        properties, hosts, workspace = _project_text(project_text)
        projectwm = (_projectwm(ole.openstream("PROJECTwm").read(), codepage)
                     if "PROJECTwm" in streams else None)
        vba_project = ole.openstream("VBA/_VBA_PROJECT").read()
        modules = []
        for group in module_groups:
            module = _module(group, codepage)
            path = f"VBA/{module.stream_name}"
            source, size = "", streams.get(path, -1)
            if size >= 0:
                data = ole.openstream(path).read()
                source = _text(decompress(data[module.text_offset:]), codepage)
            modules.append(Module(**{**module.__dict__, "source": source, "stream_size": size}))
        return VbaProjectView(
            streams=streams,
            project_lines=project_text.split("\r\n"),
            project_properties=properties,
            host_extenders=hosts,
            workspace=workspace,
            projectwm=projectwm,
            vba_project_head=vba_project[:7],
            vba_project_size=len(vba_project),
            records=records,
            information=information,
            references=[_reference(g, codepage) for g in ref_groups],
            modules=modules,
            codepage=codepage,
            projectmodules_count=header[0].u16(),
            project_cookie=header[1].u16(),
            dir_tail=tail,
        )
    finally:
        ole.close()


# ----------------------------------------------------------------- CMG / DPB / GC data
@dataclass(frozen=True)
class Decrypted:
    """An EncryptedData value of the PROJECT stream (2.4.3.1), taken apart."""

    version: int
    proj_key: int
    data: bytes


def project_key(project_id: str) -> int:
    """ProjKey (2.4.3.2): the byte sum of the ProjectCLSID text, braces included."""
    return sum(project_id.encode("ascii")) & 0xFF


def decrypt(hex_text: str) -> Decrypted:
    """MS-OVBA 2.4.3.3 Decryption of a ``CMG``/``DPB``/``GC`` value (hex digits)."""
    enc = bytes.fromhex(hex_text)
    if len(enc) < 7:
        raise OvbaFormatError(f"encrypted value {hex_text!r} is too short")
    seed, version_enc, proj_key_enc = enc[0], enc[1], enc[2]
    version = seed ^ version_enc
    proj_key = seed ^ proj_key_enc
    unencrypted1, encrypted1, encrypted2 = proj_key, proj_key_enc, version_enc
    pos = 3

    def take(n: int) -> bytes:
        nonlocal pos, unencrypted1, encrypted1, encrypted2
        out = bytearray()
        for _ in range(n):
            if pos >= len(enc):
                raise OvbaFormatError(f"encrypted value {hex_text!r} ends early")
            byte_enc = enc[pos]
            pos += 1
            byte = byte_enc ^ ((encrypted2 + unencrypted1) & 0xFF)
            out.append(byte)
            encrypted2, encrypted1, unencrypted1 = encrypted1, byte_enc, byte
        return bytes(out)

    take((seed & 6) // 2)  # IgnoredEnc
    length = int.from_bytes(take(4), "little")
    data = take(length)
    if pos != len(enc):
        raise OvbaFormatError(f"encrypted value {hex_text!r} has bytes after its data")
    return Decrypted(version, proj_key, data)

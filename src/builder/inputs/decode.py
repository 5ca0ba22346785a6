"""Bytes to text: decode what is text, name what is not.

Real crawls hold UTF-8 with and without BOM, UTF-16, legacy single-byte encodings,
CRLF or bare CR line ends and stray NUL bytes. Each is decoded and recorded; binary
data is refused with a reason rather than turned into mojibake rows.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

import charset_normalizer


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    nul_bytes_removed: int


@dataclass(frozen=True)
class Undecodable:
    reason: str


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13))


def _looks_binary(head: bytes) -> bool:
    """Text has almost no control bytes; images, archives and executables have many."""
    if not head:
        return False
    controls = len(head) - len(head.translate(None, _CONTROL))
    return controls / len(head) > 0.05


def _normalise(text: str) -> tuple[str, int]:
    nuls = text.count("\x00")
    if nuls:
        text = text.replace("\x00", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, nuls


def decode(data: bytes) -> Decoded | Undecodable:
    """Decode one dump; the order is BOM, strict UTF-8, then a detector for legacy text."""
    if not data:
        return Undecodable("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text, nuls = _normalise(data.decode(encoding))
            except UnicodeDecodeError:
                return Undecodable(f"not valid {encoding} despite its byte-order mark")
            return _checked(Decoded(text, encoding, nuls))
    head = data[:8192]
    if _looks_binary(head.replace(b"\x00", b"") if head.count(b"\x00") < 8 else head):
        return Undecodable("binary data, not text")
    try:
        text, nuls = _normalise(data.decode("utf-8"))
        return _checked(Decoded(text, "utf-8", nuls))
    except UnicodeDecodeError:
        pass
    legacy = _guess_legacy_encoding(data[:1_000_000])
    if legacy is None:
        return Undecodable("not text in any supported encoding")
    try:
        text, nuls = _normalise(data.decode(legacy))
    except (UnicodeDecodeError, LookupError):
        return Undecodable("not text in any supported encoding")
    return _checked(Decoded(text, legacy, nuls))


def _guess_legacy_encoding(sample: bytes) -> str | None:
    """The detector's best guess, except that Windows-1252 wins every tie.

    On short Western text the detector finds several code pages equally clean and
    picks one (cp1250, cp775) that garbles `é` and `ç`; cp1252 is what legacy web
    pages in Western languages use. Central European cp1250 pages lose this tie.
    """
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    if any(m.encoding == "cp1252" and m.chaos == least for m in matches):
        return "cp1252"
    return str(matches[0].encoding)


def _checked(decoded: Decoded) -> Decoded | Undecodable:
    if not decoded.text.strip():
        return Undecodable("blank: only whitespace")
    return decoded

"""Bytes to text: decode what is text, name what is not.

Real crawls hold UTF-8 with and without BOM, UTF-16, legacy single-byte encodings,
CRLF or bare CR line ends and stray NUL bytes. Each is decoded and recorded; binary
data is refused with a reason rather than turned into mojibake rows.

Bytes that are not UTF-8 are read the way a browser reads a page that declares no
charset: as Windows-1252 (the WHATWG default for Latin text, which also covers
ISO-8859-1), unless there is strong evidence for another encoding of the WHATWG
Encoding Standard. A detector alone is not evidence: on mostly-ASCII Western text
charset-normalizer ranks DOS code pages such as cp850 or cp852 first (`télécoms`
came out as `tÚlÚcoms`), and chardetng, the browsers' detector, reads `naïve` with
curly quotes as Windows-1257. See `_legacy` for what counts as evidence.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import chardetng_py
import charset_normalizer


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    #: NUL bytes removed, plus bytes the legacy encoding leaves undefined (replaced by
    #: U+FFFD): `dumps.replaced_bytes`.
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

#: What a legacy page is read as without strong evidence for something else.
DEFAULT_LEGACY = "cp1252"
#: How many different characters chardetng's reading must change to be taken alone.
_DISTINCT = 2

#: The legacy encodings of the WHATWG Encoding Standard (the only ones browsers decode
#: pages with), by the label chardetng gives, as the Python codec that decodes them.
#: DOS and Mac code pages other than these (cp850, cp852, cp775, ...) are never used.
_WHATWG: dict[str, str] = {
    "windows-1250": "cp1250",
    "windows-1251": "cp1251",
    "windows-1252": "cp1252",
    "windows-1253": "cp1253",
    "windows-1254": "cp1254",
    "windows-1255": "cp1255",
    "windows-1256": "cp1256",
    "windows-1257": "cp1257",
    "windows-1258": "cp1258",
    "windows-874": "cp874",
    "ISO-8859-2": "iso8859_2",
    "ISO-8859-3": "iso8859_3",
    "ISO-8859-4": "iso8859_4",
    "ISO-8859-5": "iso8859_5",
    "ISO-8859-6": "iso8859_6",
    "ISO-8859-7": "iso8859_7",
    "ISO-8859-8": "iso8859_8",
    "ISO-8859-8-I": "iso8859_8",
    "ISO-8859-10": "iso8859_10",
    "ISO-8859-13": "iso8859_13",
    "ISO-8859-14": "iso8859_14",
    "ISO-8859-15": "iso8859_15",
    "ISO-8859-16": "iso8859_16",
    "KOI8-R": "koi8_r",
    "KOI8-U": "koi8_u",
    "IBM866": "cp866",
    "macintosh": "mac_roman",
    "x-mac-cyrillic": "mac_cyrillic",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "Big5": "big5hkscs",
    "EUC-JP": "euc_jp",
    "ISO-2022-JP": "iso2022_jp",
    "Shift_JIS": "cp932",
    "EUC-KR": "cp949",
}
#: charset-normalizer's names for the same decoders (it says shift_jis, euc_kr, gbk).
_ALIASES = {"shift_jis": "cp932", "euc_kr": "cp949", "gbk": "gb18030", "big5": "big5hkscs"}
_WEB_CODECS = sorted(set(_WHATWG.values()) | set(_ALIASES))

#: Non-letters that real text puts between two letters: apostrophes, hyphens, the
#: Catalan middle dot. Any other non-ASCII non-letter inside a word (`wi¹zka`,
#: `prze¿ycie`, `ÒÁ×É`) is a letter of another encoding read wrongly.
_IN_WORD = frozenset("’‘´`·\u00ad‐‑–—")
#: Bytes a codec left undefined, as "surrogateescape" writes them (U+DC80-U+DCFF); built
#: with chr(): a string literal holding lone surrogates does not compile to C (mypyc).
ESCAPED_BYTES = re.compile(f"[{chr(0xDC80)}-{chr(0xDCFF)}]")


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
    """Decode one dump; the order is BOM, strict UTF-8, then a legacy encoding."""
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
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        # In UTF-8 a byte below 0x80 is that character and no other's part: the text
        # holds a NUL or a CR exactly when the bytes do, looked for in the bytes (~0.2
        # us) rather than in the text, which is twice as wide when not ASCII (~4 us).
        nuls = 0
        if b"\x00" in data or b"\r" in data:
            text, nuls = _normalise(text)
        return _checked(Decoded(text, "utf-8", nuls))
    legacy = _legacy(data[:1_000_000])
    if legacy is None:
        return Undecodable("not text in any supported encoding")
    raw, replaced = _decode_replacing(data, legacy)
    text, nuls = _normalise(raw)
    return _checked(Decoded(text, legacy, nuls + replaced))


def _legacy(sample: bytes) -> str | None:
    """The legacy encoding of bytes that are not UTF-8: Windows-1252 unless the evidence
    for another WHATWG encoding is strong. Strong evidence is one of:

    - both detectors (chardetng and charset-normalizer, each asked only about WHATWG
      encodings) read the bytes as the same text;
    - chardetng's text differs from Windows-1252's in at least `_DISTINCT` different
      characters (Turkish `ı ş`, Polish `ą ł`) and holds no more mojibake;
    - charset-normalizer's text differs as much and holds less mojibake (symbols inside
      words: `wi¹zka`; bytes Windows-1252 leaves undefined).

    One odd character is too little: chardetng took `naïve` in an English sentence for
    Windows-1257, and a stray byte Windows-1252 leaves undefined for Arabic. A detector's
    answer that reads the same text as Windows-1252 is no evidence against it.

    None: not text at all. charset-normalizer finds no WHATWG encoding in which the
    bytes read as text (random high bytes, say): nothing is guessed.
    """
    first, second = _detected(sample)
    if second is None:
        return None
    western = _decode_replacing(sample, DEFAULT_LEGACY)[0]  # undefined bytes: U+FFFD
    chardetng, normalizer = (_answer(sample, codec, western) for codec in (first, second))
    if chardetng is not None and normalizer is not None and chardetng[1] == normalizer[1]:
        return normalizer[0]  # both agree; charset-normalizer's name tells KOI8-R from -U
    western_mess = _mojibake(western)
    if (
        chardetng is not None
        and _differs(western, chardetng[1])
        and _mojibake(chardetng[1]) <= western_mess
    ):
        return chardetng[0]
    if (
        normalizer is not None
        and _differs(western, normalizer[1])
        and _mojibake(normalizer[1]) < western_mess
    ):
        return normalizer[0]
    return DEFAULT_LEGACY


def _differs(western: str, text: str) -> bool:
    """Whether `text` changes at least `_DISTINCT` different characters of `western`."""
    changed = {a for a, b in zip(western, text, strict=False) if a != b}
    return len(changed) >= _DISTINCT or len(western) != len(text)


def _answer(sample: bytes, codec: str | None, western: str) -> tuple[str, str] | None:
    """A detector's answer and its text, or None when it is no evidence against
    Windows-1252 (no answer, an answer that cannot decode the sample, the same text)."""
    text = None if codec is None else _reading(sample, codec)
    return None if codec is None or text is None or text == western else (codec, text)


def _detected(sample: bytes) -> tuple[str | None, str | None]:
    """chardetng's answer and charset-normalizer's best answer among WHATWG encodings,
    as Python codec names (None: no answer)."""
    first = _WHATWG.get(chardetng_py.detect(sample, allow_utf8=False))
    best = charset_normalizer.from_bytes(sample, cp_isolation=_WEB_CODECS).best()
    second = None if best is None else _ALIASES.get(best.encoding, best.encoding)
    return first, second


def _reading(sample: bytes, codec: str) -> str | None:
    """The sample as `codec` reads it, or None when it holds bytes `codec` cannot decode.
    A multi-byte character cut at the end of the sample does not count against it."""
    try:
        return sample.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4 and exc.reason.startswith("incomplete"):
            return sample[: exc.start].decode(codec, "replace")
        return None
    except LookupError:
        return None


def _mojibake(text: str) -> int:
    """How many characters read wrongly: non-ASCII non-letters between two letters
    (`wi¹zka`, `dzia³a`), upper-case letters between two lower-case ones (`zaŸle`),
    C1 control characters and replacement characters."""
    count = 0
    for i, char in enumerate(text):
        if char < "\x80":
            continue
        if "\x80" <= char <= "\x9f" or char == "\ufffd":
            count += 1
            continue
        if i == 0 or i + 1 == len(text):
            continue
        before, after = text[i - 1], text[i + 1]
        if not (before.isalpha() and after.isalpha()):
            continue
        category = unicodedata.category(char)
        if not category.startswith("L"):
            count += char not in _IN_WORD
        elif category == "Lu" and before.islower() and after.islower():
            count += 1
    return count


def _decode_replacing(data: bytes, encoding: str) -> tuple[str, int]:
    """`data` in `encoding`, with each byte it leaves undefined replaced by U+FFFD and
    counted, so the text never silently differs from the file."""
    try:
        return data.decode(encoding), 0
    except UnicodeDecodeError:
        escaped = data.decode(encoding, "surrogateescape")  # undefined bytes: U+DC80-U+DCFF
        return ESCAPED_BYTES.subn("\ufffd", escaped)


def _checked(decoded: Decoded) -> Decoded | Undecodable:
    text = decoded.text
    if not text or text.isspace():  # `not text.strip()` without copying the text
        return Undecodable("blank: only whitespace")
    return decoded

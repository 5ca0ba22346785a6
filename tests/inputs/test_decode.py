"""Bytes to text: encodings, line ends and NUL bytes are decoded and recorded; binary is refused."""

from __future__ import annotations

import codecs
import random

import pytest

from builder.inputs.decode import Decoded, Undecodable, decode

TEXT = "Ferry operator adds night sailings\nThe café said “we are ready” — naïve plan.\n"


def decoded(data: bytes) -> Decoded:
    result = decode(data)
    assert isinstance(result, Decoded), result
    return result


def test_utf8() -> None:
    assert decoded(TEXT.encode()) == Decoded(TEXT, "utf-8", 0)


def test_utf8_with_bom() -> None:
    result = decoded(codecs.BOM_UTF8 + TEXT.encode())
    assert result.text == TEXT
    assert not result.text.startswith("\ufeff")
    assert result.encoding == "utf-8-sig"


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
    ids=["le", "be"],
)
def test_utf16_with_bom(bom: bytes, codec: str) -> None:
    result = decoded(bom + TEXT.encode(codec))
    assert result.text == TEXT
    assert result.encoding == "utf-16"
    assert result.nul_bytes_removed == 0


def test_utf16_with_crlf() -> None:
    result = decoded(codecs.BOM_UTF16_LE + "a line\r\nnext line\r\n".encode("utf-16-le"))
    assert result.text == "a line\nnext line\n"


def test_utf32_with_bom() -> None:
    result = decoded(codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"))
    assert result.text == TEXT
    assert result.encoding == "utf-32"


def test_bad_bytes_after_utf8_bom_are_not_guessed() -> None:
    result = decode(codecs.BOM_UTF8 + b"caf\xe9 reopened\n")
    assert isinstance(result, Undecodable)
    assert "byte-order mark" in result.reason


def test_cp1252_with_accented_words() -> None:
    text = "The café reopened on Monday after the owners’ “grand” party.\n"
    result = decoded(text.encode("cp1252"))
    assert result.text == text
    assert "\ufffd" not in result.text


@pytest.mark.parametrize(
    "text",
    [
        "Les élèves à Noël ont fêté le café du port.\n",
        "Pelé scored twice, said José Mourinho at the café in São Paulo.\n",
        "Ferry fares to Curaçao rise – the résumé of the naïve plan.\n",
    ],
)
def test_cp1252_accented_words_survive(text: str) -> None:
    assert decoded(text.encode("cp1252")).text == text


def test_crlf_line_ends() -> None:
    result = decoded(b"Ferry title\r\nBody line.\r\nLast\r\n")
    assert result.text == "Ferry title\nBody line.\nLast\n"
    assert "\r" not in result.text


def test_bare_cr_line_ends() -> None:
    assert decoded(b"Ferry title\rBody line.\rLast\r").text == "Ferry title\nBody line.\nLast\n"


def test_mixed_line_ends() -> None:
    assert decoded(b"a\r\nb\rc\nd").text == "a\nb\nc\nd"


def test_nul_bytes_removed_and_counted() -> None:
    result = decoded(b"Ferry\x00 title\nBody\x00 line\x00.\n")
    assert result.text == "Ferry title\nBody line.\n"
    assert result.nul_bytes_removed == 3
    assert result.encoding == "utf-8"


def test_binary_is_refused() -> None:
    rng = random.Random(8)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(4096))
    result = decode(png)
    assert isinstance(result, Undecodable)
    assert "binary" in result.reason


def test_control_heavy_bytes_are_refused() -> None:
    result = decode(b"\x01\x02\x03\x04 text \x05\x06\x07\x08" * 50)
    assert isinstance(result, Undecodable)


def test_empty_is_refused() -> None:
    assert decode(b"") == Undecodable("empty file")


@pytest.mark.parametrize(
    "data",
    [b" ", b"   \n\t\r\n", codecs.BOM_UTF8 + b" \n", b"\x00\x00\x00", b"\n\n\n"],
    ids=["space", "whitespace", "bom-blank", "nuls", "newlines"],
)
def test_blank_is_refused(data: bytes) -> None:
    result = decode(data)
    assert isinstance(result, Undecodable)
    assert "blank" in result.reason


def test_tabs_and_form_feeds_are_text() -> None:
    result = decoded(b"col1\tcol2\x0cnext page\n" * 20)
    assert result.text.startswith("col1\tcol2\x0cnext page\n")

"""Bytes to text: encodings, line ends and NUL bytes are decoded and recorded; binary is refused."""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@given(
    st.lists(st.sampled_from(["Ferry", " ", "é", "—", "في", "😀", "\x00", "\r", "\n"]), max_size=12)
)
def test_utf8_line_ends_and_nuls_are_found_in_the_bytes_as_in_the_text(bits: list[str]) -> None:
    """UTF-8 is checked for NULs and CRs in its bytes, not its text: the same answer
    (no multi-byte character holds a byte below 0x80), whatever characters surround them."""
    text = "".join(bits)
    data = text.encode()
    result = decode(data)
    if isinstance(result, Undecodable):  # blank, or too many NULs for text
        return
    assert result.encoding == "utf-8"
    plain = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    assert (result.text, result.nul_bytes_removed) == (plain, text.count("\x00"))


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


# --- legacy encodings: Windows-1252 unless the evidence for another is strong ----------
# Each text is written for these tests: a headline and a sentence of news prose.

WESTERN = {
    "french": "Les opérateurs de télécoms révisent leurs tarifs\nLe gouvernement a annoncé "
    "mercredi une réforme des fréquences, très attendue par les élèves ingénieurs.\n",
    "french-short": "Les télécoms à Noël\n",
    "german": "Überschwemmungen in Süddeutschland\nDie Behörden warnen vor größeren Schäden "
    "an Straßen und Brücken, während die Bürger Sandsäcke füllen.\n",
    "spanish": "¿Dónde está el niño?\n¡Qué año! La compañía anunció que la población rural "
    "recibirá más ayuda económica según el ministro.\n",
    "portuguese": "A população de São João não está satisfeita\nO governo anunciou ações "
    "para a região, mas as negociações e as decisões são difíceis.\n",
    "italian": "Perché la città è più cara\nIl sindaco ha detto che l'attività del porto "
    "sarà già ripresa venerdì.\n",
    "danish": "Rådhuset i Århus får nye vinduer\nDe blå bølger når øen før frokost.\n",
    "swedish": "Smörgåsbord och Ångström\nKockens “förslag” avvisades av kommunen i Göteborg.\n",
    "icelandic": "Ríkisstjórnin kynnti nýjar aðgerðir\nÍbúar borgarinnar fá aðstoð innan "
    "mánaðar, sagði ráðherrann.\n",
    "english-quotes": "The owners’ “grand” party – a naïve plan\nThey said it’s fine.\n",
    "english-bullet": "Harbour news\n• Ferry fares frozen for a second year\n",
}


@pytest.mark.parametrize("language", sorted(WESTERN))
def test_western_text_saved_as_windows_1252_reads_as_windows_1252(language: str) -> None:
    """Before: the detector alone chose cp850, cp852, cp1250 or cp1257 for some of them
    (`télécoms` came out as `tÚlÚcoms`, `•` as a letter); the encoding must be cp1252."""
    text = WESTERN[language]
    assert decoded(text.encode("cp1252")) == Decoded(text, "cp1252", 0)


@pytest.mark.parametrize("language", ["french", "german", "danish", "icelandic"])
def test_iso_8859_1_reads_as_windows_1252(language: str) -> None:
    """WHATWG reads the ISO-8859-1 label as Windows-1252: the same text for these bytes."""
    text = WESTERN[language]
    assert decoded(text.encode("latin-1")) == Decoded(text, "cp1252", 0)


CENTRAL = {
    "polish": "Rząd ogłosił nowe środki gospodarcze\nMieszkańcy miasta otrzymają pomoc w ciągu "
    "miesiąca, powiedział minister. Żółw przeszedł przez ulicę w Łodzi.\n",
    "czech": "Vláda oznámila nová hospodářská opatření\nObyvatelé města dostanou pomoc do "
    "jednoho měsíce, řekl ministr. Rodiny s nízkými příjmy dostanou přímé platby.\n",
    "slovak": "Vláda oznámila nové hospodárske opatrenia\nObyvatelia mesta dostanú pomoc do "
    "jedného mesiaca, povedal minister. Ľudia hovoria, že je to ťažké obdobie.\n",
}


@pytest.mark.parametrize("codec", ["cp1250", "iso8859_2"])
@pytest.mark.parametrize("language", sorted(CENTRAL))
def test_central_european_text_reads_in_its_encoding(language: str, codec: str) -> None:
    text = CENTRAL[language]
    result = decoded(text.encode(codec))
    assert result.text == text
    assert result.encoding in {codec, "cp1250"}  # the same text: either name is true
    assert result.encoding == codec or text.encode("cp1250") == text.encode(codec)


@pytest.mark.parametrize(
    ("codec", "text"),
    [
        (
            "cp1254",
            "Hükümet yeni ekonomik önlemleri açıkladı\nŞehir sakinleri bir ay içinde "
            "yardım alacak, dedi bakan. İstanbul ve İzmir'de esnaf bekliyor.\n",
        ),
        (
            "cp1257",
            "Vyriausybė paskelbė naujas priemones\nMiesto gyventojai per mėnesį gaus "
            "pagalbą, sakė ministras. Šeimos gaus tiesiogines išmokas.\n",
        ),
        ("cp1251", "Правительство объявило о новых мерах\nЖители города получат помощь.\n"),
        ("koi8_r", "Правительство объявило о новых мерах\nЖители города получат помощь.\n"),
        ("cp1253", "Η κυβέρνηση ανακοίνωσε νέα μέτρα\nΟι κάτοικοι θα λάβουν βοήθεια.\n"),
        ("cp932", "政府は新しい対策を発表しました\n市民は一か月以内に支援を受ける。\n"),
        ("gb18030", "政府宣布了新的措施\n部长说，市民将在一个月内获得援助。\n"),
    ],
    ids=["turkish", "lithuanian", "russian-1251", "russian-koi8", "greek", "japanese", "chinese"],
)
def test_other_scripts_read_in_their_encoding(codec: str, text: str) -> None:
    result = decoded(text.encode(codec))
    assert result.text == text
    assert text.encode(result.encoding) == text.encode(codec)  # the recorded codec is true


def test_dos_code_pages_are_never_chosen() -> None:
    """cp850 and cp852 are what the detector liked for these bytes: no web page uses them."""
    for text in WESTERN.values():
        assert decoded(text.encode("cp1252")).encoding not in {"cp850", "cp852", "cp775"}


def test_a_byte_windows_1252_leaves_undefined_is_replaced_and_counted() -> None:
    """0x81 is undefined in Windows-1252: when no other encoding reads the bytes better,
    it becomes U+FFFD and counts in `replaced_bytes`, never a silent change."""
    result = decoded("Les télécoms\nLe café a rouvert.\n".encode("cp1252") + b"\x81\n")
    assert result.encoding == "cp1252"
    assert result.text == "Les télécoms\nLe café a rouvert.\n\ufffd\n"
    assert result.nul_bytes_removed == 1


def test_random_high_bytes_are_not_guessed_into_text() -> None:
    rng = random.Random(5)
    noise = bytes(rng.randrange(0x80, 0x100) for _ in range(3000))
    assert decode(noise) == Undecodable("not text in any supported encoding")

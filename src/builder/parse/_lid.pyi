"""Types of the compiled language-model reader (`_lid.cpp`)."""

from os import PathLike

class Model:
    def predict(self, text: str, k: int = 1, threshold: float = 0.0) -> list[tuple[str, float]]:
        """(label, probability) pairs, best first, as fastText's `predict` gives them."""

def load(path: str | PathLike[str]) -> Model:
    """Read a fastText model file of lid.176's kind (others are refused: ValueError)."""

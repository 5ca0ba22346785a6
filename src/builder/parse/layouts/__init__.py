"""Page layouts as data (`data/*.toml`) and the segmenter that applies them."""

from builder.parse.layouts.registry import Layout, load_layouts
from builder.parse.layouts.segment import Block, Page, Rejected, segment

__all__ = ["Block", "Layout", "Page", "Rejected", "load_layouts", "segment"]

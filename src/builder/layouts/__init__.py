"""Page layouts as data (`data/*.toml`) and the segmenter that applies them."""

from builder.layouts.registry import Layout, load_layouts
from builder.layouts.segment import Block, Page, Rejected, segment

__all__ = ["Block", "Layout", "Page", "Rejected", "load_layouts", "segment"]

"""JSNA book: load local data, compute Fingertips-style indicators, build the book."""

__version__ = "0.1.0"

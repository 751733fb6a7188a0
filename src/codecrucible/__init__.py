"""codecrucible: a local-first laboratory for code written by large language models."""

__version__ = "0.1.0"

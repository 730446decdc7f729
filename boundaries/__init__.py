"""boundaries: should I answer this request now? A plain-text policy engine."""

__version__ = "0.1.0"

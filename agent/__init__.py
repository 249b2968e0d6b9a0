"""The endpoint agent: sees the screen, prefilters, captures evidence, never loses a hit."""
__version__ = "0.1.0"

"""sitegen: a static-site generator for cited fact sheets."""

__version__ = "0.1.0"

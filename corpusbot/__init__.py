"""corpusbot: the command-line shell over the `index` core and the `bot` adapter."""

__version__ = "0.1.0"

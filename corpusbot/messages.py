"""What the command line tells a person about a core error: the fact, then the command that mends it."""

from __future__ import annotations

from index import errors


def explain(error: errors.CorpusbotError) -> str:
    """`error`'s message followed by what to run about it, for a terminal user."""
    remedy = ""
    if isinstance(error, errors.IndexNotBuiltError):
        remedy = "Run `corpusbot index` first."
    elif isinstance(error, errors.IndexOutdatedError):
        remedy = "Run `corpusbot index` to update it."
    elif isinstance(error, errors.IndexDamagedError):
        remedy = "Rebuild it with `corpusbot index --rebuild` (the documents in the corpus folder are not touched)."
    elif isinstance(error, errors.IndexBusyError) and error.serving:
        remedy = (
            "Ask it on Telegram, stop it to use the command line here, or run a Chroma server (CHROMA_HOST) "
            "so that the bot and the command line share one index."
        )
    elif isinstance(error, errors.IndexBusyError):
        remedy = (
            "Try again once it is done (INDEX_LOCK_WAIT sets how long to wait), or run a Chroma server (CHROMA_HOST)."
        )
    elif isinstance(error, errors.ModelMismatchError):
        remedy = f"Set EMBEDDING_MODEL={error.index_model}, or rebuild with `corpusbot index --rebuild`."
    return f"{error} {remedy}".strip()

"""The core's small error hierarchy. Messages state what is wrong; what to do about it is said by the edge
that shows them (the CLI names commands, the bot speaks to chat users): corpusbot/messages.py, bot/render.py."""


class CorpusbotError(Exception):
    """Base class for every error the core raises on purpose."""

    user_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.user_message)


class ConfigError(CorpusbotError):
    """A setting is missing or invalid."""


class ModelUnavailableError(CorpusbotError):
    """The embedding model cannot be loaded (not installed, wrong path, no network)."""


class ModelMismatchError(CorpusbotError):
    """The index was built with another embedding model or chunking than the one configured."""

    def __init__(self, message: str, index_model: str = "") -> None:
        super().__init__(message)
        self.index_model = index_model


class IndexNotBuiltError(CorpusbotError):
    """There is no index yet."""

    user_message = "The corpus has not been indexed yet."


class IndexOutdatedError(CorpusbotError):
    """The index was built by an older corpusbot, whose chunks are embedded differently."""

    user_message = "The index was built by an older version of corpusbot, which embedded its chunks differently."


class IndexDamagedError(CorpusbotError):
    """The embedded index cannot be read: damaged files, not a passing outage."""

    def __init__(self, folder: object, detail: str) -> None:
        super().__init__(f"The index at {folder} cannot be read ({detail}). It looks damaged.")


class StoreUnavailableError(CorpusbotError):
    """The vector store (Chroma) cannot be reached right now; worth retrying later."""

    user_message = "The search index is temporarily unavailable. Please try again in a minute."


class LoaderError(CorpusbotError):
    """A document could not be read; the indexer reports and skips it."""


class FetchError(CorpusbotError):
    """A web page or feed could not be fetched (not found, timed out, too large, not allowed, not a page)."""


class IndexBusyError(CorpusbotError):
    """Another process holds the embedded index; it serves one process at a time."""

    def __init__(self, folder: object, holder: str, serving: bool = False) -> None:
        if serving:
            super().__init__(
                f"The index at {folder} is held by a running bot or chat: {holder}. The embedded index serves "
                "one process at a time, and a bot keeps it for as long as it runs."
            )
        else:
            super().__init__(
                f"The index at {folder} is in use by another corpusbot process: {holder}. The embedded index "
                "serves one process at a time."
            )
        self.holder = holder
        self.serving = serving

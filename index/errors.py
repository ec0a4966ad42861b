"""The core's small error hierarchy; edges (CLI, bot) turn these into user-facing text."""


class CorpusbotError(Exception):
    """Base class for every error the core raises on purpose."""

    user_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.user_message)

    @property
    def friendly(self) -> str:
        return str(self)


class ConfigError(CorpusbotError):
    """A setting is missing or invalid."""


class ModelUnavailableError(CorpusbotError):
    """The embedding model cannot be loaded (not installed, wrong path, no network)."""


class ModelMismatchError(CorpusbotError):
    """The index was built with another embedding model or chunking than the one configured."""


class IndexNotBuiltError(CorpusbotError):
    """There is no index yet: run `corpusbot index` first."""

    user_message = "The corpus has not been indexed yet. Run `corpusbot index` first."


class IndexOutdatedError(CorpusbotError):
    """The index was built by an older corpusbot, whose chunks are embedded differently."""

    user_message = "The index was built by an older version of corpusbot. Run `corpusbot index` to update it."


class IndexDamagedError(CorpusbotError):
    """The embedded index cannot be read: damaged files, not a passing outage."""

    def __init__(self, folder: object, detail: str) -> None:
        super().__init__(
            f"The index at {folder} cannot be read ({detail}). It looks damaged; rebuild it with "
            "`corpusbot index --rebuild` (the documents in the corpus folder are not touched)."
        )


class StoreUnavailableError(CorpusbotError):
    """The vector store (Chroma) cannot be reached right now; worth retrying later."""

    user_message = "The search index is temporarily unavailable. Please try again in a minute."


class LoaderError(CorpusbotError):
    """A document could not be read; the indexer reports and skips it."""


class IndexBusyError(CorpusbotError):
    """Another process holds the embedded index; it serves one process at a time."""

    def __init__(self, folder: object, holder: str) -> None:
        super().__init__(
            f"The index at {folder} is in use by another corpusbot process: {holder}. The embedded index "
            "serves one process at a time; wait for it to finish (or stop it), or run a Chroma server "
            "(CHROMA_HOST) to share one index between several processes."
        )
        self.holder = holder

"""Where chunks, vectors and the manifest live: the store protocol, Chroma, in memory, the manifest, locking."""

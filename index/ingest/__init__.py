"""From files to stored chunks: loading, chunking, per-document backgrounds, the indexer."""

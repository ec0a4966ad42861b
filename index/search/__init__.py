"""From a question to ranked passages: lexical BM25, the hybrid retriever, the relevance rule."""

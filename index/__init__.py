"""corpusbot core: load, chunk, embed, store, retrieve and answer — no Telegram in here."""

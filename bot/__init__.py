"""corpusbot on Telegram: a thin python-telegram-bot adapter over the `index` core."""

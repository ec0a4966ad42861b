"""From passages to an answer: key-sentence extraction, follow-up conversations, the answerer."""

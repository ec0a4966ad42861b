"""A checker for the HTML subset Telegram accepts (what "can't parse entities" would reject)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
}
_BAD_AMPERSAND = re.compile(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.errors.append(f"tag <{tag}> not allowed")
        if tag == "a" and not any(k == "href" for k, _ in attrs):
            self.errors.append("<a> without href")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}>")
        else:
            self.stack.pop()


def telegram_html_errors(text: str) -> list[str]:
    errors = []
    if len(text) > 4096:
        errors.append(f"{len(text)} characters")
    if _BAD_AMPERSAND.search(text):
        errors.append("bare &")
    stripped = re.sub(r"</?[a-z-]+(\s+[a-z]+=\"[^\"<>]*\")*\s*>", "", text)
    if "<" in stripped or ">" in stripped:
        errors.append("bare < or >")
    checker = _Checker()
    checker.feed(text)
    checker.close()
    errors += checker.errors
    if checker.stack:
        errors.append(f"unclosed {checker.stack}")
    return errors

"""Who may ask and how often, when a group message is meant for the bot, and "did you mean" for commands."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Chat, Message, MessageEntity, User

from bot.access import AllowList, RateLimiter
from bot.addressing import addressed
from bot.shortcuts import suggest

BOT = User(id=42, first_name="Corpus", is_bot=True, username="CorpusBot")
ALICE = User(id=1, first_name="Alice", is_bot=False)
GROUP = Chat(id=-100, type=Chat.SUPERGROUP)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_counts_per_user_and_frees_up_as_the_window_slides() -> None:
    clock = Clock()
    limiter = RateLimiter(2, window=60.0, clock=clock)
    assert limiter.check(1) == 0.0 and limiter.check(1) == 0.0
    assert limiter.check(1) == 60.0  # third within the minute: wait for the first to age out
    assert limiter.check(2) == 0.0  # another user has their own allowance
    clock.now += 30
    assert limiter.check(1) == 30.0
    clock.now += 30
    assert limiter.check(1) == 0.0 and limiter.check(1) == 0.0  # both t=0 events have aged out
    assert limiter.check(1) == 60.0


def test_refused_attempts_do_not_use_up_the_allowance() -> None:
    clock = Clock()
    limiter = RateLimiter(1, window=10.0, clock=clock)
    assert limiter.check(7) == 0.0
    for _ in range(5):
        assert limiter.check(7) > 0
    clock.now += 10
    assert limiter.check(7) == 0.0


def test_a_zero_limit_means_no_limit() -> None:
    limiter = RateLimiter(0)
    assert all(limiter.check(1) == 0.0 for _ in range(1000))


def test_allow_list_empty_means_everyone_else_user_or_chat_listed() -> None:
    assert AllowList().allows(5, None) and AllowList().allows(None, -3)
    rules = AllowList.of(users=[5], chats=[-100])
    assert rules.allows(5, None)  # a listed user, anywhere
    assert rules.allows(5, -999)
    assert rules.allows(9, -100)  # anyone, in a listed chat
    assert not rules.allows(9, -999)
    assert not rules.allows(9, None)
    assert not rules.allows(None, None)


def _group_message(text: str, entities: list[MessageEntity] | None = None, reply_to: Message | None = None) -> Message:
    message = Message(
        message_id=10,
        date=datetime.now(UTC),
        chat=GROUP,
        from_user=ALICE,
        text=text,
        entities=entities,
        reply_to_message=reply_to,
    )
    message.set_bot(None)  # type: ignore[arg-type]
    return message


def test_a_mention_addresses_the_bot_and_is_taken_out_of_the_question() -> None:
    text = "@CorpusBot when does the deployment start?"
    message = _group_message(text, [MessageEntity(MessageEntity.MENTION, 0, 10)])
    meant_for_us, question = addressed(message, BOT.id, "CorpusBot")
    assert meant_for_us and question.split() == "when does the deployment start?".split()


def test_a_mention_in_other_letters_case_counts_and_another_bot_does_not() -> None:
    assert addressed(_group_message("when does it start, @corpusbot?"), BOT.id, "CorpusBot")[0]
    other = "@OtherBot when does the deployment start?"
    assert not addressed(_group_message(other, [MessageEntity(MessageEntity.MENTION, 0, 9)]), BOT.id, "CorpusBot")[0]


def test_a_reply_to_the_bot_addresses_it_and_plain_chatter_does_not() -> None:
    ours = Message(message_id=9, date=datetime.now(UTC), chat=GROUP, from_user=BOT, text="an answer")
    theirs = Message(message_id=8, date=datetime.now(UTC), chat=GROUP, from_user=ALICE, text="hello")
    assert addressed(_group_message("and where?", reply_to=ours), BOT.id, "CorpusBot") == (True, "and where?")
    assert not addressed(_group_message("and where?", reply_to=theirs), BOT.id, "CorpusBot")[0]
    assert not addressed(_group_message("when does the deployment start?"), BOT.id, "CorpusBot")[0]


def test_command_suggestions_find_the_near_miss_and_nothing_for_noise() -> None:
    known = ["start", "help", "ask", "search", "source", "docs", "stats", "deployment"]
    assert suggest("serach", known) == "search"
    assert suggest("deploymnet", known) == "deployment"
    assert suggest("STATS", known) == "stats"
    assert suggest("xyzzy", known) is None

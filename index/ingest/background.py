"""How similar unrelated questions are to a corpus: the scale dense scores are measured on."""

from __future__ import annotations

from typing import Any

import numpy as np

from index.embedding import Embedder, once_per_model

# Everyday questions on topics unrelated to any particular corpus, in both languages users ask in.
# At index time their similarity to a sample of the corpus's chunks gives "unrelated" a mean and a
# spread for this model and this corpus; retrieval scores questions in those units.
ENGLISH_REFERENCES = (
    "How do I reset my password?",
    "What is a good recipe for chocolate cake?",
    "Will it rain tomorrow afternoon?",
    "How many calories are in an apple?",
    "Which team won the basketball game last night?",
    "How do I change a flat tyre on my bike?",
    "What time does the pharmacy close on Sunday?",
    "Can you recommend a comfortable pair of running shoes?",
    "How long should I boil an egg?",
    "What is the best way to learn to play the guitar?",
    "How do I get rid of ants in the kitchen?",
    "Where can I buy cheap flights to the beach?",
    "What are the symptoms of the common cold?",
    "How often should I water a cactus?",
    "How do I install a printer driver on my laptop?",
    "What is the price of a cup of coffee downtown?",
    "Which board games are fun for children?",
    "How do I remove a red wine stain from a carpet?",
    "What should I pack for a weekend of camping?",
    "How can I improve my sleep?",
    "Is it safe to swim after eating?",
    "How do you knit a scarf?",
    "What is the fastest way to defrost chicken?",
    "How do I make my phone battery last longer?",
)
FRENCH_REFERENCES = (
    "Comment réinitialiser mon mot de passe ?",
    "Quelle est la recette de la pâte à crêpes ?",
    "Va-t-il pleuvoir demain matin ?",
    "Combien de calories contient une banane ?",
    "Quelle équipe a gagné le match de rugby hier soir ?",
    "Comment réparer une fuite sous l'évier ?",
    "À quelle heure ouvre la boulangerie le dimanche ?",
    "Quel aspirateur sans fil me conseillez-vous ?",
    "Combien de temps faut-il cuire des pâtes ?",
    "Comment apprendre le piano rapidement ?",
    "Comment se débarrasser des pucerons sur les rosiers ?",
    "Où trouver un billet de train pas cher pour la mer ?",
    "Quels sont les symptômes d'une angine ?",
    "À quelle fréquence faut-il arroser une orchidée ?",
    "Comment connecter mon imprimante au wifi ?",
    "Quel est le prix d'une baguette en ce moment ?",
    "Quels jeux de société pour un anniversaire d'enfant ?",
    "Comment enlever une tache de café sur une chemise ?",
    "Que faut-il emporter pour une randonnée en montagne ?",
    "Comment mieux dormir la nuit ?",
    "Peut-on congeler du fromage ?",
    "Comment tricoter un bonnet ?",
    "Comment décongeler rapidement de la viande ?",
    "Comment économiser la batterie de mon téléphone ?",
)
REFERENCE_QUESTIONS = ENGLISH_REFERENCES + FRENCH_REFERENCES
REFERENCE_LANGUAGES = ("en",) * len(ENGLISH_REFERENCES) + ("fr",) * len(FRENCH_REFERENCES)


def reference_vectors(embedder: Embedder) -> np.ndarray:
    """The reference questions embedded as queries by `embedder`, one row each (read-only: shared by every
    index the model builds in this process)."""
    return once_per_model(embedder, "reference questions", _embed_references)


def _embed_references(embedder: Embedder) -> np.ndarray:
    vectors = np.vstack([embedder.embed_query(question) for question in REFERENCE_QUESTIONS])
    vectors.setflags(write=False)
    return vectors


def similarity_background(references: np.ndarray, chunk_vectors: np.ndarray) -> tuple[float, float]:
    """Mean and spread of the similarity between unrelated questions and `chunk_vectors`."""
    if len(chunk_vectors) == 0:
        return 0.0, 1.0
    similarities = references @ np.asarray(chunk_vectors, dtype=np.float32).T
    return float(similarities.mean()), max(float(similarities.std()), 1e-3)


def document_backgrounds(similarities: np.ndarray) -> dict[str, Any]:
    """A document's `background` and `backgrounds` (DocumentInfo fields) from the similarities of the
    reference questions (rows) to its chunks (columns).

    A corpus mixes kinds of text (news, man pages, reference docs) that a model places nearer to or farther
    from any question: a passage is judged against its own document's level, not the mix's. And a model
    places a question nearer to texts in its own language: measured per language of the question, that
    pull can be taken out before documents of both languages are compared."""
    per_reference = similarities.mean(axis=1)
    languages = np.asarray(REFERENCE_LANGUAGES)
    return {
        "background": float(per_reference.mean()),
        "backgrounds": {lang: float(per_reference[languages == lang].mean()) for lang in dict.fromkeys(languages)},
    }

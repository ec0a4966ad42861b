"""A model's language means, measured once per loaded model, for centring its vectors (index/centring.py).

A multilingual model places every French text a little towards "French" and every English text towards
"English". Subtracting half of each language's mean (measured once per model on the parallel sentences
below, embedded as passages, and on the parallel questions, embedded as questions) leaves what the
texts are about. Measured on the mixed dev index, dense top-1 alone (bench/trust.py, docs/quality.md):
EN->FR 0.355 -> 0.60, FR->EN 0.473 -> 0.677, FR->FR 0.68 -> 0.715, EN->EN 0.807 unchanged. The means
depend on the model only, not on the corpus, so they never move under an index; the manifest keeps them.
"""

from __future__ import annotations

import numpy as np

from index.centring import Centring
from index.embedding import Embedder, once_per_model
from index.tuning import CENTRING_WEIGHT

# Everyday sentences, each written in both languages (same meaning, so their difference is the language).
PARALLEL_SENTENCES = (
    (
        "The town council voted on Tuesday to renovate the old railway station before the summer.",
        "Le conseil municipal a voté mardi la rénovation de l'ancienne gare avant l'été.",
    ),
    (
        "Heavy rain flooded several roads in the valley, and schools stayed closed for two days.",
        "De fortes pluies ont inondé plusieurs routes de la vallée et les écoles sont restées fermées deux jours.",
    ),
    (
        "The museum reopened its gallery of medieval paintings after three years of restoration work.",
        "Le musée a rouvert sa galerie de peintures médiévales après trois ans de travaux de restauration.",
    ),
    (
        "Prices of bread and milk rose again last month, according to the national statistics office.",
        "Les prix du pain et du lait ont encore augmenté le mois dernier, selon l'office national de la statistique.",
    ),
    (
        "The river rises in the mountains and flows for about four hundred kilometres to the sea.",
        "Le fleuve prend sa source dans les montagnes et coule sur environ quatre cents kilomètres jusqu'à la mer.",
    ),
    (
        "She studied chemistry at university and later worked in a laboratory that tested drinking water.",
        "Elle a étudié la chimie à l'université puis a travaillé dans un laboratoire qui analysait l'eau potable.",
    ),
    (
        "The football club signed a young goalkeeper on a four-year contract.",
        "Le club de football a recruté un jeune gardien avec un contrat de quatre ans.",
    ),
    (
        "Farmers are worried that the dry spring will reduce the wheat harvest.",
        "Les agriculteurs craignent que le printemps sec ne réduise la récolte de blé.",
    ),
    (
        "The castle was built in the twelfth century and partly destroyed during a war.",
        "Le château a été construit au douzième siècle et en partie détruit pendant une guerre.",
    ),
    (
        "The company announced that it would open a new factory and hire three hundred workers.",
        "L'entreprise a annoncé l'ouverture d'une nouvelle usine et l'embauche de trois cents ouvriers.",
    ),
    (
        "Doctors recommend drinking water regularly during hot weather, especially for older people.",
        "Les médecins recommandent de boire de l'eau régulièrement par temps chaud, surtout pour les personnes âgées.",
    ),
    (
        "The film tells the story of a family who move to the countryside after losing their jobs.",
        "Le film raconte l'histoire d'une famille qui s'installe à la campagne après avoir perdu son travail.",
    ),
    (
        "The bridge will be closed to traffic at night while engineers repair its metal structure.",
        "Le pont sera fermé à la circulation la nuit pendant que les ingénieurs réparent sa structure métallique.",
    ),
    (
        "The species lives in tropical forests and feeds mainly on insects and fruit.",
        "L'espèce vit dans les forêts tropicales et se nourrit principalement d'insectes et de fruits.",
    ),
    (
        "Parliament adopted the law by a large majority after a long debate.",
        "Le parlement a adopté la loi à une large majorité après un long débat.",
    ),
    (
        "The orchestra will play works by several composers at the festival next week.",
        "L'orchestre jouera des œuvres de plusieurs compositeurs au festival la semaine prochaine.",
    ),
    (
        "Thousands of people marched through the city centre to demand higher wages.",
        "Des milliers de personnes ont défilé dans le centre-ville pour réclamer des hausses de salaires.",
    ),
    (
        "The new software update fixes a security flaw and makes the battery last longer.",
        "La nouvelle mise à jour du logiciel corrige une faille de sécurité et prolonge la durée de la batterie.",
    ),
    (
        "The island has a mild climate, sandy beaches and a small fishing harbour.",
        "L'île a un climat doux, des plages de sable et un petit port de pêche.",
    ),
    (
        "The writer published her first novel at the age of twenty and won a literary prize.",
        "L'écrivaine a publié son premier roman à vingt ans et a reçu un prix littéraire.",
    ),
    (
        "The hospital plans to build a new emergency department by the end of next year.",
        "L'hôpital prévoit de construire un nouveau service des urgences d'ici la fin de l'année prochaine.",
    ),
    (
        "Police arrested two men suspected of stealing cars in the suburbs.",
        "La police a arrêté deux hommes soupçonnés de voler des voitures en banlieue.",
    ),
    (
        "The spacecraft was launched in the morning and reached orbit ten minutes later.",
        "Le vaisseau spatial a été lancé le matin et a atteint son orbite dix minutes plus tard.",
    ),
    (
        "The king ruled for more than forty years and reformed the country's army and taxes.",
        "Le roi a régné plus de quarante ans et a réformé l'armée et les impôts du pays.",
    ),
    (
        "Teachers say the classes are too large and ask for more staff.",
        "Les enseignants estiment que les classes sont trop chargées et demandent davantage de personnel.",
    ),
    (
        "The recipe calls for flour, eggs, butter and a pinch of salt.",
        "La recette demande de la farine, des œufs, du beurre et une pincée de sel.",
    ),
    (
        "Negotiations between the two countries resumed after a pause of several months.",
        "Les négociations entre les deux pays ont repris après une pause de plusieurs mois.",
    ),
    (
        "The church is known for its stained-glass windows and its tall bell tower.",
        "L'église est connue pour ses vitraux et son haut clocher.",
    ),
    (
        "The airline cancelled dozens of flights because of a strike by air traffic controllers.",
        "La compagnie aérienne a annulé des dizaines de vols à cause d'une grève des contrôleurs aériens.",
    ),
    (
        "The volcano erupted in the night, forcing the evacuation of nearby villages.",
        "Le volcan est entré en éruption dans la nuit, forçant l'évacuation des villages voisins.",
    ),
    (
        "The band recorded its latest album in a small studio by the lake.",
        "Le groupe a enregistré son dernier album dans un petit studio au bord du lac.",
    ),
    (
        "The court sentenced the former mayor to two years in prison for corruption.",
        "Le tribunal a condamné l'ancien maire à deux ans de prison pour corruption.",
    ),
)
# Everyday questions, each asked in both languages; not the background's reference questions
# (index/ingest/background.py), which must stay a sample of questions the centring was not measured on.
PARALLEL_QUESTIONS = (
    ("When does the town library open on Saturdays?", "À quelle heure ouvre la bibliothèque municipale le samedi ?"),
    ("Who won the local election last spring?", "Qui a gagné l'élection locale au printemps dernier ?"),
    ("How long is the river that crosses the region?", "Quelle est la longueur du fleuve qui traverse la région ?"),
    ("Why was the old bridge closed to traffic?", "Pourquoi le vieux pont a-t-il été fermé à la circulation ?"),
    ("How many people live on the island?", "Combien de personnes vivent sur l'île ?"),
    ("What did the minister announce about schools?", "Qu'a annoncé le ministre au sujet des écoles ?"),
    ("Where was the painter born?", "Où le peintre est-il né ?"),
    ("Which company built the new factory?", "Quelle entreprise a construit la nouvelle usine ?"),
    ("When was the castle built?", "Quand le château a-t-il été construit ?"),
    ("What causes the floods in the valley?", "Qu'est-ce qui provoque les inondations dans la vallée ?"),
    ("How much did the new stadium cost?", "Combien a coûté le nouveau stade ?"),
    ("Who wrote the first novel about the war?", "Qui a écrit le premier roman sur la guerre ?"),
    ("What do the farmers grow in the north?", "Que cultivent les agriculteurs dans le nord ?"),
    ("Why did the workers go on strike?", "Pourquoi les ouvriers se sont-ils mis en grève ?"),
    ("How fast can the new train travel?", "À quelle vitesse le nouveau train peut-il rouler ?"),
    ("What language do people speak in the mountains?", "Quelle langue parle-t-on dans les montagnes ?"),
    ("When will the festival take place this year?", "Quand le festival aura-t-il lieu cette année ?"),
    ("Who leads the national football team?", "Qui dirige l'équipe nationale de football ?"),
    ("What happened to the ship during the storm?", "Qu'est-il arrivé au navire pendant la tempête ?"),
    ("How old was the king when he died?", "Quel âge avait le roi à sa mort ?"),
    ("Which animals live in the forest?", "Quels animaux vivent dans la forêt ?"),
    ("Where did the two leaders meet?", "Où les deux dirigeants se sont-ils rencontrés ?"),
    ("What is the museum famous for?", "Pour quoi le musée est-il célèbre ?"),
    ("How did the police find the stolen paintings?", "Comment la police a-t-elle retrouvé les tableaux volés ?"),
)


def measure(embedder: Embedder, weight: float = CENTRING_WEIGHT) -> Centring:
    """The language means of `embedder`: the parallel sentences as passages, the parallel questions as
    questions (a hundred short texts: a second or two, once per loaded model)."""
    passages, questions = once_per_model(embedder, "language means", _language_means)
    return Centring(weight, passages, questions)


def _language_means(embedder: Embedder) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    passages = {
        language: embedder.embed([pair[side] for pair in PARALLEL_SENTENCES]).mean(axis=0)
        for side, language in enumerate(("en", "fr"))
    }
    questions = {
        language: np.vstack([embedder.embed_query(pair[side]) for pair in PARALLEL_QUESTIONS]).mean(axis=0)
        for side, language in enumerate(("en", "fr"))
    }
    for vector in (*passages.values(), *questions.values()):
        vector.setflags(write=False)
    return passages, questions


# How many texts `measure` embeds (the parallel sentences in both languages and the reference questions).
MEASURED_TEXTS = 2 * len(PARALLEL_SENTENCES) + 2 * len(PARALLEL_QUESTIONS)

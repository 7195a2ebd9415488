"""The team report's sentences about prerequisites by contrast, syllabus disagreements and measured trust
(issue 10), in English and French; :mod:`poem.report.texts` merges them into its table (kept apart so
that texts.py stays small, and so that rewording its texts merges cleanly with these).

Examples
--------
>>> sorted(INFERENCE_TEXTS["graph_missing"])
['en', 'fr']
"""

from __future__ import annotations

__all__ = ["INFERENCE_TEXTS"]


INFERENCE_TEXTS = {
    "graph_intro_contrast": {
        "en": "An arrow from A to B means that learners who had mastered A before trying B succeeded clearly "
              "more often on B than those who had not, with the other items they had mastered held fixed: "
              "A looks like a prerequisite of B. Items further right depend on items "
              "further left. **{n_edges}** links are shown: each was found again in at least {confidence} "
              "of {n_resamples} re-analyses on random halves of the learners. On {courses} test courses whose "
              "prerequisites are known, links found again in 80% of them were real direct prerequisites "
              "{mean} of the time on average, {worst} in the worst course: check an arrow before acting on "
              "it. Red arrows are links the syllabus contradicts (it presents B before A).",
        "fr": "Une flèche de A vers B signifie que les apprenants qui avaient maîtrisé A avant de tenter B "
              "ont nettement plus souvent réussi B que les autres, à éléments maîtrisés égaux : A "
              "semble être un prérequis de B. Les éléments à droite dépendent de ceux de gauche. "
              "**{n_edges}** liens sont montrés : chacun a été retrouvé dans au moins {confidence} de "
              "{n_resamples} analyses refaites sur des moitiés d'apprenants tirées au hasard. Sur {courses} "
              "cours tests aux prérequis connus, les liens retrouvés dans 80 % d'entre elles étaient de "
              "vrais prérequis directs {mean} du temps en moyenne, {worst} dans le pire des cours : vérifiez "
              "une flèche avant d'agir. Les flèches rouges sont des liens que le programme contredit.",
    },
    "graph_missing": {
        "en": "**A missing arrow is not a missing prerequisite.** Only links the learners' results show "
              "clearly are drawn, and many real prerequisites leave no such trace: on the same test "
              "courses the arrows covered {mean} of the real direct prerequisites on average (from {low} "
              "to {high} depending on the course). Before concluding that B does not need A, ask the "
              "teaching team.",
        "fr": "**Une flèche absente n'est pas un prérequis absent.** Seuls les liens que les résultats des "
              "apprenants montrent nettement sont tracés, et beaucoup de vrais prérequis ne laissent pas "
              "de telle trace : sur les mêmes cours tests, les flèches couvraient {mean} des vrais "
              "prérequis directs en moyenne (de {low} à {high} selon le cours). Avant de conclure que B "
              "ne demande pas A, interrogez l'équipe pédagogique.",
    },
    "graph_not_enough": {
        "en": "Not enough evidence: no link between two items is confident enough to be shown (found again "
              "in at least {confidence} of the re-analyses on halves of the learners). More learners, or "
              "learners taking the items in more varied orders, are needed.",
        "fr": "Pas assez d'éléments : aucun lien entre deux éléments n'est assez sûr pour être montré "
              "(retrouvé dans au moins {confidence} des analyses refaites sur des moitiés d'apprenants). Il "
              "faut davantage d'apprenants, ou des apprenants abordant les éléments dans des ordres plus "
              "variés.",
    },
    "syllabus_intro_contrast": {
        "en": "The syllabus presents the *item* before its *prerequisite*, yet learners who had mastered the "
              "prerequisite did clearly better on the item, other things equal. Only confident links are "
              "listed (*confidence*: share of the re-analyses on halves of the learners that find the "
              "link). Consider moving the prerequisite earlier.",
        "fr": "Le programme présente l'*élément* avant son *prérequis*, alors que les apprenants qui "
              "avaient maîtrisé le prérequis ont nettement mieux réussi l'élément, toutes choses égales par "
              "ailleurs. Seuls les liens sûrs sont listés (*confiance* : part des analyses refaites sur des "
              "moitiés d'apprenants qui retrouvent le lien). Envisagez d'avancer le prérequis.",
    },
    "syllabus_none_contrast": {
        "en": "No confident link contradicts the syllabus.",
        "fr": "Aucun lien sûr ne contredit le programme.",
    },
    "trust_high_measured": {
        "en": "**Trust: high.** Each claim below was measured and holds: the path barely changes on other "
              "samples of learners, the prerequisite links are found again, and the success model predicts "
              "the course's later attempts better than the items' plain success rates.",
        "fr": "**Confiance : élevée.** Chaque affirmation ci-dessous a été mesurée et tient : le parcours "
              "change à peine sur d'autres échantillons d'apprenants, les liens de prérequis sont retrouvés, "
              "et le modèle de réussite prédit les tentatives ultérieures du cours mieux que les simples taux "
              "de réussite des éléments.",
    },
    "trust_claims": {
        "en": "- prerequisite links found again when the graph is recomputed on {n_seeds} random samples of "
              "80% of the learners: {reproduced}\n- accuracy of the success model on the course's own "
              "later attempts (AUC on {n_attempts} attempts, 0.5 = chance, 1 = perfect): {auc}, against "
              "{baseline} for the items' plain success rates",
        "fr": "- liens de prérequis retrouvés quand le graphe est recalculé sur {n_seeds} échantillons "
              "aléatoires de 80 % des apprenants : {reproduced}\n- justesse du modèle de réussite sur les "
              "tentatives ultérieures du cours lui-même (AUC sur {n_attempts} tentatives, 0,5 = hasard, "
              "1 = parfait) : {auc}, contre {baseline} pour les simples taux de réussite des éléments",
    },
}

"""The team report's sentences for courses read through viewing (videos and seconds watched), in English and
French; :mod:`poem.report.texts` merges them into its tables (kept apart so that texts.py stays small).

Examples
--------
>>> sorted(VIEWING_COLUMNS["completion"])
['en', 'fr']
"""

from __future__ import annotations

__all__ = ["VIEWING_TEXTS", "VIEWING_COLUMNS"]


VIEWING_TEXTS = {
    "viewing_evidence": {
        "en": "**What the evidence is.** This course has no quiz scores: the report reads the seconds watched "
              "against each video's length; a view counts as understood when it reaches the share of the "
              "video that learners who finish it usually reach (learned per video, {threshold} of the "
              "length for the typical video), unless the learner comes back to it the way this course's own "
              "log shows learners coming back to views they did not understand; a view stopped earlier "
              "counts as abandoned, and a review after an understood view counts for "
              "nothing. Completion and abandonment below are read this way; no success rate is shown, and "
              "where the report speaks of a success it means an understood view.",
        "fr": "**Sur quoi repose ce rapport.** Ce cours n'a pas de notes d'exercices : le rapport compare "
              "les secondes regardées à la durée de chaque vidéo ; un visionnage compte comme compris "
              "quand il atteint la part de la vidéo qu'atteignent d'habitude ceux qui la terminent "
              "(apprise vidéo par vidéo, {threshold} de la durée pour une vidéo typique), sauf si "
              "l'apprenant y revient comme, dans le journal de ce cours, on revient à une vidéo non "
              "comprise ; un visionnage arrêté avant compte comme abandonné, "
              "et un nouveau visionnage après une vidéo comprise ne compte pas. Les taux d'achèvement et "
              "d'abandon ci-dessous se lisent ainsi ; aucun taux de réussite n'est affiché, et quand le "
              "rapport parle de réussite, il s'agit d'un visionnage compris.",
    },
    "viewing_evidence_mixed": {
        "en": "**What the evidence is.** For the videos, the report reads the seconds watched against each "
              "video's length; a view counts as understood when it reaches the share of the video that "
              "learners who finish it usually reach (learned per video, {threshold} of the length for the "
              "typical video), unless the learner comes back to it the way this course's own log shows "
              "learners coming back to views they did not understand; a view stopped earlier counts as "
              "abandoned. The other items keep their scores. Each kind of evidence weighs as much "
              "as it predicts later success.",
        "fr": "**Sur quoi repose ce rapport.** Pour les vidéos, le rapport compare les secondes regardées à "
              "la durée de chaque vidéo ; un visionnage compte comme compris quand il atteint la part de la "
              "vidéo qu'atteignent d'habitude ceux qui la terminent (apprise vidéo par vidéo, {threshold} "
              "de la durée pour une vidéo typique), sauf si l'apprenant y revient comme, dans le journal "
              "de ce cours, on revient à une vidéo non comprise ; un "
              "visionnage arrêté avant compte comme abandonné. Les autres éléments gardent leurs notes. "
              "Chaque type d'indice pèse autant qu'il prédit la réussite ultérieure.",
    },
    "path_figure_viewing": {"en": "Recommended path (colour: completion)",
                            "fr": "Parcours recommandé (couleur : achèvement)"},
    "path_intro_viewing": {
        "en": "The colony of learners suggests watching the **{n}** videos in the order below. Each circle is "
              "a step; its colour shows the video's completion, the share of its viewers who watched it "
              "through and understood it by the reading above (red: rarely, green: usually). The order is "
              "the one that agrees best with the order in which learners completed the videos.",
        "fr": "La colonie d'apprenants propose de regarder les **{n}** vidéos dans l'ordre ci-dessous. "
              "Chaque cercle est une étape ; sa couleur indique le taux d'achèvement de la vidéo, la part "
              "de ceux qui l'ont ouverte et l'ont regardée jusqu'au bout en la comprenant selon la lecture "
              "ci-dessus (rouge : rarement, vert : le plus souvent). Cet ordre est celui qui concorde le "
              "mieux avec l'ordre dans lequel les apprenants ont achevé les vidéos.",
    },
    "steps_intro_viewing": {
        "en": "Why each step is where it is: *completion* is the share of the video's viewers with an "
              "understood view, *abandonment* the share who only ever stopped it early, *completion share* "
              "the part of the length from which a view counts as watched through (learned for this video); "
              "*key earlier item* is, among the earlier steps, the video most learners completed first.",
        "fr": "Pourquoi chaque étape est à sa place : l'*achèvement* est la part des spectateurs de la vidéo "
              "qui l'ont regardée en la comprenant, l'*abandon* la part de ceux qui l'ont toujours arrêtée "
              "tôt, le *seuil d'achèvement* la part de la durée à partir de laquelle un visionnage compte "
              "comme achevé (appris pour cette vidéo) ; l'*élément clé antérieur* est, parmi les étapes qui "
              "précèdent, la vidéo que la plupart des apprenants ont achevée en premier.",
    },
    "abandoned_heading": {"en": "### Videos abandoned abnormally", "fr": "### Vidéos anormalement abandonnées"},
    "abandoned_intro": {
        "en": "These videos are abandoned (every view stopped early) far more often than the typical video "
              "of the course: by more than three times what chance and the usual differences between videos "
              "explain, among videos with at least {min_viewers} viewers. A long or hard video, a poor recording, or a missing earlier video can explain it.",
        "fr": "Ces vidéos sont abandonnées (chaque visionnage arrêté tôt) bien plus souvent que la vidéo "
              "typique du cours : de plus de trois fois ce qu'expliquent le hasard et les écarts habituels "
              "entre vidéos, parmi les vidéos d'au moins {min_viewers} spectateurs. Une vidéo longue ou difficile, un enregistrement médiocre ou une vidéo "
              "antérieure manquante peuvent l'expliquer.",
    },
    "abandoned_none": {
        "en": "No video with at least {min_viewers} viewers is abandoned abnormally often; videos with fewer "
              "viewers give not enough evidence to say.",
        "fr": "Aucune vidéo d'au moins {min_viewers} spectateurs n'est anormalement abandonnée ; les vidéos "
              "moins regardées ne donnent pas assez d'indices pour le dire.",
    },
    "viewing_caveat": {
        "en": "**These situations rest on viewing only.** A video watched through without being understood "
              "looks completed, so a learner's own progress is read with errors; on simulated courses, a "
              "colony that knows only viewing guided learners worse than no guidance at all until it learned "
              "from the log which complete views to doubt and left the choice to learners where unsure; even "
              "then it helped only a little, and not always (benchmarks, viewing-only courses). Read this list "
              "as leads to check, not as a diagnosis.",
        "fr": "**Ces situations reposent sur les seuls visionnages.** Une vidéo regardée jusqu'au bout sans "
              "être comprise semble achevée, si bien que la progression de chaque apprenant est lue avec "
              "des erreurs ; sur des cours simulés, une colonie qui ne connaît que les visionnages guidait "
              "les apprenants moins bien que l'absence de toute suggestion, jusqu'à ce qu'elle apprenne du "
              "journal de quels visionnages complets douter et laisse choisir l'apprenant quand elle n'est "
              "pas sûre ; même alors, elle n'aide qu'un peu, et pas toujours (mesures sur des cours sans "
              "exercices). Cette liste donne des pistes à vérifier, pas un diagnostic.",
    },
    "graph_viewing_caveat": {
        "en": "**How far these arrows can be trusted here.** Part of the evidence is watching: a video "
              "watched through without being understood looks like an understood one, as a lucky guess "
              "looks like a pass. On simulated courses read the same way, whose prerequisites are known, "
              "{mean} of the arrows drawn at this confidence were real direct prerequisites on average, "
              "and {worst} in the worst course (POEM's benchmarks). Read them as leads to check with the "
              "teaching team.",
        "fr": "**Quelle confiance accorder à ces flèches ici.** Une partie des indices vient des "
              "visionnages : une vidéo regardée jusqu'au bout sans être comprise ressemble à une vidéo "
              "comprise, comme une réponse devinée ressemble à une réussite. Sur des cours simulés lus de "
              "la même façon, dont les prérequis sont connus, {mean} des flèches tracées à ce niveau de "
              "confiance étaient de vrais prérequis directs en moyenne, et {worst} dans le pire des cours "
              "(mesures de POEM). Ce sont des pistes à vérifier avec l'équipe pédagogique.",
    },
    "completion": {"en": "completion", "fr": "achèvement"},
    "viewing_only": {"en": "the evidence is viewing only", "fr": "les indices ne sont que des visionnages"},
}

VIEWING_COLUMNS = {
    "completion": {"en": "completion", "fr": "achèvement"},
    "abandonment": {"en": "abandonment", "fr": "abandon"},
    "threshold": {"en": "completion share", "fr": "seuil d'achèvement"},
    "expected_abandonment": {"en": "typical abandonment", "fr": "abandon habituel"},
    "viewers": {"en": "viewers", "fr": "spectateurs"},
    "recent_completion": {"en": "recent completion", "fr": "achèvement récent"},
}

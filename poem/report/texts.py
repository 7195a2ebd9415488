"""Plain-language text of the team report, in English and French (``lang="en" | "fr"``).

The report notebook holds no sentence of its own: every heading, explanation and table header comes
from here, so a translation is one dictionary entry and the two languages cannot drift apart silently (the
tests check that both languages define the same keys with the same placeholders).

Examples
--------
>>> text("report_title", "fr")
"Rapport sur le parcours d'apprentissage"
>>> number(0.256, "fr", percent=True) == "25,6\u00a0%", number(1234.5, "en")
(True, '1,234.5')
"""

from __future__ import annotations

import html
import re

import pandas as pd

from poem.errors import ParameterError
from poem.report.texts_inference import INFERENCE_TEXTS
from poem.report.texts_viewing import VIEWING_COLUMNS, VIEWING_TEXTS

__all__ = ["text", "count_text", "number", "date", "table", "column_label", "say", "show_table", "TEXTS",
           "COLUMNS", "LABELS", "MONTHS", "LANGUAGES"]

LANGUAGES = ("en", "fr")

# ---------------------------------------------------------------------------------------------------------
# For translators: every sentence of the report is below, English first, then French. Keep the {placeholders}
# as they are (the tests check that both languages use the same ones); text between backticks is a command
# or a file name and stays as written. Counts that change the grammar (none / one / several) have three
# entries, ``..._zero``, ``..._one`` and ``..._other``, chosen by :func:`count_text`.
# ---------------------------------------------------------------------------------------------------------
TEXTS = {
    "report_title": {
        "en": "Learning path report",
        "fr": "Rapport sur le parcours d'apprentissage",
    },
    "intro": {
        "en": "# Learning path report\n\nThis report analyses the traces learners left in the course. It shows the "
              "path that worked best for them, the items worth a second look, the learners who may need "
              "help, and how much these findings can be trusted. It was computed from **{learners}** "
              "learners, **{events}** recorded activities and **{items}** items, from {start} to {end}.",
        "fr": "# Rapport sur le parcours d'apprentissage\n\nCe rapport analyse les traces laissées par les "
              "apprenants dans le cours. Il présente le parcours qui leur a le mieux réussi, les éléments "
              "qui méritent d'être revus, les apprenants qui pourraient avoir besoin d'aide, et le degré de "
              "confiance que l'on peut accorder à ces résultats. Il repose sur **{learners}** apprenants, "
              "**{events}** activités enregistrées et **{items}** éléments, du {start} au {end}.",
    },
    "import_note": {
        "en": "Of the {read} rows read, {rejected} could not be used (for example a missing date or an unknown "
              "learner).",
        "fr": "Sur les {read} lignes lues, {rejected} n'ont pas pu être utilisées (par exemple une date ou un "
              "apprenant manquant).",
    },
    "path_heading": {"en": "## The recommended path", "fr": "## Le parcours recommandé"},
    "path_intro": {
        "en": "The colony of learners suggests taking the **{n}** items in the order below. Each circle is "
              "a step; its colour shows how often learners succeeded on that item (red: often failed, "
              "green: usually passed, grey: no success or failure recorded, as for a page or a video). The "
              "order is the one that agrees best with the order in which learners actually mastered the "
              "items.",
        "fr": "La colonie d'apprenants propose de suivre les **{n}** éléments dans l'ordre ci-dessous. "
              "Chaque cercle est une étape ; sa couleur indique le taux de réussite sur cet élément "
              "(rouge : souvent raté, vert : généralement réussi, gris : ni réussite ni échec enregistrés, "
              "comme pour une page ou une vidéo). Cet ordre est celui qui concorde le mieux avec l'ordre "
              "dans lequel les apprenants ont réellement maîtrisé les éléments.",
    },
    "path_drawn_part": {
        "en": "The drawing shows the first {shown} of the {n} steps; the table below lists them all.",
        "fr": "Le schéma montre les {shown} premières étapes sur {n} ; le tableau ci-dessous les donne toutes.",
    },
    "steps_intro": {
        "en": "Why each step is where it is: *learners arriving from the previous step* went straight from "
              "the previous step to this one; *expected success* is the success rate that the learners' "
              "and items' ratings predict for a learner who succeeded at every earlier step (when it is well "
              "above the observed rate, learners reach this item less prepared than the path assumes); "
              "*key earlier item* is, among the earlier steps, the one that most learners mastered first, "
              "with how many learners mastered it before and after this one.",
        "fr": "Pourquoi chaque étape est à sa place : les *apprenants venus de l'étape précédente* sont "
              "passés directement de l'étape précédente à celle-ci ; la *réussite attendue* est le taux de "
              "réussite que prévoient les niveaux des apprenants et des éléments pour quelqu'un qui a réussi "
              "toutes les étapes antérieures (quand elle dépasse nettement la réussite observée, les "
              "apprenants abordent cet élément moins préparés que le parcours ne le suppose) ; l'*élément "
              "clé antérieur* est, parmi les étapes qui précèdent, celle que la plupart des apprenants ont "
              "maîtrisée en premier, avec le nombre d'apprenants qui l'ont maîtrisée avant et après celle-ci.",
    },
    "graph_heading": {"en": "## What must come before what", "fr": "## Ce qui doit venir avant quoi"},
    "graph_intro": {
        "en": "An arrow from A to B means that learners who mastered A first did clearly better on B: A looks "
              "like a prerequisite of B. Each item is drawn below the items it depends on. {n_edges} such "
              "links were found. Red arrows are links the syllabus contradicts (it presents B before A).",
        "fr": "Une flèche de A vers B signifie que les apprenants qui ont maîtrisé A d'abord ont nettement "
              "mieux réussi B : A semble être un prérequis de B. Chaque élément est placé sous les éléments "
              "dont il dépend. {n_edges} liens de ce type ont été trouvés. Les flèches rouges sont des liens "
              "que le programme contredit (il présente B avant A).",
    },
    "graph_groups": {
        "en": "To stay readable, the drawings show the {shown} most certain links only, one drawing per group "
              "of linked items; the {rest} other links are listed in the table that follows.",
        "fr": "Pour rester lisibles, les schémas ne montrent que les {shown} liens les plus sûrs, un schéma par "
              "groupe d'éléments liés ; les {rest} autres liens sont listés dans le tableau qui suit.",
    },
    "graph_group_title": {
        "en": "Group {k} of {n}: {size} items",
        "fr": "Groupe {k} sur {n} : {size} éléments",
    },
    "graph_empty": {
        "en": "No link is strong enough yet to be shown: more learners are needed.",
        "fr": "Aucun lien n'est encore assez net pour être montré : il faut davantage d'apprenants.",
    },
    "audit_heading": {"en": "## Items worth a second look", "fr": "## Éléments à revoir"},
    "failing_heading": {"en": "### Items that fail abnormally", "fr": "### Éléments aux échecs inexpliqués"},
    "failing_intro": {
        "en": "Learners who do well on the rest of the course fail these items about as often as those who "
              "do not: the failures look random rather than explained by the learners' level. A hard item "
              "is not listed here (its difficulty explains its failures); an ambiguous question, a wrong "
              "answer key or missing material would be. The closer the agreement is to 0, the more "
              "suspicious the item.",
        "fr": "Les apprenants qui réussissent bien le reste du cours échouent à ces éléments à peu près aussi "
              "souvent que les autres : les échecs semblent dus au hasard plutôt qu'au niveau des "
              "apprenants. Un élément simplement difficile n'apparaît pas ici (sa difficulté explique ses "
              "échecs) ; une question ambiguë, un corrigé erroné ou un support manquant, si. Plus la "
              "cohérence est proche de 0, plus l'élément est suspect.",
    },
    "failing_none": {"en": "No item fails abnormally.", "fr": "Aucun élément ne présente d'échecs inexpliqués."},
    "unreached_heading": {"en": "### Items nobody (or almost nobody) reaches",
                          "fr": "### Éléments que personne (ou presque) n'ouvre"},
    "unreached_intro": {
        "en": "These items are in the catalogue but few or no learners opened them: check they are visible "
              "and linked from the course.",
        "fr": "Ces éléments figurent au catalogue, mais peu d'apprenants, voire aucun, les ont ouverts : "
              "vérifiez qu'ils sont visibles et accessibles depuis le cours.",
    },
    "unreached_intro_nocat": {
        "en": "Few learners opened these items: check they are visible and linked from the course.",
        "fr": "Peu d'apprenants ont ouvert ces éléments : vérifiez qu'ils sont visibles et accessibles "
              "depuis le cours.",
    },
    "unreached_none": {"en": "Every item is reached by a fair share of the learners.",
                       "fr": "Chaque élément est ouvert par une part raisonnable des apprenants."},
    "syllabus_heading": {"en": "### Where learners disagree with the syllabus",
                         "fr": "### Là où les apprenants contredisent le programme"},
    "syllabus_intro": {
        "en": "The syllabus presents the *item* before its *prerequisite*, yet far more learners mastered "
              "the prerequisite first. Consider moving the prerequisite earlier.",
        "fr": "Le programme présente l'*élément* avant son *prérequis*, alors que bien plus d'apprenants ont "
              "maîtrisé le prérequis en premier. Envisagez d'avancer le prérequis dans le programme.",
    },
    "syllabus_none": {"en": "The learners' order agrees with the syllabus.",
                      "fr": "L'ordre suivi par les apprenants concorde avec le programme."},
    "syllabus_missing": {
        "en": "No catalogue with the syllabus order was given, so the comparison with the syllabus is "
              "skipped.",
        "fr": "Aucun catalogue donnant l'ordre du programme n'a été fourni : la comparaison avec le "
              "programme n'est pas faite.",
    },
    "drift_note": {
        "en": "The difficulty of {n} items changed noticeably during the course (a modified item, or a "
              "different audience): {items}.",
        "fr": "La difficulté de {n} éléments a nettement changé au cours de la session (élément modifié ou "
              "public différent) : {items}.",
    },
    "risk_heading": {"en": "## Learners who may need help", "fr": "## Apprenants qui pourraient avoir besoin d'aide"},
    "risk_intro": {
        "en": "Of the {learners} learners, {completed} and {dropped}. Among those still active, {at_risk}: "
              "*stalled* learners have been inactive for {stall_days} days or have not mastered anything new "
              "in their last attempts; *drifting* learners mostly attempt items whose prerequisites they "
              "have not mastered yet. Identifiers are pseudonyms: they never show a learner's real id.",
        "fr": "Sur les {learners} apprenants, {completed} et {dropped}. Parmi ceux qui restent actifs, "
              "{at_risk} : les apprenants *bloqués* sont inactifs depuis {stall_days} jours ou n'ont rien "
              "maîtrisé de nouveau lors de leurs dernières tentatives ; les apprenants *hors parcours* "
              "tentent surtout des éléments dont ils ne maîtrisent pas encore les prérequis. Les "
              "identifiants sont des pseudonymes : ils ne révèlent jamais l'identité réelle d'un apprenant.",
    },
    "completed_zero": {"en": "none mastered the whole path", "fr": "aucun n'a maîtrisé tout le parcours"},
    "completed_one": {"en": "1 mastered the whole path", "fr": "1 a maîtrisé tout le parcours"},
    "completed_other": {"en": "{n} mastered the whole path", "fr": "{n} ont maîtrisé tout le parcours"},
    "dropped_zero": {"en": "none has been inactive for {days} days or more",
                     "fr": "aucun n'est inactif depuis {days} jours ou plus"},
    "dropped_one": {"en": "1 has been inactive for {days} days or more",
                    "fr": "1 est inactif depuis {days} jours ou plus"},
    "dropped_other": {"en": "{n} have been inactive for {days} days or more",
                      "fr": "{n} sont inactifs depuis {days} jours ou plus"},
    "at_risk_zero": {"en": "none seems to need help", "fr": "aucun ne semble avoir besoin d'aide"},
    "at_risk_one": {"en": "1 may need help", "fr": "1 pourrait avoir besoin d'aide"},
    "at_risk_other": {"en": "{n} may need help", "fr": "{n} pourraient avoir besoin d'aide"},
    "risk_key_stable": {
        "en": "The pseudonyms are made with the platform's key: a learner keeps the same pseudonym from one "
              "report to the next, and authorised staff holding the key can find who the learners of a list "
              "are with `poem reidentify`.",
        "fr": "Les pseudonymes sont calculés avec la clé de la plateforme : un apprenant garde le même "
              "pseudonyme d'un rapport à l'autre, et le personnel habilité qui détient la clé peut retrouver "
              "l'identité des apprenants d'une liste avec `poem reidentify`.",
    },
    "risk_key_missing": {
        "en": "These pseudonyms were drawn for this report only: the same learner will carry another one in "
              "the next report, and nobody can find who they are. To follow learners from one report to the "
              "next and let authorised staff re-identify them (`poem reidentify`), make the report with the "
              "platform's key (`poem report --pseudonym-key FILE`).",
        "fr": "Ces pseudonymes ont été tirés pour ce seul rapport : le même apprenant en aura un autre dans "
              "le prochain rapport, et personne ne peut retrouver son identité. Pour suivre les apprenants "
              "d'un rapport à l'autre et permettre au personnel habilité de les identifier "
              "(`poem reidentify`), produisez le rapport avec la clé de la plateforme "
              "(`poem report --pseudonym-key FICHIER`).",
    },
    "risk_more": {
        "en": "The {shown} most urgent cases are listed; the full list has {total} learners.",
        "fr": "Les {shown} cas les plus urgents sont listés ; la liste complète compte {total} apprenants.",
    },
    "risk_none": {"en": "No active learner looks stalled or off the trail.",
                  "fr": "Aucun apprenant actif ne semble bloqué ni hors parcours."},
    "trust_heading": {"en": "## How much to trust this", "fr": "## Quelle confiance accorder à ces résultats"},
    "trust_high": {
        "en": "**Trust: high.** Many learners, good coverage of the course, and the path barely changes "
              "when the analysis is repeated on other samples of learners.",
        "fr": "**Confiance : élevée.** Beaucoup d'apprenants, une bonne couverture du cours, et le parcours "
              "varie à peine quand l'analyse est refaite sur d'autres échantillons d'apprenants.",
    },
    "trust_medium": {
        "en": "**Trust: medium.** The main lines are reliable, but read the details with care ({reasons}).",
        "fr": "**Confiance : moyenne.** Les grandes lignes sont fiables, mais lisez le détail avec prudence "
              "({reasons}).",
    },
    "trust_low": {
        "en": "**Trust: low.** Treat this report as a first sketch ({reasons}).",
        "fr": "**Confiance : faible.** Considérez ce rapport comme une première ébauche ({reasons}).",
    },
    "trust_figures": {
        "en": "- learners: {learners}; recorded activities: {events}, of which {scored} record a success or a "
              "failure\n- items opened by at least one learner: {coverage}\n- path steps taken by at least "
              "{min_support} learners: {supported}\n- steps placed by observed mastery (some learners mastered "
              "an earlier step first): {evidence}\n"
              "- stability of the path when it is recomputed on {n_seeds} random samples of 80% of the "
              "learners (1 = the same order): {stability}",
        "fr": "- apprenants : {learners} ; activités enregistrées : {events}, dont {scored} avec une réussite "
              "ou un échec\n- éléments ouverts par au moins un apprenant : {coverage}\n- étapes du parcours "
              "empruntées par au moins {min_support} apprenants : {supported}\n- étapes placées grâce à une "
              "maîtrise observée (des apprenants ont maîtrisé une étape antérieure en premier) : {evidence}\n"
              "- stabilité du parcours quand il est recalculé sur {n_seeds} échantillons aléatoires de "
              "80\u00a0% des apprenants (1 = le même ordre) : {stability}",
    },
    "trust_predictions": {
        "en": "- predicted chances of success, checked on the course's own latest {share} of attempts "
              "({n} attempts, predicted from what happened before them): a success got a higher predicted "
              "chance than a failure {auc} of the time (50% would be chance), and the predictions said "
              "{predicted} success where {observed} happened",
        "fr": "- chances de réussite prédites, vérifiées sur les {share} dernières tentatives du cours "
              "({n} tentatives, prédites à partir de ce qui les précédait) : une réussite avait une chance "
              "prédite plus élevée qu'un échec dans {auc} des cas (50 % serait le hasard), et les prédictions "
              "annonçaient {predicted} de réussite pour {observed} observées",
    },
    "trust_predictions_thin": {
        "en": "- predicted chances of success: not enough evidence to check them on the course's latest "
              "attempts ({successes} successes and {failures} failures)",
        "fr": "- chances de réussite prédites : pas assez d'éléments pour les vérifier sur les dernières "
              "tentatives du cours ({successes} réussites et {failures} échecs)",
    },
    "method_heading": {"en": "## How this report was made", "fr": "## Comment ce rapport a été produit"},
    "method_text": {
        "en": "Each learner is treated as an ant of a *man-hill* (an ant colony made of people): every move "
              "from one item to the next leaves a trace of success or failure, and the colony's memory "
              "reveals which orders work. The path is the order of the items that agrees with the largest "
              "number of observations \"this learner mastered A before B\" (method: {method}). The "
              "computation makes random draws fixed by the number {seed} (its *seed*): the same data and "
              "the same seed give the same report. POEM {version}.",
        "fr": "Chaque apprenant est vu comme une fourmi d'une *fourmilière humaine* : chaque passage d'un "
              "élément au suivant laisse une trace de réussite ou d'échec, et la mémoire collective révèle "
              "les ordres qui fonctionnent. Le parcours est l'ordre des éléments qui concorde avec le plus "
              "grand nombre d'observations « tel apprenant a maîtrisé A avant B » (méthode : {method}). Le "
              "calcul fait des tirages aléatoires fixés par le nombre {seed} (sa *graine*) : les mêmes "
              "données et la même graine donnent le même rapport. POEM {version}.",
    },
    "method_lop": {"en": "search for the best linear order", "fr": "recherche du meilleur ordre linéaire"},
    "method_aco": {"en": "ant-colony search", "fr": "recherche par colonie de fourmis"},
    "method_greedy": {"en": "step-by-step choice of the likeliest next item",
                      "fr": "choix pas à pas de l'élément suivant le plus probable"},
    "method_topological": {"en": "order of the prerequisite graph", "fr": "ordre du graphe des prérequis"},
    "outcome_note": {
        "en": "The {n_good} learners whose own order agreed well with the recommended path reached an "
              "average outcome of {good}, against {poor} for the {n_poor} others; {n_left} learners are "
              "not counted, because they opened fewer than 3 items of the path or have no recorded outcome. "
              "This is an observation, not a proof: learners who go further through the course also tend "
              "to agree more.",
        "fr": "Les {n_good} apprenants dont l'ordre concordait bien avec le parcours recommandé ont obtenu "
              "un résultat moyen de {good}, contre {poor} pour les {n_poor} autres ; {n_left} apprenants ne "
              "sont pas comptés, car ils ont ouvert moins de 3 éléments du parcours ou n'ont pas de "
              "résultat enregistré. C'est une observation, pas une preuve : les apprenants qui avancent "
              "plus loin dans le cours concordent aussi davantage avec le parcours.",
    },
    "nothing": {"en": "none", "fr": "aucune"},
    "more_rows": {"en": "… and {n} more: the full list is in {file}, next to this report.",
                  "fr": "… et {n} autres : la liste complète se trouve dans {file}, à côté de ce rapport."},
    "more_rows_plain": {"en": "… and {n} more.", "fr": "… et {n} autres."},
    "files_note": {
        "en": "The tables of this report are also saved as files next to it: {steps} (every step of the "
              "path), {audit} (every finding on the items), {at_risk} (every learner who may need help, "
              "by pseudonym), {graph} (every prerequisite link) and {path} (the path, for other tools).",
        "fr": "Les tableaux de ce rapport sont aussi enregistrés dans des fichiers, à côté de ce rapport : "
              "{steps} (toutes les étapes du parcours), {audit} (tous les constats sur les éléments), "
              "{at_risk} (tous les apprenants qui pourraient avoir besoin d'aide, sous pseudonyme), {graph} "
              "(tous les liens de prérequis) et {path} (le parcours, pour d'autres outils).",
    },
    # ---- error messages of `poem report` (one line each, naming what to change)
    "input_traces": {"en": "traces", "fr": "de traces"},
    "input_outcomes": {"en": "outcomes", "fr": "de résultats"},
    "input_catalog": {"en": "catalogue", "fr": "du catalogue"},
    "error_missing_file": {"en": "the {what} file {path} does not exist: check its path",
                           "fr": "le fichier {what} {path} n'existe pas : vérifiez son chemin"},
    "error_unreadable": {"en": "the traces file {path} cannot be read: {problem}",
                         "fr": "le fichier de traces {path} est illisible : {problem}"},
    "error_no_rows": {"en": "the traces file holds no row of data: export the course's activity again",
                      "fr": "le fichier de traces ne contient aucune ligne de données : exportez à nouveau "
                            "l'activité du cours"},
    "error_naive_timestamps": {
        "en": "the dates carry no time zone: give the zone they were written in with "
              "--naive-timestamps Europe/Paris (or --naive-timestamps utc)",
        "fr": "les dates n'indiquent pas de fuseau horaire : indiquez celui dans lequel elles ont été écrites "
              "avec --naive-timestamps Europe/Paris (ou --naive-timestamps utc)",
    },
    "error_bad_timestamp": {
        "en": "none of the {read} rows could be used: {n} dates could not be read (e.g. '{example}'); give "
              "their pattern and time zone with --timestamp-format '{pattern}' --naive-timestamps Europe/Paris",
        "fr": "aucune des {read} lignes lues n'est utilisable : {n} dates sont illisibles (par exemple "
              "« {example} ») ; indiquez leur format et leur fuseau horaire avec --timestamp-format "
              "'{pattern}' --naive-timestamps Europe/Paris",
    },
    "error_epoch_timestamp": {
        "en": "none of the {read} rows could be used: {n} dates are epoch numbers (e.g. '{example}'); give "
              "their unit with --timestamp-unit s (or ms, us, ns)",
        "fr": "aucune des {read} lignes lues n'est utilisable : {n} dates sont des nombres depuis 1970 (par "
              "exemple « {example} ») ; indiquez leur unité avec --timestamp-unit s (ou ms, us, ns)",
    },
    "error_decimal_comma": {
        "en": "none of the {read} rows could be used: {n} scores are written with a decimal comma (e.g. "
              "'{example}'); export them with a decimal point ({fixed})",
        "fr": "aucune des {read} lignes lues n'est utilisable : {n} scores sont écrits avec une virgule "
              "décimale (par exemple « {example} ») ; exportez-les avec un point décimal ({fixed})",
    },
    "error_bad_score": {
        "en": "none of the {read} rows could be used: {n} scores are not numbers (e.g. '{example}'); export "
              "the scores as numbers between 0 and 1",
        "fr": "aucune des {read} lignes lues n'est utilisable : {n} scores ne sont pas des nombres (par "
              "exemple « {example} ») ; exportez les scores sous forme de nombres entre 0 et 1",
    },
    "error_score_out_of_range": {
        "en": "none of the {read} rows could be used: {n} scores lie outside 0-1 (e.g. '{example}'); if they "
              "are percentages, add --score-max 100",
        "fr": "aucune des {read} lignes lues n'est utilisable : {n} scores sortent de l'intervalle 0-1 (par "
              "exemple « {example} ») ; s'il s'agit de pourcentages, ajoutez --score-max 100",
    },
    "error_missing_learner": {
        "en": "none of the {read} rows could be used: {n} rows name no learner; check that the export has a "
              "`learner` column",
        "fr": "aucune des {read} lignes lues n'est utilisable : {n} lignes n'indiquent aucun apprenant ; "
              "vérifiez que l'export a une colonne `learner`",
    },
    "error_missing_item": {
        "en": "none of the {read} rows could be used: {n} rows name no item; check that the export has an "
              "`item` column",
        "fr": "aucune des {read} lignes lues n'est utilisable : {n} lignes n'indiquent aucun élément ; "
              "vérifiez que l'export a une colonne `item`",
    },
    "error_missing_timestamp": {
        "en": "none of the {read} rows could be used: {n} rows have no date; check that the export has a "
              "`timestamp` column",
        "fr": "aucune des {read} lignes lues n'est utilisable : {n} lignes n'ont pas de date ; vérifiez que "
              "l'export a une colonne `timestamp`",
    },
    "error_other_reason": {
        "en": "none of the {read} rows could be used; the most common reason is {reason} ({n} rows, e.g. "
              "'{example}'); `poem import TRACES --out t.parquet --rejects rejects.csv` lists every row",
        "fr": "aucune des {read} lignes lues n'est utilisable ; le motif le plus fréquent est « {reason} » "
              "({n} lignes, par exemple « {example} ») ; `poem import TRACES --out t.parquet --rejects "
              "rejets.csv` détaille chaque ligne",
    },
    "error_notebook": {"en": "the report could not be computed: {reason} (details in {kept})",
                       "fr": "le rapport n'a pas pu être calculé : {reason} (détails dans {kept})"},
}

#: plain-language reasons that lowered the trust level (codes from poem.report.data.trust_summary)
LABELS = {
    "few_learners": {"en": "fewer than 200 learners", "fr": "moins de 200 apprenants"},
    "coverage": {"en": "part of the course is rarely opened", "fr": "une partie du cours est rarement ouverte"},
    "support": {"en": "many steps rest on few learners", "fr": "beaucoup d'étapes reposent sur peu d'apprenants"},
    "unscored": {"en": "few activities record a success or a failure",
                 "fr": "peu d'activités enregistrent une réussite ou un échec"},
    "weak_evidence": {"en": "the order of many steps rests on no observed mastery",
                      "fr": "l'ordre de beaucoup d'étapes ne repose sur aucune maîtrise observée"},
    "unstable": {"en": "the order changes between samples", "fr": "l'ordre varie d'un échantillon à l'autre"},
    "stability_unknown": {"en": "stability not measured", "fr": "stabilité non mesurée"},
    "stalled": {"en": "stalled", "fr": "bloqué"},
    "drifting": {"en": "drifting", "fr": "hors parcours"},
    "stalled_drifting": {"en": "stalled and drifting", "fr": "bloqué et hors parcours"},
    "on_track": {"en": "on track", "fr": "sur la bonne voie"},
    "completed": {"en": "completed", "fr": "parcours terminé"},
    "dropped": {"en": "left the course", "fr": "a quitté le cours"},
    "new": {"en": "just started", "fr": "vient de commencer"},
    "unreached": {"en": "never opened", "fr": "jamais ouvert"},
    "rarely_reached": {"en": "rarely opened", "fr": "rarement ouvert"},
    "path_figure": {"en": "Recommended path (colour: success rate)",
                    "fr": "Parcours recommandé (couleur : taux de réussite)"},
    "success_rate": {"en": "success rate", "fr": "taux de réussite"},
    "status_figure": {"en": "Where the learners stand", "fr": "Où en sont les apprenants"},
    "learners": {"en": "learners", "fr": "apprenants"},
}

#: display names of the report tables' columns
COLUMNS = {
    "step": {"en": "step", "fr": "étape"},
    "item": {"en": "item", "fr": "élément"},
    "title": {"en": "title", "fr": "titre"},
    "syllabus_position": {"en": "place in syllabus", "fr": "rang au programme"},
    "support": {"en": "learners arriving from the previous step", "fr": "apprenants venus de l'étape précédente"},
    "item_learners": {"en": "learners who opened it", "fr": "apprenants l'ayant ouvert"},
    "success_rate": {"en": "success rate", "fr": "taux de réussite"},
    "predicted_success": {"en": "expected success", "fr": "réussite attendue"},
    "key_prerequisite": {"en": "key earlier item", "fr": "élément clé antérieur"},
    "before": {"en": "mastered it first", "fr": "l'ont maîtrisé avant"},
    "after": {"en": "mastered it after", "fr": "l'ont maîtrisé après"},
    "value": {"en": "agreement with the rest of the course", "fr": "cohérence avec le reste du cours"},
    "expected": {"en": "typical agreement", "fr": "cohérence habituelle"},
    "attempts": {"en": "attempts", "fr": "tentatives"},
    "learner_share": {"en": "share of learners who opened it", "fr": "part des apprenants l'ayant ouvert"},
    "kind": {"en": "finding", "fr": "constat"},
    "prerequisite": {"en": "prerequisite", "fr": "prérequis"},
    "prerequisite_position": {"en": "prerequisite's place", "fr": "rang du prérequis"},
    "item_position": {"en": "item's place", "fr": "rang de l'élément"},
    "learner": {"en": "learner (pseudonym)", "fr": "apprenant (pseudonyme)"},
    "events": {"en": "activities", "fr": "activités"},
    "mastered": {"en": "path items mastered", "fr": "éléments du parcours maîtrisés"},
    "days_inactive": {"en": "days inactive", "fr": "jours d'inactivité"},
    "recent_success": {"en": "recent success", "fr": "réussite récente"},
    "off_trail_share": {"en": "attempts without the prerequisites", "fr": "tentatives sans les prérequis"},
    "status": {"en": "situation", "fr": "situation"},
    "seed": {"en": "sample", "fr": "échantillon"},
    "tau": {"en": "agreement with the path", "fr": "concordance avec le parcours"},
    "same_start": {"en": "same first five steps", "fr": "mêmes cinq premières étapes"},
    "weight": {"en": "strength of the link", "fr": "force du lien"},
    "precedence": {"en": "learners who mastered the prerequisite first",
                   "fr": "apprenants ayant maîtrisé le prérequis d'abord"},
    "against": {"en": "learners who mastered the item first", "fr": "apprenants ayant maîtrisé l'élément d'abord"},
    "group": {"en": "group", "fr": "groupe"},
}

#: month names for dates written out in full
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre"],
}


TEXTS.update(INFERENCE_TEXTS)  # prerequisites by contrast, syllabus disagreements, trust (issue 10)

LABELS.update({
    "graph_unstable": {"en": "the prerequisite links change between samples",
                       "fr": "les liens de prérequis varient d'un échantillon à l'autre"},
    "graph_stability_unknown": {"en": "no prerequisite link to check, or their stability not measured",
                                "fr": "aucun lien de prérequis à vérifier, ou leur stabilité non mesurée"},
    "success_weak": {"en": "the success model predicts later attempts poorly",
                     "fr": "le modèle de réussite prédit mal les tentatives ultérieures"},
    "success_unknown": {"en": "the success model's accuracy not measured",
                        "fr": "justesse du modèle de réussite non mesurée"},
})

COLUMNS.update({
    "confidence": {"en": "confidence", "fr": "confiance"},
    "strength": {"en": "strength (log odds ratio)", "fr": "force (log du rapport des cotes)"},
    "arc_support": {"en": "learners who had the prerequisite", "fr": "apprenants ayant le prérequis"},
    "arcs": {"en": "links found", "fr": "liens trouvés"},
    "reproduced": {"en": "links found again", "fr": "liens retrouvés"},
    **VIEWING_COLUMNS,
})
TEXTS.update(VIEWING_TEXTS)  # courses read through viewing (issue 16)


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ParameterError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")


def text(key: str, lang: str = "en", **values) -> str:
    """The sentence ``key`` in ``lang`` with ``values`` filled in.

    Raises
    ------
    ParameterError
        If the language or the key is unknown, or a placeholder has no value (the message names it).
    """
    _check(lang)
    table = TEXTS if key in TEXTS else LABELS
    if key not in table:
        raise ParameterError(f"no report text called {key!r}")
    try:
        return table[key][lang].format(**values)
    except KeyError as exc:
        raise ParameterError(f"report text {key!r} needs a value for {exc.args[0]!r}") from None


def count_text(key: str, n, lang: str = "en", **values) -> str:
    """The sentence ``key_zero``, ``key_one`` or ``key_other`` for the count ``n`` (French, like English,
    says "aucun" / "none" rather than "0"), with ``n`` written for ``lang``.

    Examples
    --------
    >>> count_text("completed", 0, "fr"), count_text("completed", 1234, "fr")
    ("aucun n'a maîtrisé tout le parcours", '1\u202f234 ont maîtrisé tout le parcours')
    """
    n = int(n)
    form = "zero" if n == 0 else ("one" if n == 1 else "other")
    return text(f"{key}_{form}", lang, n=number(n, lang), **values)


def date(value, lang: str = "en") -> str:
    """A date written out for readers of ``lang``: ``8 January 2024`` / ``8 janvier 2024`` (``1er`` for the
    first of a month in French).

    Examples
    --------
    >>> date("2024-01-08", "en"), date("2024-03-01T10:00Z", "fr")
    ('8 January 2024', '1er mars 2024')
    """
    _check(lang)
    stamp = pd.Timestamp(value)
    day = "1er" if lang == "fr" and stamp.day == 1 else str(stamp.day)
    return f"{day} {MONTHS[lang][stamp.month - 1]} {stamp.year}"


def _missing(value) -> bool:
    """None, NaN of any float type (numpy float32 too), NaT or pd.NA."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def number(value, lang: str = "en", *, percent: bool = False, decimals: int | None = None) -> str:
    """A number written the way readers of ``lang`` expect (``1,234.5`` / ``1 234,5``; ``25.6%`` /
    ``25,6 %``); NaN and None become an en dash.

    >>> number(pd.NA), number(float("inf"))
    ('–', 'inf')
    """
    _check(lang)
    if _missing(value):
        return "–"
    value = float(value)
    if percent:
        value *= 100
    if decimals is None:
        decimals = 0 if value.is_integer() and not percent else 1
    body = f"{value:,.{decimals}f}"
    if lang == "fr":
        body = body.replace(",", "\u202f").replace(".", ",")
    if percent:
        body += "\u00a0%" if lang == "fr" else "%"
    return body


def column_label(name: str, lang: str) -> str:
    """Display name of a table column (the name itself when no translation exists)."""
    _check(lang)
    return COLUMNS.get(name, {}).get(lang, name)


def table(frame: pd.DataFrame, lang: str, *, columns=None, percent=(), decimals=None, labels=(),
          relabel=None) -> pd.DataFrame:
    """A copy of ``frame`` ready to show: selected ``columns`` in order, numbers formatted for ``lang``
    (``percent`` columns as percentages), values of ``labels`` columns translated, values of ``relabel``
    columns mapped (``{"item": {item id: title}}``, unknown values kept), headers translated, and a plain
    1..n index hidden by the caller (``to_html(index=False)``).

    Examples
    --------
    >>> t = table(pd.DataFrame({"success_rate": [0.5], "status": ["stalled"]}), "fr",
    ...           percent=["success_rate"], labels=["status"])
    >>> t.columns.tolist(), t.iloc[0].tolist()
    (['taux de réussite', 'situation'], ['50,0\\xa0%', 'bloqué'])
    """
    _check(lang)
    columns = [c for c in (columns or frame.columns) if c in frame.columns]
    decimals = decimals or {}
    relabel = relabel or {}
    out = pd.DataFrame(index=range(len(frame)))
    for col in columns:
        values = frame[col].to_numpy()
        if col in relabel:
            out[col] = ["–" if _missing(v) else relabel[col].get(v, str(v)) for v in values]
        elif col in labels:
            out[col] = [LABELS.get(str(v), {}).get(lang, str(v)) for v in values]
        elif col in percent:
            out[col] = [number(v, lang, percent=True) for v in values]
        elif pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col]):
            out[col] = [number(v, lang, decimals=decimals.get(col)) for v in values]
        else:
            out[col] = ["–" if _missing(v) else str(v) for v in values]
    out.columns = [column_label(c, lang) for c in columns]
    return out


def _markdown_literal(value):
    """Text from the data (item titles...) shown as typed: no HTML, no Markdown emphasis or links."""
    if not isinstance(value, str):
        return value
    escaped = html.escape(value, quote=False)
    return re.sub(r"([\\`*_\[\]#|])", r"\\\1", escaped)


def say(key: str, lang: str = "en", **values) -> None:
    """Display the sentence ``key`` as Markdown in a notebook (what the report's cells call). String values
    are escaped, so a catalogue title cannot inject HTML or Markdown into the report.

    Examples
    --------
    >>> print(_markdown_literal("<b>Unit_1</b>"))
    &lt;b&gt;Unit\\_1&lt;/b&gt;
    """
    from IPython.display import Markdown, display

    display(Markdown(text(key, lang, **{k: _markdown_literal(v) for k, v in values.items()})))


def show_table(frame: pd.DataFrame, lang: str, *, max_rows: int | None = None, full_list=None, **options) -> None:
    """Display :func:`table` of ``frame`` in a notebook as HTML without the row index; beyond ``max_rows``
    rows, the rest is counted in a sentence instead of shown, naming ``full_list`` (the file holding every
    row, as the reader finds it next to the report) when given."""
    from IPython.display import HTML, display

    shown = frame if max_rows is None else frame.head(max_rows)
    display(HTML(table(shown, lang, **options).to_html(index=False, border=0, classes="poem-table")))
    if len(frame) > len(shown):
        more = number(len(frame) - len(shown), lang)
        if full_list:
            say("more_rows", lang, n=more, file=str(full_list))
        else:
            say("more_rows_plain", lang, n=more)

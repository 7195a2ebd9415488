"""xAPI statements (a JSON array, or one statement per line) -> validated batches.

Following the xAPI specification (1.0.3 / IEEE 9274.1.1):

* learner = the actor's inverse functional identifier, in this order: ``account.name`` (prefixed by
  ``account.homePage`` + ``|`` only when ``account_home_page=True``), ``mbox`` (without ``mailto:``),
  ``mbox_sha1sum``, ``openid``; a statement with none is rejected as ``missing_learner``;
* item = ``object.id``; statements about other statements (``StatementRef``, ``SubStatement``) and
  voiding statements (verb ``.../voided``) are rejected as ``bad_record`` / ``unknown_verb``;
* time = ``timestamp``, or ``stored`` when the statement has no timestamp;
* score = ``result.score.scaled`` when present (negative scaled scores are outside [0, 1] and rejected),
  else ``(raw - min) / (max - min)`` when those are given, else ``result.success`` (true 1, false 0), else
  ``result.completion`` true -> 1 (false leaves the score unknown: not finishing is not failing);
* duration = ``result.duration`` (ISO 8601 duration such as ``PT1M30.5S``) in seconds;
* ``verbs=`` keeps only the listed verb ids (or their last path segment: ``"played"``); others are rejected
  as ``unknown_verb``. :data:`VIDEO_VERBS` lists the xAPI video profile's verbs.

Examples
--------
>>> st = {"actor": {"mbox": "mailto:ann@example.org"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
...       "object": {"id": "http://example.org/quiz/1"}, "timestamp": "2024-01-01T10:00:00Z",
...       "result": {"success": True, "duration": "PT2M"}}
>>> row = statement_row(st)
>>> row["learner"], row["item"], row["score"], row["duration"]
('ann@example.org', 'http://example.org/quiz/1', 1.0, 120.0)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from poem.errors import ParameterError
from poem.importers.batch import make_rejects
from poem.importers.jsonlines import iter_json_records
from poem.importers.tabular import validate_frame

__all__ = ["iter_xapi_batches", "statement_row", "parse_iso_duration", "VIDEO_VERBS"]

VIDEO_VERBS = frozenset({
    "https://w3id.org/xapi/video/verbs/played", "https://w3id.org/xapi/video/verbs/paused",
    "https://w3id.org/xapi/video/verbs/seeked", "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/initialized", "http://adlnet.gov/expapi/verbs/terminated",
    "http://adlnet.gov/expapi/verbs/interacted",
})
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?"
                       r"(?:(\d+(?:\.\d+)?)S)?)?$")
_COLUMNS = {"learner": "actor (account.name/mbox/mbox_sha1sum/openid)", "item": "object.id",
            "timestamp": "timestamp", "score": "result.score",
            "duration": "result.duration"}


def parse_iso_duration(text) -> float:
    """Seconds in an ISO 8601 duration (days and smaller units); NaN when absent or unreadable.

    >>> parse_iso_duration("PT1H2M3.5S"), parse_iso_duration("P1D"), parse_iso_duration("soon")
    (3723.5, 86400.0, nan)
    """
    if not isinstance(text, str):
        return np.nan
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        return np.nan
    d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return d * 86400 + h * 3600 + mi * 60 + s


def _actor(actor, home_page: bool) -> str:
    if not isinstance(actor, dict):
        return ""
    account = actor.get("account")
    if isinstance(account, dict) and account.get("name") not in (None, ""):
        name = str(account["name"])
        return f"{account.get('homePage', '')}|{name}" if home_page else name
    mbox = actor.get("mbox")
    if isinstance(mbox, str) and mbox:
        return mbox[7:] if mbox.lower().startswith("mailto:") else mbox
    for key in ("mbox_sha1sum", "openid"):
        if actor.get(key) not in (None, ""):
            return str(actor[key])
    return ""


def _score(result) -> object:
    if not isinstance(result, dict):
        return None
    score = result.get("score")
    if isinstance(score, dict):
        if score.get("scaled") is not None:
            return score["scaled"]
        raw, lo, hi = score.get("raw"), score.get("min"), score.get("max")
        try:
            if raw is not None and hi is not None and float(hi) > float(lo or 0):
                return (float(raw) - float(lo or 0)) / (float(hi) - float(lo or 0))
        except (TypeError, ValueError):
            return raw
    if isinstance(result.get("success"), bool):
        return 1.0 if result["success"] else 0.0
    if result.get("completion") is True:
        return 1.0
    return None


def statement_row(statement: dict, *, account_home_page: bool = False) -> dict:
    """The canonical fields of one statement (values unvalidated: the batch checks do that)."""
    obj = statement.get("object")
    result = statement.get("result")
    return {
        "learner": _actor(statement.get("actor"), account_home_page),
        "item": obj.get("id") if isinstance(obj, dict) else None,
        "timestamp": statement.get("timestamp") or statement.get("stored"),
        "score": _score(result),
        "duration": parse_iso_duration(result.get("duration")) if isinstance(result, dict) else np.nan,
    }


def _verb_matcher(verbs):
    if verbs is None:
        return None
    if isinstance(verbs, str):
        raise ParameterError("verbs must be a collection of verb ids or names, not a single string")
    verbs = frozenset(verbs)
    return lambda vid: vid in verbs or vid.rstrip("/").rsplit("/", 1)[-1] in verbs


def iter_xapi_batches(path, *, chunksize=None, verbs=None, account_home_page=False, naive_timestamps=None):
    """Validated batches of xAPI statements; see the module docstring for the mapping."""
    keep_verb = _verb_matcher(verbs)
    source = str(path)
    for chunk in iter_json_records(path, chunksize):
        rows, fields = [], []
        skip_rows, skip_reasons, skip_details = [], [], []
        for st, line in zip(chunk.records, chunk.lines.tolist()):
            verb = st.get("verb")
            vid = verb.get("id") if isinstance(verb, dict) else None
            obj = st.get("object")
            otype = obj.get("objectType", "Activity") if isinstance(obj, dict) else None
            if not isinstance(vid, str) or not vid:
                skip_rows.append(line), skip_reasons.append("bad_record")
                skip_details.append("statement has no verb id")
            elif vid == VOIDED or (keep_verb is not None and not keep_verb(vid)):
                skip_rows.append(line), skip_reasons.append("unknown_verb")
                skip_details.append(f"verb {vid!r} not imported" + (" (voiding statement)" if vid == VOIDED
                                                                     else ""))
            elif otype in ("StatementRef", "SubStatement"):
                skip_rows.append(line), skip_reasons.append("bad_record")
                skip_details.append(f"object is a {otype}, not an activity")
            else:
                rows.append(line)
                fields.append(statement_row(st, account_home_page=account_home_page))
        skipped = make_rejects(source, skip_rows, np.asarray(skip_reasons, dtype=object), skip_details)
        frame = pd.DataFrame({
            _COLUMNS[k]: pd.Series([f[k] for f in fields], dtype=float if k == "duration" else object)
            for k in ("learner", "item", "timestamp", "score", "duration")})
        batch = validate_frame(frame, _COLUMNS, source=source, rows=np.asarray(rows, np.int64),
                               naive_timestamps=naive_timestamps)
        batch.rejects = pd.concat([r for r in (chunk.rejects, skipped, batch.rejects) if len(r)] or
                                  [batch.rejects], ignore_index=True)
        batch.n_read = chunk.n_read
        yield batch

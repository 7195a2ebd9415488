"""Keyed pseudonymisation of learner ids (HMAC-SHA256), and re-identification for authorised staff.

A learner id ``x`` becomes ``"p" + hex(HMAC-SHA256(key, x))[:20]``: the same id and key always give the
same pseudonym, in every run and every report (so a list of learners at risk can be followed from one
week to the next, and outcomes, later imports and models stay joinable), nobody without the key can
recompute or invert it, and 80 bits keep accidental collisions out of reach for any realistic cohort (a
collision would still be detected and raised, never silently merge two learners).

The privacy workflow
    1. The platform creates a key once and keeps it where the raw learner ids already live::

           poem reidentify --new-key /secure/poem.key

    2. Reports are run with that key, as a file (``poem report ... --pseudonym-key /secure/poem.key``) or
       through the environment (:data:`KEY_ENV` ``POEM_PSEUDONYM_KEY`` holds the key itself,
       :data:`KEY_FILE_ENV` ``POEM_PSEUDONYM_KEY_FILE`` the path of the key file). The key never enters a
       report, a notebook or a CSV; reports show pseudonyms only, stable across runs with the same key.
    3. Staff allowed to contact learners turn a list of pseudonyms back into ids with the key and the
       platform's list of learner ids (:func:`reidentify`, ``poem reidentify LIST --key FILE --learners
       ids.csv``). Without a key, each report draws a random one: its pseudonyms link to nobody.

Only the vocabulary of distinct ids is hashed, so the cost is per learner, not per event.

Examples
--------
>>> pseudonymise(["ann", "bob", "ann"], key="secret")
array(['paad4e6199b77de3305e5', 'p9c90819f883772660da0',
       'paad4e6199b77de3305e5'], dtype=object)
>>> import numpy as np
>>> vocab, remap = pseudonymise_vocabulary(np.array(["ann", "bob"], dtype=object), "secret")
>>> vocab.tolist(), remap.tolist()   # the new vocabulary is sorted again; remap maps old codes to new
(['p9c90819f883772660da0', 'paad4e6199b77de3305e5'], [1, 0])
>>> reidentify(["p9c90819f883772660da0", "pffff"], ["ann", "bob", "cid"], key="secret")
{'p9c90819f883772660da0': 'bob', 'pffff': None}
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import numpy as np

from poem.errors import ParameterError

__all__ = ["pseudonymise", "pseudonymise_vocabulary", "key_from_env", "load_key", "new_key_file", "reidentify",
           "KEY_ENV", "KEY_FILE_ENV", "DIGEST_CHARS"]

#: environment variable holding the key itself
KEY_ENV = "POEM_PSEUDONYM_KEY"
#: environment variable holding the path of a key file
KEY_FILE_ENV = "POEM_PSEUDONYM_KEY_FILE"
DIGEST_CHARS = 20


def _key_bytes(key) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)) or len(key) == 0:
        raise ParameterError("pseudonymisation key must be a non-empty str or bytes "
                             f"(got {type(key).__name__})")
    return bytes(key)


def key_from_env(env=None) -> str:
    """The key in ``POEM_PSEUDONYM_KEY`` (or in the file named by ``POEM_PSEUDONYM_KEY_FILE``); raises
    :class:`ParameterError` when neither is set."""
    key = load_key(env=env)
    if key is None:
        raise ParameterError(f"pseudonymisation needs a key: set the environment variable {KEY_ENV} "
                             f"(or {KEY_FILE_ENV} to a key file) or pass one explicitly")
    return key


def _read_key_file(path) -> str:
    path = Path(path)
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ParameterError(f"pseudonym key file {path} does not exist; create one with "
                             f"`poem reidentify --new-key {path}`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"cannot read pseudonym key file {path} ({exc})") from None
    if not key:
        raise ParameterError(f"pseudonym key file {path} is empty; create one with "
                             f"`poem reidentify --new-key FILE`")
    return key


def load_key(key=None, *, key_file=None, env=None) -> str | None:
    """The pseudonymisation key: ``key`` if given, else the content of ``key_file``, else ``$POEM_PSEUDONYM_KEY``,
    else the content of the file named by ``$POEM_PSEUDONYM_KEY_FILE``; None when there is none.

    Surrounding whitespace of a key file (a final newline) is not part of the key.

    Raises
    ------
    ParameterError
        If a key file is named but missing, unreadable or empty.

    Examples
    --------
    >>> load_key(env={}) is None, load_key(env={"POEM_PSEUDONYM_KEY": "k"})
    (True, 'k')
    """
    env = os.environ if env is None else env
    if key:
        return key.decode("utf-8") if isinstance(key, (bytes, bytearray)) else str(key)
    if key_file:
        return _read_key_file(key_file)
    if env.get(KEY_ENV):
        return env[KEY_ENV]
    if env.get(KEY_FILE_ENV):
        return _read_key_file(env[KEY_FILE_ENV])
    return None


def new_key_file(path, *, overwrite: bool = False) -> Path:
    """Write a new random key (256 bits, hex) to ``path``, readable by its owner only.

    Raises
    ------
    ParameterError
        If ``path`` exists and ``overwrite`` is false: replacing a key breaks the link with every earlier
        pseudonym.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise ParameterError(f"{path} already exists; a new key would change every pseudonym, so it is kept "
                             "(delete the file first if that is really wanted)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return path


def pseudonymise(ids, key) -> np.ndarray:
    """Pseudonyms of ``ids`` (any iterable of str) as an object array; equal ids give equal pseudonyms."""
    k = _key_bytes(key)
    ids = np.asarray(ids, dtype=object)
    uniq, inverse = np.unique(ids.astype(str), return_inverse=True)
    hashed = np.array(["p" + hmac.new(k, u.encode("utf-8"), hashlib.sha256).hexdigest()[:DIGEST_CHARS]
                       for u in uniq], dtype=object)
    if len(set(hashed)) != len(hashed):  # pragma: no cover - 80-bit collision
        raise ParameterError("pseudonym collision between two learner ids; use a different key")
    return hashed[inverse.reshape(-1)] if len(ids) else np.array([], dtype=object)


def pseudonymise_vocabulary(vocab: np.ndarray, key) -> tuple[np.ndarray, np.ndarray]:
    """Hash a sorted vocabulary; return the new sorted vocabulary and ``remap`` (old code -> new code)."""
    hashed = pseudonymise(vocab, key)
    new_vocab, remap = np.unique(hashed.astype(str), return_inverse=True)
    if len(new_vocab) != len(vocab):  # pragma: no cover - 80-bit collision
        raise ParameterError("pseudonym collision between two learner ids; use a different key")
    return new_vocab.astype(object), remap.reshape(-1).astype(np.int64)


def reidentify(pseudonyms, ids, key) -> dict:
    """Map each pseudonym back to the learner id it was made from, among the candidate ``ids``.

    Re-identification recomputes the pseudonym of every candidate id with ``key`` (HMAC cannot be
    inverted): a pseudonym whose learner is not among ``ids``, or that was made with another key, maps to
    None.

    Parameters
    ----------
    pseudonyms : iterable of str
    ids : iterable of str
        The platform's learner ids (raw), e.g. the learner column of the exported traces.
    key : str or bytes
        The key the pseudonyms were made with.

    Returns
    -------
    dict
        pseudonym -> learner id or None, in the order of ``pseudonyms``.
    """
    candidates = np.unique(np.asarray(list(ids), dtype=object).astype(str))
    back = dict(zip(pseudonymise(candidates, key), candidates)) if len(candidates) else {}
    return {str(p): (str(back[p]) if p in back else None) for p in pseudonyms}

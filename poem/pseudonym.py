"""Keyed pseudonymisation of learner ids (HMAC-SHA256).

A learner id ``x`` becomes ``"p" + hex(HMAC-SHA256(key, x))[:20]``: the same id and key always give the
same pseudonym (so outcomes, later imports and models stay joinable), nobody without the key can recompute
or invert it, and 80 bits keep accidental collisions out of reach for any realistic cohort (a collision
would still be detected and raised, never silently merge two learners).

The key comes from the caller or from the environment variable :data:`KEY_ENV` (``POEM_PSEUDONYM_KEY``);
it is never stored in outputs. Only the vocabulary of distinct ids is hashed, so the cost is per learner,
not per event.

Examples
--------
>>> pseudonymise(["ann", "bob", "ann"], key="secret")
array(['paad4e6199b77de3305e5', 'p9c90819f883772660da0',
       'paad4e6199b77de3305e5'], dtype=object)
>>> import numpy as np
>>> vocab, remap = pseudonymise_vocabulary(np.array(["ann", "bob"], dtype=object), "secret")
>>> vocab.tolist(), remap.tolist()   # the new vocabulary is sorted again; remap maps old codes to new
(['p9c90819f883772660da0', 'paad4e6199b77de3305e5'], [1, 0])
"""

from __future__ import annotations

import hashlib
import hmac
import os

import numpy as np

from poem.errors import ParameterError

__all__ = ["pseudonymise", "pseudonymise_vocabulary", "key_from_env", "KEY_ENV", "DIGEST_CHARS"]

KEY_ENV = "POEM_PSEUDONYM_KEY"
DIGEST_CHARS = 20


def _key_bytes(key) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, (bytes, bytearray)) or len(key) == 0:
        raise ParameterError("pseudonymisation key must be a non-empty str or bytes "
                             f"(got {type(key).__name__})")
    return bytes(key)


def key_from_env(env=None) -> str:
    """The key in ``POEM_PSEUDONYM_KEY``; raises :class:`ParameterError` when it is unset or empty."""
    value = (os.environ if env is None else env).get(KEY_ENV, "")
    if not value:
        raise ParameterError(f"pseudonymisation needs a key: set the environment variable {KEY_ENV} "
                             "or pass one explicitly")
    return value


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

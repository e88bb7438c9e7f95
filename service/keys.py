"""API keys: random, shown once, stored only as a SHA-256 hash plus a short display prefix."""

from __future__ import annotations

import hashlib
import secrets

KEY_MARK = "mgk_"
PREFIX_LEN = 12  # "mgk_" and 8 random characters: enough to tell keys apart in a listing


def new_key() -> str:
    return KEY_MARK + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    """A key carries 256 random bits, so a plain SHA-256 (no salt, no stretching) is enough
    to make the stored value useless for logging in."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def display_prefix(key: str) -> str:
    return key[:PREFIX_LEN]

"""API keys at rest: encrypted with Fernet, under keys only the server holds.

The keys come from PLAYGROUND_FERNET_KEYS (comma-separated, newest first; read in
playground/settings.py). A `MultiFernet` encrypts with the first and decrypts with
any, so a new key goes in front and `manage.py rotate_provider_keys` re-encrypts
every stored key with it; the old key can then be removed.

A key is shown only masked, by its last four characters ("••••abcd"), and only when
it is long enough that four characters give nothing useful away.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

MASK = "••••"
# Shorter keys are shown as the mask alone: their last four would be too much of them.
SHOWN_FROM_LENGTH = 12


class Undecryptable(Exception):
    """The stored key was encrypted under a key this server no longer has."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.PLAYGROUND_FERNET_KEYS])


def encrypt(api_key: str) -> str:
    return _fernet().encrypt(api_key.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise Undecryptable from None


def rotate(token: str) -> str:
    """The same key, encrypted with the newest server key."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError):
        raise Undecryptable from None


def last4(api_key: str) -> str:
    """What may be kept in clear for the masked display: '' for a short key."""
    return api_key[-4:] if len(api_key) >= SHOWN_FROM_LENGTH else ""


def masked(last_four: str) -> str:
    """'abcd' -> '••••abcd'."""
    return MASK + last_four

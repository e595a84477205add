"""Who a stored thread, job or usage event belongs to, and the filter that matches any owner."""

from __future__ import annotations


class Anyone:
    """The owner filter that matches every thread (for the operator's ``zen threads``, never for tools)."""

    def __repr__(self) -> str:
        return "ANYONE"


#: Pass as ``owner`` to see threads whatever key started them.
ANYONE = Anyone()
#: A thread owner: an API key name, ``None`` (no key: stdio or an open HTTP server), or :data:`ANYONE`.
Owner = str | None | Anyone


def owner_matches(owner: Owner, actual: str | None) -> bool:
    return isinstance(owner, Anyone) or owner == actual

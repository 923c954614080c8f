"""Cut the network in tests: every attempt to open a connection raises.

Used by the dataset tests, which must prove that loading works offline and
that an offline download fails with a helpful message.
"""

from __future__ import annotations

import socket

import pytest


class NetworkBlockedError(OSError):
    """Raised by any socket connection while the network is blocked."""


def block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make socket connections and name lookups raise :class:`NetworkBlockedError`."""

    def refuse(*args, **kwargs):
        raise NetworkBlockedError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)

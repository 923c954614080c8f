"""medlab._files.write_new: a new file, whole, never replacing another."""

from __future__ import annotations

import os
import stat

from medlab._files import write_new


def test_write_new_takes_the_first_free_name_and_keeps_the_others(tmp_path):
    first = write_new(tmp_path, "00_welcome-20261130T060000Z", ".ipynb", b"one")
    second = write_new(tmp_path, "00_welcome-20261130T060000Z", ".ipynb", b"two")
    (tmp_path / "00_welcome-20261130T060000Z-2.ipynb").write_bytes(b"someone else's")
    third = write_new(tmp_path, "00_welcome-20261130T060000Z", ".ipynb", b"three")
    assert [p.name for p in (first, second, third)] == [
        "00_welcome-20261130T060000Z.ipynb",
        "00_welcome-20261130T060000Z-1.ipynb",
        "00_welcome-20261130T060000Z-3.ipynb",
    ]
    assert [p.read_bytes() for p in (first, second, third)] == [b"one", b"two", b"three"]
    assert (tmp_path / "00_welcome-20261130T060000Z-2.ipynb").read_bytes() == b"someone else's"
    assert stat.S_IMODE(os.stat(third).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temp


def test_write_new_without_hard_links_still_never_replaces(tmp_path, monkeypatch):
    (tmp_path / "b.json").write_bytes(b"old")

    def no_links(src, dst):
        raise OSError("hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    made = write_new(tmp_path, "b", ".json", b"new")
    assert made.name == "b-1.json" and made.read_bytes() == b"new"
    assert (tmp_path / "b.json").read_bytes() == b"old"
    assert len(list(tmp_path.iterdir())) == 2

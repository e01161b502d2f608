"""Issue 18.5 for the checker: a digest shows the
scanned letter as a link, never for a secret letter; round_stats counts endings as the evaluation does."""

from __future__ import annotations

import email
import shutil
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from xlflow import book as bk
from xlflow import checks
from xlflow.cli import main
from test_checks import make_register


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_the_digest_shows_the_scanned_letter_as_a_link_but_never_a_secret_one_s(tmp_path):
    path = make_register(tmp_path / "Coordination_Register.xlsx")
    _cli("register", path, "--subject", "ขอเชิญประชุม ILO", "--at", "2026-11-20T09:00", "--by", "สารบรรณ")
    _cli("register", path, "--subject", "เรื่องลับ", "--secrecy", "ลับ", "--at", "2026-11-20T09:01", "--by", "สารบรรณ")
    assert _cli("link", path, "1/2569", "--scan", r"\\server\scans\2569\1.pdf", "--at", "2026-11-20T09:02").exit_code == 0
    assert _cli("link", path, "2/2569", "--scan", r"\\server\scans\2569\2-secret.pdf", "--at", "2026-11-20T09:03").exit_code == 0
    r = _cli("check", path, "--now", "2026-11-25T11:00", "--outbox", tmp_path / "out")
    assert r.exit_code in (0, 65), r.output
    texts, pages = [], []
    for p in (tmp_path / "out").glob("*.eml"):
        m = email.message_from_bytes(p.read_bytes())
        for part in m.walk():
            if part.get_content_type() == "text/plain":
                texts.append(part.get_payload(decode=True).decode("utf-8"))
            elif part.get_content_type() == "text/html":
                pages.append(part.get_payload(decode=True).decode("utf-8"))
    assert any("หนังสือที่สแกน / scanned letter: file://server/scans/2569/1.pdf" in t for t in texts)
    assert any('<a href="file://server/scans/2569/1.pdf">หนังสือที่สแกน / scanned letter</a>' in h for h in pages)
    assert not any("2-secret" in x for x in texts + pages)


def test_round_stats_count_endings_as_the_evaluation_does(tmp_path):
    path = make_register(tmp_path / "Coordination_Register.xlsx")
    for k in range(3):
        _cli("register", path, "--subject", f"เรื่อง {k}", "--at", f"2026-11-20T09:0{k}", "--by", "สารบรรณ")
    _cli("cancel", path, "1/2569", "--reason", "ซ้ำ", "--at", "2026-11-20T10:00")
    _cli("close", path, "2/2569", "--reason", "เพื่อทราบ", "--by", "อำนวย วิเทศ", "--at", "2026-11-20T10:01")
    s = checks.round_stats(bk.load(path), 2570, 6)
    assert (s.received, s.completed) == (2, 0)  # the cancelled registration is no letter; the closed one is not completed
    assert s.steps == 2  # 1.1 of 2/2569 and of 3/2569 (1/2569 is a cancelled letter's; 1.2 of 2/2569 is where it was closed)

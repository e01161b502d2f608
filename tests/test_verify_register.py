"""verify also catches what the hash chain cannot: the last Log rows deleted, a Register edited."""

import openpyxl

from xlflow.schema import SHEETS


def _journey(book, xlflow):
    for args in (
        ("register", book, "--subject", "ขอเชิญประชุม", "--at", "2026-11-25T09:00", "--by", "c"),
        ("assign", book, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:01", "--by", "c"),
        ("advance", book, "1/2569", "--at", "2026-11-25T09:02", "--by", "c"),
    ):
        assert xlflow(*args).exit_code == 0


def test_deleting_the_last_log_row_is_named_through_the_register(register_book, xlflow):
    _journey(register_book, xlflow)
    wb = openpyxl.load_workbook(register_book)
    ws = wb[SHEETS["log"]]
    ws.delete_rows(ws.max_row)
    wb.save(register_book)
    r = xlflow("verify", register_book)
    assert r.exit_code == 1
    assert r.output == (
        'Error: ทะเบียนหนังสือรับ!O2 (item 1/2569): the Register shows ขั้นตอนปัจจุบัน "1.3" but the Log says "1.2" — '
        "the last Log row(s) of this item were deleted, or the Register was edited by hand; restore the workbook "
        "from .xlflow-backups, or run xlflow refresh if only the Register was edited\n"
    )


def test_a_stamp_edited_in_the_register_is_named(register_book, xlflow):
    _journey(register_book, xlflow)
    wb = openpyxl.load_workbook(register_book)
    wb[SHEETS["register"]]["N2"] = "นายสมมติ"  # the officer column, never assigned in the Log
    wb.save(register_book)
    r = xlflow("verify", register_book)
    assert r.exit_code == 1
    assert r.output.startswith('Error: ทะเบียนหนังสือรับ!N2 (item 1/2569): the Register shows เจ้าหน้าที่ผู้รับผิดชอบ "นายสมมติ" but the Log says ""')


def test_an_untouched_register_verifies(register_book, xlflow):
    _journey(register_book, xlflow)
    r = xlflow("verify", register_book)
    assert (r.exit_code, r.output.splitlines()[0]) == (0, "the log is intact")

"""The ribbon's buttons (xlflow.macros) against a real xlwings Book.

Windows Excel cannot run here, and xlwings on Linux cannot open a workbook, so each test
builds the register's values with the core (``tests/xlwings_payload.py``), hands them to
xlwings' remote engine as the JSON payload Excel's client would send -- a real
``xw.Book(json=payload)`` -- and patches ``xw.Book.caller`` to return it (in Excel,
``RunPython`` makes the caller the workbook the clerk is looking at). What a macro writes is
then read from ``book.json()["actions"]``: which sheet and range get which values, and the
message box. The remote engine needs ``XLWINGS_LICENSE_KEY=noncommercial``: a test fixture
only, set by ``monkeypatch`` -- the product's own path (VBA RunPython) needs no key.
"""

from __future__ import annotations

import re

import importlib.util
from datetime import datetime
from pathlib import Path

import pytest
import xlwings as xw

from xlflow import macros, schema, service, template
from xlflow.errors import IllegalAction, XlflowError
from xlflow.model import LogEntry
from xlflow.schema import SHEETS
from xlwings_payload import (
    CLICK, OFFICER, PEOPLE, TODAY, UNIT, WAITS_FOR, Register, payload, ribbon_register, rows_from_xlsx,
    excel_opener, use_remote_engine,
)

REG, LOG = 0, 1  # sheet positions of the Register and the Log in a register made by xlflow init


@pytest.fixture
def excel(monkeypatch):
    """``excel(payload)`` opens a register "in Excel" (xlwings' remote engine) as the macros' caller."""
    return excel_opener(monkeypatch)


@pytest.fixture(scope="module")
def ready():
    """A 10-letter register with a row ready for every button, and those rows."""
    return ribbon_register(10)


# -- reading what a macro sent back ---------------------------------------------------------
def text(v):
    """A written value as the cell will hold it: Excel drops the apostrophe that keeps text,
    and the remote engine sends an emptied cell as ``""``."""
    if v == "":
        return None
    return v[1:] if isinstance(v, str) and v.startswith("'") else v


def written(book: xw.Book, sheet: int) -> dict[tuple[int, int], object]:
    """(1-based row, 0-based column) → value, from the ``setValues`` actions on ``sheet``."""
    out = {}
    for a in book.json()["actions"]:
        if a["func"] == "setValues" and a["sheet_position"] == sheet:
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    out[(a["start_row"] + 1 + i, a["start_column"] + j)] = v
    return out


def register_row(book: xw.Book, reg: Register, r: int) -> dict[str, object]:
    """The Register fields written into row ``r`` (text without its apostrophe)."""
    cells = written(book, REG)
    return {f: text(cells[(r, c)]) for f, c in reg.header().items() if (r, c) in cells}


def log_rows(book: xw.Book, reg: Register) -> list[dict[str, object]]:
    cells = written(book, LOG)
    lhm = schema.header_map(SHEETS["log"], reg.log[0], schema.LOG_COLUMNS)
    rows = sorted({r for r, _ in cells})
    return [{f: text(cells.get((r, c))) for f, c in lhm.items()} | {"row": r} for r in rows]


def alerts(book: xw.Book) -> list[str]:
    return [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]


def at(t: str) -> str:
    """A datetime as the remote engine sends it to Excel."""
    return datetime.fromisoformat(t).isoformat(sep=" ")


def expected_hash(reg: Register, row: dict) -> str:
    """The hash the row must carry: chained to the last Log row, recomputed by the model."""
    import json

    prev = reg.log[-1][8]
    e = LogEntry(row["seq"], row["item"], row["substep"], row["action"], datetime.fromisoformat(row["at"]), row["by"],
                 row["note"] or "", json.loads(row["data"]) if row["data"] else {})
    return e.chained(prev).hash


def click(excel, reg: Register, button: str, row: int | str, **kw) -> xw.Book:
    book = excel(reg.payload(selection=row if isinstance(row, str) else f"C{row}", **kw))
    getattr(macros, button)(at=CLICK)
    return book


def core_refusal(reg: Register, item: str, action: str, **kw) -> str:
    """The words the command line shows for the same refusal (the core's XlflowError)."""
    with pytest.raises(XlflowError) as e:
        service.plan_action(reg.book(), service.Change(), item, action, at=CLICK, by="x", **kw)
    return str(e.value)


# -- register letter ------------------------------------------------------------------------
def test_register_letter_numbers_the_typed_row_and_stamps_receipt_and_workflow(excel, ready):
    reg, rows = ready
    r = rows["register_letter"]
    book = click(excel, reg, "register_letter", r)
    got = register_row(book, reg, r)
    assert got["item"] == "11/2569"
    assert got["received_at"] == at("2026-11-25 10:00")
    assert got["subject"] == "ขอเชิญประชุมคณะทำงานอาเซียนด้านแรงงาน"  # what the clerk typed stays
    assert (got["substep"], got["started_at"], got["due_at"]) == ("1.2", at("2026-11-25 10:00"), at("2026-11-25 10:15"))
    assert got["last_by"] == "นายสมชาย ใจดี"
    assert got["status"].startswith("=IF(") and f"$S{r}" in got["status"]
    [log] = log_rows(book, reg)
    assert log["row"] == len(reg.log) + 1
    assert (log["seq"], log["item"], log["substep"], log["action"], log["by"]) == (len(reg.log), "11/2569", "1.1", "register", "นายสมชาย ใจดี")
    assert log["hash"] == expected_hash(reg, log)
    assert alerts(book) == []
    assert [a["func"] for a in book.json()["actions"]] == ["setValues", "setValues"]  # one write per sheet


def test_register_letter_keeps_numbers_and_codes_as_text_and_status_as_a_formula(excel, ready):
    reg, rows = ready
    r = rows["register_letter"]
    book = click(excel, reg, "register_letter", r)
    cells = written(book, REG)
    hm = reg.header()
    assert cells[(r, hm["item"])] == "'11/2569"  # Excel would make 11/2569 a date without it
    assert cells[(r, hm["substep"])] == "'1.2"  # and 1.2 a number
    assert cells[(r, hm["status"])].startswith("=IF(")


def test_register_letter_below_the_table_grows_the_table(excel, ready):
    reg, rows = ready
    r = rows["register_letter"]
    book = click(excel, reg, "register_letter", r, table_last_row=r - 1)
    [resize] = [a for a in book.json()["actions"] if a["func"] == "resizeTable"]
    assert resize["args"] == [0, f"$A$1:${schema.col_letter(len(schema.REGISTER_COLUMNS) - 1)}${r}"]


def test_register_letter_on_a_registered_row_is_refused_and_writes_nothing(excel, ready):
    reg, rows = ready
    book = click(excel, reg, "register_letter", rows["advance"])
    assert alerts(book) == [f"row {rows['advance']}: already registered as 1/2569 — type a new letter into the empty row below the table"]
    assert written(book, REG) == {} and written(book, LOG) == {}


def test_register_letter_on_an_empty_row_says_where_to_type(excel, ready):
    reg, rows = ready
    book = click(excel, reg, "register_letter", rows["register_letter"] + 3)
    [msg] = alerts(book)
    assert msg.startswith("the selected row is empty — type the letter (เรื่อง at least) into the empty row below the table")


def test_register_letter_with_a_bad_date_names_the_cell(excel):
    reg, rows = ribbon_register(6)
    r = rows["register_letter"]
    reg.set(r, "letter_date", "31/02/2569")
    book = click(excel, reg, "register_letter", r)
    [msg] = alerts(book)
    assert msg.startswith(f'row {r}: {SHEETS["register"]}!D{r}: "31/02/2569" is not a date')
    assert written(book, LOG) == {}


def test_register_letter_without_a_subject_says_to_type_it_into_the_row(excel):
    reg, rows = ribbon_register(6)
    r = rows["register_letter"]
    reg.set(r, "subject", None)
    reg.set(r, "sender", "ILO")  # typed, but no เรื่อง
    book = click(excel, reg, "register_letter", r)
    assert alerts(book) == [f"row {r}: a letter needs its subject (เรื่อง) — type เรื่อง into the row, then click again"]
    assert written(book, LOG) == {}


#: What a clerk in Excel must never be told to do: a command-line option or command.
CLI_WORDS = re.compile(r"(^|\s)--?[a-z]|\bxlflow (init|list|show|refresh|verify|register|advance|assign|forms|check|evaluate)\b")


@pytest.mark.parametrize("message", [
    f'{SHEETS["register"]}!1: the column(s) "เรื่อง" (Subject) are missing from the header row — restore them (xlflow init makes a fresh sheet to copy them from)',
    f'{SHEETS["register"]}: the sheet is empty — its header row is missing (xlflow init makes a fresh register)',
    f'the sheet "{SHEETS["log"]}" is missing — rename the sheet back to "{SHEETS["log"]}", or copy it from a fresh register made by xlflow init',
    f'{SHEETS["register"]}!O4 (item 3/2569): the Register shows … — restore the workbook from .xlflow-backups, or run xlflow refresh if only the Register was edited',
])
def test_the_ribbon_words_the_library_s_command_line_remedies_for_a_clerk(message):
    assert CLI_WORDS.search(message)  # the library's words (the command line shows them as they are)
    assert not CLI_WORDS.search(macros.alert_text([message]))


def test_no_refusal_a_click_shows_names_a_command_line_option_or_command(excel, ready):
    reg, rows = ready
    shown = []
    for button in ("register_letter", "advance", "assign_unit", "assign_officer", "approve", "send_back", "pause", "resume", "undo"):
        for row in (rows["register_letter"] + 3, rows["advance"], 1):
            book = click(excel, reg, button, row)
            shown += alerts(book)
    assert shown  # the refusals were made
    assert [m for m in shown if CLI_WORDS.search(m)] == []


# -- actions on the selected row ------------------------------------------------------------
def test_advance_logs_the_action_and_moves_the_row_to_the_next_substep(excel, ready):
    reg, rows = ready
    r = rows["advance"]
    book = click(excel, reg, "advance", r)
    got = register_row(book, reg, r)
    assert (got["substep"], got["started_at"], got["due_at"]) == ("1.3", at("2026-11-25 10:00"), at("2026-11-25 10:05"))
    assert got["unit"] == UNIT and got["last_by"] == "นายสมชาย ใจดี"
    [log] = log_rows(book, reg)
    assert (log["item"], log["substep"], log["action"], log["at"]) == ("1/2569", "1.2", "advance", at("2026-11-25 10:00"))
    assert log["hash"] == expected_hash(reg, log)


def test_assign_unit_takes_the_unit_typed_into_the_row(excel, ready):
    reg, rows = ready
    r = rows["assign_unit"]
    book = click(excel, reg, "assign_unit", r)
    [log] = log_rows(book, reg)
    assert (log["item"], log["action"], log["data"]) == ("2/2569", "assign", '{"unit":"วท."}')
    assert register_row(book, reg, r)["unit"] == UNIT
    assert register_row(book, reg, r)["substep"] == "1.2"


def test_assign_unit_with_an_empty_cell_says_where_to_type_it(excel):
    reg, rows = ribbon_register(6)
    r = rows["assign_unit"]
    reg.set(r, "unit", None)
    book = click(excel, reg, "assign_unit", r)
    assert alerts(book) == [
        f"row {r}: {core_refusal(reg, '2/2569', 'assign', unit='')}"
        ' — type the unit into the column "หน่วยงานที่รับผิดชอบ" of this row, then click Assign unit again'
    ]


def test_assign_officer_takes_the_officer_chosen_in_the_row(excel, ready):
    reg, rows = ready
    r = rows["assign_officer"]
    book = click(excel, reg, "assign_officer", r)
    [log] = log_rows(book, reg)
    assert (log["item"], log["substep"], log["action"], log["data"]) == ("3/2569", "1.5", "assign", '{"officer":"%s"}' % OFFICER)
    assert register_row(book, reg, r)["officer"] == OFFICER


def test_assign_officer_not_in_people_is_refused_with_the_command_line_words(excel):
    reg, rows = ribbon_register(6)
    r = rows["assign_officer"]
    reg.set(r, "officer", "นายไม่มี ในรายชื่อ")
    book = click(excel, reg, "assign_officer", r)
    assert alerts(book) == [f"row {r}: {core_refusal(reg, '3/2569', 'assign', officer='นายไม่มี ในรายชื่อ')}"]
    assert written(book, LOG) == {}


def test_approve_moves_the_decision_on_to_5_2(excel, ready):
    reg, rows = ready
    r = rows["approve"]
    book = click(excel, reg, "approve", r)
    got = register_row(book, reg, r)
    assert (got["substep"], got["due_at"], got["round"]) == ("5.2", at("2026-11-25 11:00"), 0)
    assert log_rows(book, reg)[0]["action"] == "approve"


def test_send_back_returns_to_3_1_and_counts_the_round(excel, ready):
    reg, rows = ready
    r = rows["send_back"]
    reg.set(r, "remarks", "ขอข้อมูลประกอบเพิ่มเติม")
    book = click(excel, reg, "send_back", r)
    got = register_row(book, reg, r)
    assert (got["substep"], got["due_at"], got["round"]) == ("3.1", at("2026-11-25 11:00"), 1)
    [log] = log_rows(book, reg)
    assert (log["substep"], log["action"], log["note"]) == ("5.1", "reject", "ขอข้อมูลประกอบเพิ่มเติม")


def test_send_back_without_a_reason_is_refused_and_says_where_to_type_it(excel):
    reg, rows = ribbon_register(6)
    r = rows["send_back"]
    book = click(excel, reg, "send_back", r)
    assert alerts(book) == [f"row {r}: {core_refusal(reg, '4/2569', 'reject', note='')}"
                            ' — type what must be done again into the column "หมายเหตุ" of this row, then click Send back again']
    assert log_rows(book, reg) == []


def test_pause_takes_the_reason_from_the_remarks_and_stops_the_clock(excel, ready):
    reg, rows = ready
    r = rows["pause"]
    book = click(excel, reg, "pause", r)
    got = register_row(book, reg, r)
    assert got["paused_since"] == at("2026-11-25 10:00")
    assert got["due_at"] is None and got["due_soon_at"] is None
    [log] = log_rows(book, reg)
    assert (log["action"], log["note"]) == ("pause", WAITS_FOR)


def test_pause_without_a_reason_is_refused_and_says_where_to_type_it(excel):
    reg, rows = ribbon_register(6)
    r = rows["pause"]
    reg.set(r, "remarks", None)
    book = click(excel, reg, "pause", r)
    assert alerts(book) == [
        f"row {r}: {core_refusal(reg, '5/2569', 'pause', note='')}"
        ' — type what the work waits for into the column "หมายเหตุ" of this row, then click Pause again'
    ]
    assert written(book, REG) == {} and written(book, LOG) == {}


def test_resume_starts_the_clock_again(excel, ready):
    reg, rows = ready
    r = rows["resume"]
    book = click(excel, reg, "resume", r)
    got = register_row(book, reg, r)
    assert got["paused_since"] is None and got["substep"] == "2.2"
    assert got["due_at"] > at("2026-11-25 10:00")
    assert log_rows(book, reg)[0]["action"] == "resume"


def test_undo_withdraws_the_last_action_with_a_logged_correction(excel, ready):
    reg, rows = ready
    r = rows["undo"]
    book = click(excel, reg, "undo", r)
    [log] = log_rows(book, reg)
    assert (log["item"], log["action"], log["note"]) == ("1/2569", "correct", "undo assign")
    assert register_row(book, reg, r)["unit"] is None  # the assignment is withdrawn


def test_several_selected_rows_act_in_one_write_per_sheet(excel, ready):
    reg, rows = ready
    first = rows["assign_unit"]
    book = excel(reg.payload(selection=f"A{first}:X{first + 1}"))  # rows of 2/2569 and 3/2569 (1.5, officer chosen)
    reg.set(first + 1, "unit", UNIT)
    macros.assign_unit(at=CLICK)
    assert len(log_rows(book, reg)) == 2
    assert [a["func"] for a in book.json()["actions"]] == ["setValues", "setValues"]


def test_refused_rows_are_listed_in_one_alert_and_the_other_rows_still_act(excel, ready):
    reg, rows = ready
    # rows 2-4: 1/2569 can advance; 2/2569 has no unit assigned; 3/2569 has no officer yet
    book = click(excel, reg, "advance", "B2:B4")
    [msg] = alerts(book)
    assert msg == "\n".join([
        f"row 3: {core_refusal(reg, '2/2569', 'advance')}",
        f"row 4: {core_refusal(reg, '3/2569', 'advance')}",
    ])
    assert [r["item"] for r in log_rows(book, reg)] == ["1/2569"]
    assert register_row(book, reg, 2)["substep"] == "1.3"
    assert register_row(book, reg, 3) == {} and register_row(book, reg, 4) == {}


def test_a_row_typed_by_hand_is_refused_with_its_reading_problem(excel):
    reg, rows = ribbon_register(6)
    r = rows["register_letter"]
    book = click(excel, reg, "advance", r)
    [msg] = alerts(book)
    assert msg == f'row {r}: {SHEETS["register"]}!A{r}: (empty) has no registration number — register letters with xlflow so each gets its number'


def test_a_selection_outside_the_register_is_refused(excel, ready):
    reg, _ = ready
    book = excel(reg.payload(selection="B3", active=SHEETS["log"]))
    macros.advance(at=CLICK)
    assert alerts(book) == [f'the selection is in the sheet "{SHEETS["log"]}" — select the row of the letter in the sheet "{SHEETS["register"]}" and click again']
    assert written(book, LOG) == {}


def test_a_missing_sheet_is_named_in_the_alert(excel, ready):
    reg, _ = ready
    rows = {k: v for k, v in reg.rows.items() if k != SHEETS["calendar"]}
    book = excel(payload(rows, selection="B2"))
    macros.advance(at=CLICK)
    assert alerts(book) == [f'the sheet "{SHEETS["calendar"]}" is missing — rename the sheet back to "{SHEETS["calendar"]}", or copy it from a new, empty register']


# -- who is stamped -------------------------------------------------------------------------
def test_the_stamp_is_the_people_name_of_the_windows_login_in_any_case(excel, ready, monkeypatch):
    reg, rows = ready
    monkeypatch.setenv("USERNAME", "SUPAPORN.K")
    book = click(excel, reg, "advance", rows["advance"])
    assert log_rows(book, reg)[0]["by"] == PEOPLE[1][0]


def test_a_login_the_people_sheet_does_not_know_is_stamped_as_itself(excel, ready, monkeypatch):
    reg, rows = ready
    monkeypatch.setenv("USERNAME", "temp.clerk")
    book = click(excel, reg, "advance", rows["advance"])
    assert log_rows(book, reg)[0]["by"] == "temp.clerk"
    assert register_row(book, reg, rows["advance"])["last_by"] == "temp.clerk"


def test_person_ignores_the_windows_domain():
    people = Register().book().people
    assert macros.person(people, r"MOL\somchai") == PEOPLE[0][0]


# -- refresh and forms ----------------------------------------------------------------------
def test_refresh_rewrites_every_item_in_one_block(excel):
    reg, rows = ribbon_register(40)
    book = click(excel, reg, "refresh", 2)
    [write] = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    hm = reg.header()
    assert (write["start_row"], write["row_count"]) == (1, 40)  # rows 2-41: every letter
    assert (write["start_column"], write["column_count"]) == (hm["unit"], hm["log_rows"] - hm["unit"] + 1)
    assert register_row(book, reg, rows["resume"])["paused_since"] is not None
    assert register_row(book, reg, rows["advance"])["due_at"] == at("2026-11-24 08:45")  # 1.2 since 08:30, 15 minutes
    # the new letter typed below is not registered yet: Refresh says so, in the reader's words
    r = rows["register_letter"]
    assert alerts(book) == [f"{SHEETS['register']}!A{r}: (empty) has no registration number — register letters with xlflow so each gets its number"]


def test_refresh_lists_the_rows_it_cannot_read(excel):
    reg, rows = ribbon_register(6)
    reg.set(rows["register_letter"], "subject", None)  # no typed row below the table this time
    reg.set(rows["register_letter"], "letter_no", None)
    reg.set(3, "received_at", "ไม่ทราบ")
    book = click(excel, reg, "refresh", 2)
    [msg] = alerts(book)
    assert msg.startswith(f'{SHEETS["register"]}!B3: "ไม่ทราบ" is not a date and time')


def test_fill_forms_writes_both_appendix_forms_into_the_register(excel, ready):
    reg, _ = ready
    book = excel(reg.payload(selection="A2"))
    macros.fill_forms(at=CLICK)
    assert alerts(book) == []
    names = list(reg.rows)
    for code in ("form_design", "form_steps"):
        pos = names.index(SHEETS[code])
        acts = [a for a in book.json()["actions"] if a["sheet_position"] == pos]
        assert acts[0]["func"] == "sheetClear"
        [values] = [a for a in acts if a["func"] == "setValues"]
        assert text(values["values"][0][0]) == SHEETS[code]
        assert any(a["func"] == "rangeMerge" for a in acts)
        assert any(a["func"] == "setColumnWidth" for a in acts)
    design = written(book, names.index(SHEETS["form_design"]))
    assert any(text(v) == "สปร. ลงทะเบียนรับหนังสือ" or (isinstance(v, str) and "ลงทะเบียนรับหนังสือ" in v) for v in design.values())


def test_fill_forms_without_xlflow_forms_says_so_and_changes_nothing(excel, ready, monkeypatch):
    import sys

    reg, _ = ready
    monkeypatch.setitem(sys.modules, "xlflow.forms", None)  # as in an installation from before forms.py
    book = excel(reg.payload(selection="A2"))
    macros.fill_forms(at=CLICK)
    assert [a["func"] for a in book.json()["actions"]] == ["alert"]
    assert alerts(book)[0].startswith("Fill forms needs xlflow.forms (fill_form_sheets)")


# -- the same core as the command line ------------------------------------------------------
def test_advance_writes_what_the_command_line_writes(excel, tmp_path, monkeypatch):
    path = template.init(tmp_path / "Coordination_Register.xlsx", today=TODAY)
    item = service.register_letter(path, at=datetime(2026, 11, 25, 9, 0), by="somchai", subject="หนังสือ ก")
    service.perform(path, item, "assign", at=datetime(2026, 11, 25, 9, 5), by="somchai", unit=UNIT)
    rows = rows_from_xlsx(path)
    reg = Register(rows)
    book = excel(payload(rows, selection="A2"))
    macros.advance(at=CLICK)  # the People sheet of a new register names nobody: the login is the stamp
    service.perform(path, item, "advance", at=CLICK, by="somchai")
    after = Register(rows_from_xlsx(path))
    hm = reg.header()
    cli_row = dict(zip(hm, (after.register[1][c] for c in hm.values())))
    mine = register_row(book, reg, 2)
    for f in ("unit", "substep", "substep_name", "started_at", "due_soon_at", "due_at", "round", "paused_since", "completed_at", "last_by"):
        want = cli_row[f]
        want = at(str(want)) if isinstance(want, datetime) else (None if want == "" else want)
        assert mine[f] == want, f
    [log] = log_rows(book, reg)
    assert log["hash"] == after.log[-1][8]  # the same hash chain


# -- selections -----------------------------------------------------------------------------
def test_selected_rows_reads_areas_and_whole_rows():
    assert macros.selected_rows("$A$5:$X$7,$B$9") == [5, 6, 7, 9]
    assert macros.selected_rows("$12:$13") == [12, 13]
    assert macros.selected_rows("C4") == [4]


def test_selecting_whole_columns_is_refused_so_a_click_never_acts_on_every_row():
    with pytest.raises(IllegalAction, match="whole columns are selected"):
        macros.selected_rows("$A:$C")
    with pytest.raises(IllegalAction, match="the whole sheet is selected"):
        macros.selected_rows("$1:$1048576")


def test_running_a_macro_outside_excel_says_to_use_the_command_line(monkeypatch):
    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: (_ for _ in ()).throw(Exception("Book.caller() must not be called directly"))))
    with pytest.raises(XlflowError, match="runs from the xlflow ribbon in Excel"):
        macros.advance(at=CLICK)


def test_every_ribbon_button_has_its_macro():
    from xlflow.addin import macro_calls

    assert all(callable(getattr(macros, fn, None)) for fn in macro_calls().values())


# -- xlwings calls ---------------------------------------------------------------------------
def _ribbon_calls():
    spec = importlib.util.spec_from_file_location("ribbon_calls", Path(__file__).resolve().parent.parent / "benchmarks" / "ribbon_calls.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_xlwings_calls_of_each_button_do_not_grow_with_the_register(monkeypatch):
    use_remote_engine(monkeypatch)
    monkeypatch.setenv("USERNAME", "somchai")
    rc = _ribbon_calls()
    small, large = rc.count_calls(10), rc.count_calls(2000)
    assert small == large
    # a row button: ~45 to read five sheets, ~85 per .value write (xlwings' own bookkeeping);
    # Fill forms sets widths, heights and merges of the two forms one by one
    assert max(v for k, v in small.items() if k != "fill_forms") < 300
    assert small["fill_forms"] < 1000


def test_a_long_list_of_refusals_names_every_row_in_one_box():
    msgs = [f"row {r}: item {r}/2569 is done (completed 2026-11-20 10:00): it cannot advance — use undo if the last step was a mistake" for r in range(2, 32)]
    box = macros.alert_text(msgs)
    assert box.count("\n") == macros.ALERT_FULL_ROWS  # 20 in full, then one line for the rest
    assert box.endswith("… and 10 more: " + ", ".join(f"row {r}" for r in range(22, 32)))

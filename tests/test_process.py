"""The process held as data: the manual's table, the Process sheet read back, its checks."""

from __future__ import annotations

import json

import openpyxl
import pytest

from xlflow import book
from xlflow.errors import ProcessError
from xlflow.process import COLUMNS, END, FollowUp, Process, parse_follow_up
from xlflow.schema import SHEETS

PROC = SHEETS["process"]
MANUAL = Process.default()
#: The Process sheet's row of each sub-step (header in row 1, manual order below it).
ROW = {s.code: i for i, s in enumerate(MANUAL.substeps, start=2)}
#: The Process sheet's column letter of each field.
COL = {f: chr(ord("A") + i) for i, (f, _, _) in enumerate(COLUMNS)}

STEP3 = (
    "Step 3: the flow chart (section ๕, page ๔) gives 20 h, the work instruction's sub-steps add up to 3 h "
    "(ขั้นตอนที่ 3: ผังกระบวนการ 20 ชม. แต่ขั้นตอนย่อยรวม 3 ชม.)"
)
STEP4 = (
    "Step 4: the flow chart (section ๕, page ๔) gives 5 h, the work instruction's sub-steps add up to 3 h "
    "(ขั้นตอนที่ 4: ผังกระบวนการ 5 ชม. แต่ขั้นตอนย่อยรวม 3 ชม.)"
)
STEP1 = (
    "Step 1: the flow chart has 3 sub-steps (๑.๑ สปร. ลงทะเบียนรับหนังสือ และเสนอ ผอ.สปร. พิจารณามอบหมายกลุ่มวิเทศสัมพันธ์; "
    "๑.๒ กลุ่มวิเทศสัมพันธ์ลงทะเบียนรับหนังสือ และเสนอ ผอ.วท. พิจารณามอบหมายเจ้าหน้าที่ที่เกี่ยวข้อง; "
    "๑.๓ ส่งให้เจ้าหน้าที่ที่เกี่ยวข้อง), the work instruction has 6 (1.1, 1.2, 1.3, 1.4, 1.5, 1.6)"
)
SUB52 = (
    'Sub-step 5.2 means two things: the flow chart says "๕.๒ ผู้บริหารลงนามให้ความเห็นชอบ" (executives sign), '
    'the work instruction says "จัดส่งความเห็น/ข้อเสนอ/ท่าทีของกระทรวงแรงงานให้หน่วยงานภายนอกเพื่อทราบ/พิจารณา" (send the answer out)'
)
FOLLOW_UP = (
    'Follow-up: the evaluation system (section ๘, page ๗) says "กลุ่มงานวิเทศสัมพันธ์ สำนักประสานความร่วมมือระหว่างประเทศ '
    'ได้ประเมินผล รอบ ๙ เดือน และรอบ ๑๒ เดือน" (กลุ่มวิเทศสัมพันธ์ evaluates the 9-month and 12-month rounds), '
    "the work instruction (section ๖) gives the 12-month round to สำนักประสานความร่วมมือระหว่างประเทศ "
    "(ติดตามประเมินผล: หัวข้อ ๘ ให้กลุ่มวิเทศสัมพันธ์ประเมินผลรอบ ๙ และ ๑๒ เดือน "
    "แต่หัวข้อ ๖ ให้สำนักประสานความร่วมมือระหว่างประเทศประเมินผลรอบ ๑๒ เดือน)"
)
#: The follow-up column as init writes it: section ๖'s ติดตามประเมินผล, one round a line.
FOLLOW_UP_CELL = "๙ เดือน: กลุ่มวิเทศสัมพันธ์\n๑๒ เดือน: สำนักประสานความร่วมมือระหว่างประเทศ"


def rows_of(process: Process) -> list[dict]:
    """The Process sheet's rows as ``from_rows`` receives them (every field, as typed)."""
    return [{f: getattr(s, f) for f, _, _ in COLUMNS} for s in process.substeps]


def edit_process(path, **cells) -> None:
    """Type values into the Process sheet with openpyxl, as an office would in Excel."""
    wb = openpyxl.load_workbook(path)
    for ref, value in cells.items():
        wb[PROC][ref] = value
    wb.save(path)


# -- the manual's table ---------------------------------------------------------------------
def test_default_process_has_the_manuals_fifteen_substeps_in_order():
    assert [s.code for s in MANUAL] == [
        "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2.1", "2.2", "2.3", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2",
    ]
    assert [s.standard for s in MANUAL] == [5, 15, 5, 5, 15, 5, 60, 60, 60, 60, 120, 120, 60, 120, 60]


def test_default_process_transitions_decision_and_requirements_come_from_the_table():
    assert MANUAL.first.code == "1.1"
    assert [s.next for s in MANUAL][:-1] == [s.code for s in MANUAL][1:]
    assert MANUAL["5.2"].next == END
    assert [s.code for s in MANUAL if s.is_decision] == ["5.1"]
    assert MANUAL["5.1"].reject_to == "3.1"
    assert MANUAL.requiring("unit").code == "1.2"
    assert MANUAL.requiring("officer").code == "1.5"


def test_default_process_roles_split_on_slash():
    assert MANUAL["4.1"].roles == ("เจ้าหน้าที่ วท. ที่รับผิดชอบ", "ผอ.วท.", "ชช.สปร.", "ผอ.สปร.")
    assert MANUAL["1.1"].roles == ("เจ้าหน้าที่งานสารบรรณ สปร.",)


def test_manual_inconsistencies_are_the_five_the_manual_contains():
    assert MANUAL.inconsistencies() == [STEP3, STEP4, STEP1, SUB52, FOLLOW_UP]


def test_every_substep_follows_up_as_section_6_prints_it_the_group_at_9_the_bureau_at_12_months():
    assert {s.follow_up for s in MANUAL} == {FOLLOW_UP_CELL}
    assert [(f.months, f.by_th) for f in MANUAL["3.2"].follow_ups] == [
        (9, "กลุ่มวิเทศสัมพันธ์"), (12, "สำนักประสานความร่วมมือระหว่างประเทศ"),
    ]


@pytest.mark.parametrize("typed", [
    "๑๒ เดือน: กลุ่มวิเทศสัมพันธ์",  # as written
    "กลุ่มวิเทศสัมพันธ์ ๑๒ เดือน",  # the manual's column order
    "รอบ 12 เดือน : กลุ่มวิเทศสัมพันธ์",
])
def test_follow_up_is_read_in_either_order_with_thai_or_arabic_digits(typed):
    assert parse_follow_up(f"๙ เดือน: กลุ่มวิเทศสัมพันธ์; {typed}") == (
        (FollowUp(9, "กลุ่มวิเทศสัมพันธ์"), FollowUp(12, "กลุ่มวิเทศสัมพันธ์")), [],
    )


# -- read back from rows -------------------------------------------------------------------------
def test_rows_written_from_the_manual_read_back_to_the_same_process():
    assert Process.from_rows(rows_of(MANUAL), sheet=PROC).substeps == MANUAL.substeps


def test_edited_standard_in_the_rows_wins_over_the_default():
    rows = rows_of(MANUAL)
    rows[ROW["3.2"] - 2]["standard"] = 1140
    p = Process.from_rows(rows, sheet=PROC)
    assert p["3.2"].standard == 1140
    # step 3 now adds up to the flow chart's 20 h: that inconsistency is gone, the others stay
    assert p.inconsistencies() == [STEP4, STEP1, SUB52, FOLLOW_UP]


def test_follow_up_edited_to_agree_with_section_8_ends_that_disagreement():
    rows = rows_of(MANUAL)
    for row in rows:
        row["follow_up"] = "๙ เดือน: กลุ่มวิเทศสัมพันธ์\n๑๒ เดือน: กลุ่มวิเทศสัมพันธ์"
    p = Process.from_rows(rows, sheet=PROC)
    assert [(f.months, f.by_th) for f in p["1.1"].follow_ups] == [(9, "กลุ่มวิเทศสัมพันธ์"), (12, "กลุ่มวิเทศสัมพันธ์")]
    assert p.inconsistencies() == [STEP3, STEP4, STEP1, SUB52]


def test_rows_without_the_follow_up_column_read_with_the_manuals_follow_up():
    rows = [{f: v for f, v in row.items() if f != "follow_up"} for row in rows_of(MANUAL)]
    p = Process.from_rows(rows, sheet=PROC)
    assert p.substeps == MANUAL.substeps
    assert p.inconsistencies()[-1] == FOLLOW_UP


def test_every_substep_has_a_target_of_80_percent_and_an_edited_one_reads_back():
    assert {s.target for s in MANUAL.substeps} == {80}
    rows = rows_of(MANUAL)
    rows[ROW["2.1"] - 2]["target"] = "90%"
    rows[ROW["3.2"] - 2]["target"] = 75
    p = Process.from_rows(rows, sheet=PROC)
    assert (p["2.1"].target, p["3.2"].target, p["1.1"].target) == (90, 75, 80)


def test_rows_without_the_target_column_read_with_the_default_target():
    rows = [{f: v for f, v in row.items() if f != "target"} for row in rows_of(MANUAL)]
    assert Process.from_rows(rows, sheet=PROC).substeps == MANUAL.substeps


@pytest.mark.parametrize("typed", ["มาก", "120", "-5"])
def test_target_that_is_not_a_percentage_is_a_problem_at_its_cell(typed):
    rows = rows_of(MANUAL)
    rows[ROW["2.3"] - 2]["target"] = typed
    with pytest.raises(ProcessError) as exc:
        Process.from_rows(rows, sheet=PROC)
    assert exc.value.problems == [
        f'{PROC}!{COL["target"]}10: "{typed}" is not a percentage from 0 to 100 — type the target, e.g. 80, or leave it empty for 80'
    ]


def test_follow_up_that_names_no_round_is_a_problem_at_its_cell():
    rows = rows_of(MANUAL)
    rows[ROW["2.3"] - 2]["follow_up"] = "๙ เดือน: กลุ่มวิเทศสัมพันธ์\nทุกไตรมาส: สปร."
    with pytest.raises(ProcessError) as exc:
        Process.from_rows(rows, sheet=PROC)
    assert exc.value.problems == [
        f'{PROC}!{COL["follow_up"]}10: "ทุกไตรมาส: สปร." is not a round and who evaluates it — '
        "type one line per round, e.g. ๙ เดือน: กลุ่มวิเทศสัมพันธ์"
    ]


def test_blank_standard_falls_back_to_the_manuals_value():
    rows = rows_of(MANUAL)
    rows[ROW["2.1"] - 2]["standard"] = None
    assert Process.from_rows(rows, sheet=PROC)["2.1"].standard == 60


def test_standard_typed_as_text_with_a_thousands_comma_is_read():
    rows = rows_of(MANUAL)
    rows[ROW["3.2"] - 2]["standard"] = "1,200"
    assert Process.from_rows(rows, sheet=PROC)["3.2"].standard == 1200


def test_one_sheet_with_four_problems_lists_all_four_with_their_cells():
    rows = rows_of(MANUAL)
    rows[ROW["2.2"] - 2]["next"] = "2.9"  # an unknown next
    rows[ROW["3.2"] - 2]["next"] = "3.1"  # a loop with no way out
    rows[ROW["4.1"] - 2]["standard"] = -30  # not a positive number
    rows[ROW["4.2"] - 2]["role"] = None  # a missing role
    with pytest.raises(ProcessError) as exc:
        Process.from_rows(rows, sheet=PROC)
    assert exc.value.problems == [
        f'{PROC}!F13: "-30" is not a positive whole number of working minutes — type the standard in minutes, e.g. 60 for one hour',
        f"{PROC}!E14: sub-step 4.2 has no responsible role — type the role as in the People sheet",
        f'{PROC}!J9: "2.9" is not a sub-step of this process — type one of the codes, or END',
        f"{PROC}!J12: from sub-step 3.2 the work loops (3.2 → 3.1 → 3.2) and never reaches END — point one of them onward",
    ]
    assert str(exc.value).splitlines()[0] == f"The {PROC} sheet has 4 problem(s):"


@pytest.mark.parametrize("typed", [0, "0", -5, "abc", 1.5, "1 ชม."])
def test_standard_that_is_not_a_positive_whole_number_is_a_problem(typed):
    rows = rows_of(MANUAL)
    rows[ROW["1.3"] - 2]["standard"] = typed
    with pytest.raises(ProcessError) as exc:
        Process.from_rows(rows, sheet=PROC)
    assert exc.value.problems == [
        f'{PROC}!F4: "{typed}" is not a positive whole number of working minutes — type the standard in minutes, e.g. 60 for one hour'
    ]


def test_rejection_target_that_is_not_a_substep_is_a_problem():
    rows = rows_of(MANUAL)
    rows[ROW["5.1"] - 2]["reject_to"] = "3"
    with pytest.raises(ProcessError) as exc:
        Process.from_rows(rows, sheet=PROC)
    assert exc.value.problems == [f'{PROC}!K15: "3" is not a sub-step of this process — type one of the codes, or leave it empty']


def test_empty_next_is_a_problem_not_a_silent_end():
    rows = rows_of(MANUAL)
    rows[ROW["2.2"] - 2]["next"] = None
    with pytest.raises(ProcessError) as exc:
        Process.from_rows(rows, sheet=PROC)
    assert exc.value.problems == [f"{PROC}!J9: sub-step 2.2 has no next sub-step — type the code that follows, or END if the work ends here"]


def test_duplicate_code_and_unknown_requirement_are_problems():
    rows = rows_of(MANUAL)
    rows[ROW["1.4"] - 2]["code"] = "1.3"
    rows[ROW["1.4"] - 2]["next"] = "1.5"
    rows[ROW["1.3"] - 2]["next"] = "1.5"
    rows[ROW["1.5"] - 2]["requires"] = "email"
    with pytest.raises(ProcessError) as exc:
        Process.from_rows(rows, sheet=PROC)
    assert exc.value.problems == [
        f"{PROC}!A5: sub-step 1.3 appears twice (also {PROC}!A4) — delete one row",
        f'{PROC}!L6: "email" is not one of unit, officer — leave it empty or type one of them',
    ]


def test_process_with_no_end_says_an_item_could_never_be_done():
    rows = rows_of(MANUAL)
    rows[ROW["5.2"] - 2]["next"] = "5.1"
    with pytest.raises(ProcessError) as exc:
        Process.from_rows(rows, sheet=PROC)
    assert exc.value.problems == [
        "no sub-step has END as its next: an item could never be done — set the last sub-step's next to END",
        f"{PROC}!J16: from sub-step 5.2 the work loops (5.2 → 5.1 → 5.2) and never reaches END — point one of them onward",
    ]


def test_inconsistency_under_an_hour_is_written_without_stray_spaces():
    rows = rows_of(MANUAL)
    rows[ROW["1.1"] - 2]["standard"] = 10
    p = Process.from_rows(rows, sheet=PROC)
    assert p.inconsistencies()[0] == (
        "Step 1: the flow chart (section ๕, page ๔) gives 50 min, the work instruction's sub-steps add up to 55 min "
        "(ขั้นตอนที่ 1: ผังกระบวนการ 50 นาที แต่ขั้นตอนย่อยรวม 55 นาที)"
    )


# -- the Process sheet of a register -------------------------------------------------------------
def test_register_process_sheet_reads_back_as_the_manual(register_book):
    assert book.load(register_book).process.substeps == MANUAL.substeps


def test_office_edited_standard_in_the_sheet_sets_the_due_time(register_book, xlflow):
    edit_process(register_book, **{f"{COL['standard']}{ROW['1.2']}": 45})
    assert xlflow("register", register_book, "--subject", "ขอความร่วมมือ", "--at", "2026-11-25T09:00", "--by", "clerk").output == "1/2569\n"
    shown = json.loads(xlflow("show", register_book, "1/2569", "--json", "--now", "2026-11-25T09:00").output)
    assert shown["due_at"] == "2026-11-25T09:45:00+07:00"  # 1.2 takes 45 min now, not the manual's 15


def test_edited_standard_re_times_an_item_already_registered(register_book, xlflow):
    xlflow("register", register_book, "--subject", "ขอความร่วมมือ", "--at", "2026-11-25T11:50", "--by", "clerk")
    edit_process(register_book, **{f"{COL['standard']}{ROW['1.2']}": 30})
    shown = json.loads(xlflow("show", register_book, "1/2569", "--json", "--now", "2026-11-25T11:55").output)
    assert shown["due_at"] == "2026-11-25T13:20:00+07:00"  # 10 min before lunch, 20 after


def test_process_command_prints_the_table_and_the_manuals_inconsistencies(xlflow):
    result = xlflow("process")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == " 1.1     5 min  เจ้าหน้าที่งานสารบรรณ สปร.  →  1.2"
    assert " 5.1   120 min  ผู้บริหารของกระทรวงแรงงาน  →  5.2 / ไม่เห็นชอบ → 3.1" in lines
    assert " 5.2    60 min  เจ้าหน้าที่งานสารบรรณ วท. / เจ้าหน้าที่ วท. ที่รับผิดชอบ  →  END" in lines
    assert lines[-6:] == [
        "Where the manual contradicts itself (xlflow times the work instruction, section 6):",
        f"  - {STEP3}",
        f"  - {STEP4}",
        f"  - {STEP1}",
        f"  - {SUB52}",
        f"  - {FOLLOW_UP}",  # section ๘ gives both rounds to the group, section ๖ the 12-month one to the bureau
    ]


def test_process_command_reads_the_books_edited_sheet(register_book, xlflow):
    edit_process(register_book, **{f"{COL['standard']}{ROW['4.1']}": 240})
    result = xlflow("process", register_book)
    assert result.exit_code == 0
    assert " 4.1   240 min  เจ้าหน้าที่ วท. ที่รับผิดชอบ / ผอ.วท. / ชช.สปร. / ผอ.สปร.  →  4.2" in result.output.splitlines()
    assert STEP4 not in result.output  # 4.1 + 4.2 = 5 h, as the flow chart says
    assert STEP3 in result.output


def test_register_process_sheet_carries_the_follow_up_column(register_book):
    ws = openpyxl.load_workbook(register_book)[PROC]
    assert ws[f"{COL['follow_up']}1"].value == "ติดตามประเมินผล"
    assert {ws[f"{COL['follow_up']}{ROW[s.code]}"].value for s in MANUAL} == {FOLLOW_UP_CELL}


def test_office_edited_follow_up_is_read_back_from_the_sheet(register_book, xlflow):
    edit_process(register_book, **{f"{COL['follow_up']}{ROW['5.2']}": "๙ เดือน: กลุ่มวิเทศสัมพันธ์\n๑๒ เดือน: สำนักงานปลัดกระทรวงแรงงาน"})
    p = book.load(register_book).process
    assert [(f.months, f.by_th) for f in p["5.2"].follow_ups] == [(9, "กลุ่มวิเทศสัมพันธ์"), (12, "สำนักงานปลัดกระทรวงแรงงาน")]
    assert p["5.1"].follow_up == FOLLOW_UP_CELL  # the other rows as init wrote them
    line = p.inconsistencies()[-1]
    assert "the 12-month round to สำนักประสานความร่วมมือระหว่างประเทศ and the 12-month round to สำนักงานปลัดกระทรวงแรงงาน" in line
    assert line in xlflow("process", register_book).output


def test_older_register_without_the_follow_up_column_still_reads(register_book, xlflow):
    wb = openpyxl.load_workbook(register_book)
    wb[PROC].delete_cols([f for f, _, _ in COLUMNS].index("follow_up") + 1)
    wb.save(register_book)
    assert book.load(register_book).process.substeps == MANUAL.substeps  # the manual's follow-up
    result = xlflow("process", register_book)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == f"  - {FOLLOW_UP}"
    # an older register's cells keep their letters: a problem in it names the right cell
    edit_process(register_book, **{f"{COL['next']}{ROW['2.2']}": "2.9"})
    assert xlflow("process", register_book).output == (
        f"Error: The {PROC} sheet has 1 problem(s):\n"
        f'  - {PROC}!J9: "2.9" is not a sub-step of this process — type one of the codes, or END\n'
    )


def test_process_sheet_edited_into_nonsense_lists_every_problem_and_exits_1(register_book, xlflow):
    edit_process(
        register_book,
        **{
            f"{COL['next']}{ROW['2.2']}": "2.9",
            f"{COL['next']}{ROW['3.2']}": "3.1",
            f"{COL['standard']}{ROW['4.1']}": "สองชั่วโมง",
            f"{COL['role']}{ROW['4.2']}": None,
        },
    )
    expected = (
        f"Error: The {PROC} sheet has 4 problem(s):\n"
        f'  - {PROC}!F13: "สองชั่วโมง" is not a positive whole number of working minutes — type the standard in minutes, e.g. 60 for one hour\n'
        f"  - {PROC}!E14: sub-step 4.2 has no responsible role — type the role as in the People sheet\n"
        f'  - {PROC}!J9: "2.9" is not a sub-step of this process — type one of the codes, or END\n'
        f"  - {PROC}!J12: from sub-step 3.2 the work loops (3.2 → 3.1 → 3.2) and never reaches END — point one of them onward\n"
    )
    for args in (
        ("process", register_book),
        ("list", register_book, "--now", "2026-11-25T10:00"),
        ("register", register_book, "--subject", "x", "--at", "2026-11-25T10:00", "--by", "clerk"),
    ):
        result = xlflow(*args)
        assert (result.exit_code, result.output) == (1, expected), args


def test_process_sheet_with_a_required_column_removed_names_the_column(register_book, xlflow):
    wb = openpyxl.load_workbook(register_book)
    wb[PROC]["F1"] = "เวลา"
    wb.save(register_book)
    result = xlflow("process", register_book)
    assert result.exit_code == 1
    assert result.output == (
        f'Error: {PROC}!1: the column(s) "มาตรฐานเวลา (นาทีทำการ)" (Standard (working minutes)) are missing from the header row — '
        "restore them (xlflow init makes a fresh sheet to copy them from)\n"
    )

"""Every command that reads a register, on every broken register of the corpus.

The corpus (``tests/corpus/make_corpus.py``) is generated once per session. For each case
and each command the table below says what must happen: exit 0 with the expected output,
or exit 1 with a message that names the sheet and cell (or the file) and the fix. Never a
traceback, never another exit code, and the workbook's folder is byte-identical after every
command that read it or refused to write it. A write that succeeds keeps every old Log row
and Register letter.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

import fault_harness as h
from make_corpus import make_corpus
from xlflow import book as bk
from xlflow.cli import main
from xlflow.model import ACTIONS as _ACTIONS

NOW = "2026-11-25T11:00"
ACTIONS = ", ".join(_ACTIONS)  # as the Log's reader lists them
REG, LOG, CAL, PROC, PEOPLE = "ทะเบียนหนังสือรับ", "บันทึกการดำเนินงาน", "วันหยุดราชการ", "ขั้นตอนการปฏิบัติงาน", "ผู้รับผิดชอบ"

#: The commands that read a register, with their arguments ({f} is the workbook).
COMMANDS: dict[str, list[str]] = {
    "list": ["list", "{f}", "--now", NOW],
    "show": ["show", "{f}", "2/2569", "--now", NOW, "--json"],
    "verify": ["verify", "{f}"],
    "process": ["process", "{f}"],
    "check": ["check", "{f}", "--now", NOW, "--dry-run"],
    "register": ["register", "{f}", "--subject", "หนังสือทดสอบ", "--at", NOW, "--by", "clerk"],
    "advance": ["advance", "{f}", "1/2569", "--at", NOW, "--by", "clerk"],
    "assign": ["assign", "{f}", "2/2569", "--unit", "วท.", "--at", NOW, "--by", "clerk"],
    "refresh": ["refresh", "{f}", "--now", NOW],
}
COMMANDS = {k: v for k, v in COMMANDS.items() if k in main.commands}
#: Commands of the PMQA output, run on every case too once they exist: ``forms`` writes
#: into the register; ``evaluate`` reads it and writes a new workbook beside it.
EXTRA: dict[str, list[str]] = {
    "forms": ["forms", "{f}"],
    "evaluate": ["evaluate", "{f}", "--fiscal-year", "2570", "--round", "6", "--now", NOW],
}
EXTRA = {k: v for k, v in EXTRA.items() if k in main.commands}
WRITES = ("register", "advance", "assign", "refresh", "forms")
EVALUATION = "Evaluation_FY2570_round6.xlsx"

#: What each command prints when the register works (the base register: 1/2569 at 1.3, 2/2569 and 3/2569 at 1.2).
OK = {
    "list": "2/2569  1.2  overdue",
    "show": '"item": "2/2569"',
    "verify": "the log is intact",
    "process": "Where the manual contradicts itself",
    "check": "dry run: nothing was sent or recorded",
    "register": "4/2569",
    "advance": "1/2569  1.4",
    "assign": "2/2569  1.2",
    "refresh": "refreshed 3 item(s)",
    "forms": "filled the forms in",
    "evaluate": f"{EVALUATION}\n",
}


def fine(**over):
    """Every command works; ``over`` replaces the expectation of some."""
    return {**{c: (0, OK[c]) for c in COMMANDS}, **over}


def everywhere(*fragments):
    """Every command refuses with the same message."""
    return {c: (1, fragments) for c in COMMANDS}


def writes_refused(*fragments):
    """Reading works; every write is refused with the message."""
    return fine(**{c: (1, fragments) for c in WRITES})


#: The checker's exit code when it named a cell or row it could not read (the run went through).
DATAERR = 65


def bad_row(msg, write=None, *, refresh="refreshed 2 item(s)"):
    """Row 3 (item 2/2569) cannot be read: listed as a warning, the item's actions refused
    with the cell's message; the other items and new letters still work; the checker checks
    2/2569 from its Log alone and names the cell (exit 65)."""
    return fine(
        list=(0, f"Warning: {msg}"),
        show=(1, f"Error: item 2/2569: its Register row cannot be read — {msg}"),
        assign=(1, f"Error: item 2/2569: its Register row cannot be read — {write or msg}"),
        refresh=(0, refresh),
        check=(DATAERR, f"problem: item 2/2569: its Register row could not be read, so it was checked from the Log alone (no subject, no reply-by date): {msg}"),
    )


def log_row_unreadable(msg, item, **over):
    """A Log row cannot be read: reading commands go on and warn; every write and verify
    refuse, naming the cell; the checker leaves the row's item out, names the cell (exit 65)
    and checks the rest."""
    refused = (1, f"Error: {msg} (nothing was written: xlflow adds to the Log only when every row of it can be read)")
    return fine(
        list=(0, f"Warning: {msg}"),
        verify=(1, f"Error: {msg}"),
        check=(DATAERR, f"problem: item {item} was not checked: a row of its Log cannot be read: {msg}"),
        register=refused, advance=refused, assign=refused, refresh=refused,
        **over,
    )


def lost_register_row(extra_warning=None):
    """Item 2/2569's Register row is gone; the Log still has it."""
    gone = f"{LOG} row 3: item 2/2569 is in the Log but not in the Register — restore its Register row from a backup"
    refused = f"Error: item 2/2569 is in the Log ({LOG} row 3) but not in the Register — restore its Register row from a backup (.xlflow-backups)"
    return fine(
        list=(0, (f"Warning: {extra_warning}", f"Warning: {gone}") if extra_warning else f"Warning: {gone}"),
        show=(1, refused),
        assign=(1, refused),
        refresh=(0, "refreshed 2 item(s)"),
        check=(DATAERR, f"problem: a row could not be read and was not checked: {gone}"),
    )


DATE_FIX = "type it as day/month/BE year, e.g. 25/11/2569"
NOT_XLSX_FIX = "open it in Excel and save it as Excel Workbook (.xlsx)"
CFB = "this is not an .xlsx workbook but an old .xls file or a password-protected workbook — open it in Excel, remove the password if there is one, and save it as Excel Workbook (.xlsx)"


def missing_sheet(case, sheet):
    return everywhere(f'Error: {case}.xlsx: the sheet "{sheet}" is missing (sheets found: ',
                      f'— rename the sheet back to "{sheet}", or copy it from a fresh register made by xlflow init')


def missing_column(sheet, th, en):
    return everywhere(f'Error: {sheet}!1: the column(s) "{th}" ({en}) are missing from the header row — restore them (xlflow init makes a fresh sheet to copy them from)')


def sheet_problem(title, line, instead="the manual's value was used for this run"):
    """Every command refuses, naming the cell; the checker alone goes on (a Process cell takes
    the manual's value for the run, a Calendar row is left out), names it and says so (exit 65)."""
    return {**everywhere(f"Error: The {title} sheet has 1 problem(s):\n  - {line}"), "check": (DATAERR, f"problem: {line} ({instead})")}


LEFT_OUT = "this run left the row out: the day is not counted as a day off"
USUAL_HOURS = "this run used the usual office hours, 08:30–12:00 and 13:00–16:30"


EXPECT: dict[str, dict] = {
    # -- dates typed as text that must work (the value read is checked in VALUES) --
    "date_text_be": fine(),
    "date_text_ce": fine(),
    "date_text_thai_digits": fine(),
    "date_text_thai_month": fine(),
    "date_text_iso": fine(),
    "date_text_short_be": fine(show=(0, '"reply_by": "2026-11-30"')),
    "letter_date_thai_words": fine(),
    "reply_by_thai_digits": fine(show=(0, '"reply_by": "2026-11-30"')),
    "reply_by_ce_text": fine(show=(0, '"reply_by": "2026-11-30"')),
    "reply_by_serial": fine(show=(0, '"reply_by": "2026-11-30"')),
    # -- dates that must be refused, naming the cell --
    "date_31_feb": bad_row(f'{REG}!B3: "31/02/2569 09:00" is not a date and time (February 2569 has no day 31) — {DATE_FIX} 09:30'),
    "date_31_feb_thai_digits": bad_row(f'{REG}!D3: "๓๑/๐๒/๒๕๖๙" is not a date (February 2569 has no day 31) — {DATE_FIX}'),
    "date_30_feb_reply": bad_row(f'{REG}!J3: "30/02/2570" is not a date (February 2570 has no day 30) — {DATE_FIX}'),
    "date_month_13": bad_row(f'{REG}!D3: "12/13/2569" is not a date (there is no month 13) — {DATE_FIX}'),
    "date_words": bad_row(f'{REG}!B3: "เมื่อวาน" is not a date and time — {DATE_FIX} 09:30'),
    "date_three_digit_year": bad_row(f'{REG}!D3: "25/11/569" is not a date (the year 569 should have 4 digits, e.g. 2569) — {DATE_FIX}'),
    "date_year_2300": bad_row(f'{REG}!D3: "25/11/2300" is not a date (year 2300 is neither a Buddhist Era year, 2400 or later, nor a Christian Era year, 1900–2200) — {DATE_FIX}'),
    "date_wrong_weekday": bad_row(f'{REG}!D3: "วันจันทร์ที่ 25 พ.ย. 2569" is not a date (25 November 2569 is a Wednesday, not a Monday) — {DATE_FIX}'),
    "date_be_as_ce_value": bad_row(
        f'{REG}!J3: "2569-11-30" is a date in the year 2569 of the Christian Era (a Buddhist-Era year typed into a cell Excel reads as Christian Era)'
        " — retype it as 30/11/2569 in a cell formatted as text or as a Thai date, or as 30/11/2026"),
    "received_be_as_ce_value": bad_row(
        f'{REG}!B3: "2569-11-25 09:07:00" is a date in the year 2569 of the Christian Era (a Buddhist-Era year typed into a cell Excel reads as Christian Era)'
        " — retype it as 25/11/2569 in a cell formatted as text or as a Thai date, or as 25/11/2026"),
    "item_ce_year": fine(
        list=(0, f'Warning: {REG}!A5: "4/2026" has a Christian-Era year (2026) — registration numbers carry the Buddhist-Era year: 4/2569'),
        check=(DATAERR, f'problem: a row could not be read and was not checked: {REG}!A5: "4/2026" has a Christian-Era year (2026)')),
    "received_empty": bad_row(f"{REG}!B3: (empty) has no received time — type when the letter arrived, e.g. 25/11/2569 09:30"),
    "item_empty": lost_register_row(f"{REG}!A3: (empty) has no registration number — register letters with xlflow so each gets its number"),
    "urgency_unknown": bad_row(f'{REG}!H3: "ด่วนจี๋" is not one of ด่วนที่สุด, ด่วนมาก, ด่วน — pick one from the list or leave it empty'),
    "item_as_date": lost_register_row(
        f'{REG}!A3: "2569-02-01" is not a registration number — type it as number/BE year, e.g. 12/2569 (if Excel turned it into a date, format the column as Text and retype it)'),
    # -- the table's structure --
    "merged_subject": fine(),
    "merged_derived": fine(refresh=(1, f"Error: {REG}!O4: is inside the merged cells O3:O4, where xlflow must write row 4 — "
                                       "unmerge them (Home → Merge & Center → Unmerge Cells), then try again; nothing was changed"),
                           # merging emptied O4: the Register no longer shows what the Log says
                           verify=(1, f'Error: {REG}!O4 (item 3/2569): the Register shows ขั้นตอนปัจจุบัน "" but the Log says "1.2"')),
    "merged_items": fine(
        list=(0, (f"Warning: {REG}!A4: (empty) has no registration number — register letters with xlflow so each gets its number",
                  f"Warning: {LOG} row 4: item 3/2569 is in the Log but not in the Register")),
        refresh=(0, "refreshed 2 item(s)"),
        check=(DATAERR, f"problem: a row could not be read and was not checked: {REG}!A4: (empty) has no registration number")),
    "merged_header": missing_column(REG, "วันเวลาที่รับ", "Received at"),
    "blank_rows": fine(),
    "blank_row_cleared": lost_register_row(),
    "sheet_renamed": missing_sheet("sheet_renamed", REG),
    "sheet_renamed_space": missing_sheet("sheet_renamed_space", LOG),
    "sheet_missing_log": missing_sheet("sheet_missing_log", LOG),
    "sheet_missing_process": missing_sheet("sheet_missing_process", PROC),
    "sheet_missing_calendar": missing_sheet("sheet_missing_calendar", CAL),
    "sheet_missing_people": fine(),
    "column_missing_subject": missing_column(REG, "เรื่อง", "Subject"),
    "column_missing_log_hash": missing_column(LOG, "แฮชลูกโซ่ (chain hash)", "Chain hash"),
    "columns_reordered": fine(),
    "columns_reordered_log": fine(),
    "header_english": fine(),
    "duplicate_number": fine(
        list=(0, (f'Warning: {REG}!A4: "2/2569" is a duplicate registration number (also row 3) — give this letter its own number, or delete the copied row',
                  f"Warning: {LOG} row 4: item 3/2569 is in the Log but not in the Register")),
        refresh=(0, "refreshed 2 item(s)"),
        check=(DATAERR, f'problem: a row could not be read and was not checked: {REG}!A4: "2/2569" is a duplicate registration number (also row 3)')),
    "officer_not_in_people": fine(
        list=(0, "1/2569  1.5  overdue  due 25 พ.ย. 2569 10:05 น.  round 0  officer นางสาวสมศรี ใจดี"),
        advance=(0, "1/2569  1.6"),
        check=(0, 'problem: the officer "นางสาวสมศรี ใจดี" of item 1/2569 is not in the People sheet — add the name and e-mail there')),
    "people_bad_email": fine(list=(0, f'Warning: {PEOPLE}!D7: "somsri at mol.go.th" is not an email address — type one address such as name@mol.go.th'),
                             check=(DATAERR, f'problem: a row could not be read and was not checked: {PEOPLE}!D7: "somsri at mol.go.th" is not an email address')),
    "people_no_name": fine(list=(0, f"Warning: {PEOPLE}!A2: (empty) has no name — type the person's name or delete the row"),
                           check=(DATAERR, f"problem: a row could not be read and was not checked: {PEOPLE}!A2: (empty) has no name")),
    # -- formulas and errors where values belong: every command reads the value Excel calculated, and a write
    #    keeps the formula and its value (it never re-saves the cell) --
    "formula_received": fine(),
    "formula_subject": fine(),
    "ref_error_received": bad_row(f"{REG}!B3: (empty) has no received time — type when the letter arrived, e.g. 25/11/2569 09:30"),
    "ref_error_log": log_row_unreadable(f"{LOG}!E3: (empty) is empty — the Log must not be edited by hand — restore it from a backup", "2/2569",
                                        show=(1, f"Error: item 2/2569 has no readable registration in the Log — {LOG}!E3: (empty) is empty")),
    "ref_error_calendar": sheet_problem(CAL, f'{CAL}!A3: (empty) has no date for the holiday "วันปิยมหาราช" — type its date, e.g. 5/12/2569, or delete the row', LEFT_OUT),
    # -- the Process and Calendar sheets edited into nonsense --
    "process_loop": sheet_problem(PROC, f"{PROC}!J14: from sub-step 4.2 the work loops (4.2 → 3.1 → 3.2 → 4.1 → 4.2) and never reaches END — point one of them onward"),
    "process_unknown_next": sheet_problem(PROC, f'{PROC}!J4: "9.9" is not a sub-step of this process — type one of the codes, or END'),
    "process_standard_text": sheet_problem(PROC, f'{PROC}!F8: "สองชั่วโมง" is not a positive whole number of working minutes — type the standard in minutes, e.g. 60 for one hour'),
    "process_missing_column": missing_column(PROC, "ขั้นตอนถัดไป", "Next"),
    "calendar_text_date": sheet_problem(CAL, f'{CAL}!A3: "วันหยุดพิเศษ" is not a date — {DATE_FIX}', LEFT_OUT),
    "calendar_31_april": sheet_problem(CAL, f'{CAL}!A4: "31/04/2569" is not a date (April 2569 has no day 31) — {DATE_FIX}', LEFT_OUT),
    "calendar_text_date_valid": fine(),
    "calendar_hours_text": sheet_problem(CAL, f'{CAL}!G2: "แปดโมงครึ่ง" is not a time of day — type it as 08:30', USUAL_HOURS),
    # -- the Log edited by hand --
    "log_edited": fine(verify=(1, f"Error: {LOG} row 3: this row was edited by hand or inserted (its hash does not match its content) — item 2/2569, register at 25 พ.ย. 2569 09:05 น.")),
    "log_deleted": fine(
        list=(0, f"Warning: {REG} row 3: item 2/2569 has no registration in the Log — {LOG} row 3: the row(s) numbered 2 before it were deleted (found 3, expected 2); restore the Log from a backup"),
        verify=(1, f"Error: {LOG} row 3: the row(s) numbered 2 before it were deleted (found 3, expected 2)"),
        show=(1, f"Error: item 2/2569 has no registration in the Log — {LOG} row 3: the row(s) numbered 2 before it were deleted (found 3, expected 2); restore the Log from a backup"),
        assign=(1, f"Error: item 2/2569 has no registration in the Log — {LOG} row 3: the row(s) numbered 2 before it were deleted"),
        refresh=(0, "refreshed 2 item(s)"),
        check=(DATAERR, "problem: 1 item(s) in the Register have no registration in the Log, so they were not checked (2/2569) — register letters with xlflow")),
    "log_inserted": fine(verify=(1, f"Error: {LOG} row 4: a row was inserted here (it is numbered 2, expected 3)")),
    "log_bad_action": {
        **writes_refused(f'Error: {LOG}!D3: "approve?" is not an action ({ACTIONS}) — the Log must not be edited by hand '
                         "(nothing was written: xlflow adds to the Log only when every row of it can be read)"),
        "list": (0, f'Warning: {LOG}!D3: "approve?" is not an action ({ACTIONS}) — the Log must not be edited by hand'),
        "show": (1, f'Error: item 2/2569 has no readable registration in the Log — {LOG}!D3: "approve?" is not an action'),
        "verify": (1, f'Error: {LOG}!D3: "approve?" is not an action ({ACTIONS}) — the Log must not be edited by hand'),
        "check": (DATAERR, f'problem: item 2/2569 was not checked: a row of its Log cannot be read: {LOG}!D3: "approve?" is not an action'),
    },
    "log_bad_data": log_row_unreadable(f'{LOG}!H5: "หน่วยงาน วท." is not the data xlflow wrote — the Log must not be edited by hand — restore it from a backup', "1/2569"),
    "log_text_time": fine(),
    "register_row_deleted": lost_register_row(),
    "register_row_typed": fine(register=(0, "5/2569"),
                               list=(0, f"Warning: {REG} row 5: item 4/2569 has no registration in the Log — it was typed into the Register by hand; register letters with xlflow"),
                               check=(DATAERR, "problem: 1 item(s) in the Register have no registration in the Log, so they were not checked (4/2569) — register letters with xlflow")),
    "register_header_only": fine(),
    "register_empty_sheet": everywhere(f"Error: {REG}: the sheet is empty — its header row is missing (xlflow init makes a fresh register)"),
    # -- files that are not registers --
    "zero_byte": everywhere("Error: zero_byte.xlsx: the file is empty (0 bytes) — it was not saved completely; restore it from the backups folder"),
    "truncated": everywhere("Error: truncated.xlsx: the file is damaged or was cut off while copying — restore it from the backups folder"),
    "text_file": everywhere(f"Error: text_file.xlsx: this file is not an Excel workbook — {NOT_XLSX_FIX}"),
    "docx_zip": everywhere(f"Error: docx_zip.xlsx: this zip file is not an Excel workbook — {NOT_XLSX_FIX}"),
    "broken_xml": everywhere("Error: broken_xml.xlsx: the workbook cannot be read (XmlError: ", "— open it in Excel and save it again, or restore a backup"),
    "password": everywhere(f"Error: password.xlsx: {CFB}"),
    "xls_renamed": everywhere(f"Error: xls_renamed.xlsx: {CFB}"),
    "ods_renamed": everywhere("Error: ods_renamed.xlsx: this is an OpenDocument spreadsheet (.ods) named .xlsx — open it in LibreOffice and save it as Excel 2007-365 (.xlsx)"),
    "folder": everywhere("folder.xlsx: is a folder, not a workbook — give the .xlsx file inside it"),
    "missing_file": everywhere("ไม่มีไฟล์นี้.xlsx: no such file — check the path, or make a register with: xlflow init"),
    # -- open elsewhere, read-only, a Thai path with spaces --
    "open_in_excel": writes_refused("Error: open_in_excel.xlsx is open in Excel by somsri (found ~$open_in_excel.xlsx) — close it there first, "
                                    "or use the xlflow buttons inside Excel; if nobody has it open, delete ~$open_in_excel.xlsx"),
    "open_in_libreoffice": writes_refused("Error: open_in_libreoffice.xlsx is open in LibreOffice by somsri (found .~lock.open_in_libreoffice.xlsx#) — close it there first"),
    "read_only": writes_refused("Error: read_only.xlsx is marked read-only — nothing was changed; if it should be written, clear its read-only mark (Properties → Read-only, or chmod u+w)"),
    "thai_path": fine(),
}

# forms needs only the Process and info sheets: it works on a register whose other sheets are
# broken, and is refused like any write where the file or the Process sheet is. evaluate
# reads like list (a bad row is left out of the figures) and is refused where list is.
FORMS_REFUSED = {"zero_byte", "truncated", "text_file", "docx_zip", "password", "xls_renamed", "ods_renamed", "folder",
                 "missing_file", "process_loop", "process_unknown_next", "process_standard_text", "process_missing_column",
                 "open_in_excel", "open_in_libreoffice", "read_only"}
for _name, _e in EXPECT.items():
    if "forms" in EXTRA:
        _e["forms"] = _e["register"] if _name in FORMS_REFUSED else (0, OK["forms"])
    if "evaluate" in EXTRA:
        _e["evaluate"] = _e["list"] if _e["list"][0] == 1 else (0, OK["evaluate"])
if "forms" in EXTRA:
    EXPECT["sheet_missing_process"]["forms"] = (1, f'Error: sheet_missing_process.xlsx: the sheet "{PROC}" is missing — the forms are made from it')

#: The values a case that must work has to read (not merely "no error").
VALUES = {
    "date_text_be": lambda b: b.letters["2/2569"].received_at == datetime(2026, 11, 25, 9, 7),
    "date_text_ce": lambda b: b.letters["2/2569"].received_at == datetime(2026, 11, 25, 9, 7),
    "date_text_thai_digits": lambda b: b.letters["2/2569"].received_at == datetime(2026, 11, 25, 9, 7),
    "date_text_thai_month": lambda b: b.letters["2/2569"].received_at == datetime(2026, 11, 25, 9, 7),
    "date_text_iso": lambda b: b.letters["2/2569"].received_at == datetime(2026, 11, 25, 9, 7),
    "date_text_short_be": lambda b: b.letters["2/2569"].reply_by == date(2026, 11, 30),
    "letter_date_thai_words": lambda b: b.letters["2/2569"].letter_date == date(2026, 11, 20),
    "reply_by_thai_digits": lambda b: b.letters["2/2569"].reply_by == date(2026, 11, 30),
    "reply_by_ce_text": lambda b: b.letters["2/2569"].reply_by == date(2026, 11, 30),
    "reply_by_serial": lambda b: b.letters["2/2569"].reply_by == date(2026, 11, 30),
    "calendar_text_date_valid": lambda b: any(h.day == date(2026, 12, 30) and h.name == "วันหยุดพิเศษ (ครม.)" for h in b.holidays),
    "columns_reordered": lambda b: b.letters["2/2569"].subject == "ขอข้อมูลแรงงานต่างด้าว",
    "header_english": lambda b: b.letters["3/2569"].subject == "ขอความเห็นร่างบันทึกความเข้าใจ",
    "merged_subject": lambda b: b.letters["2/2569"].subject == "ขอข้อมูลแรงงานต่างด้าว" and b.letters["3/2569"].subject == "",
    "blank_rows": lambda b: set(b.letters) == {"1/2569", "2/2569", "3/2569"} and b.register_rows["2/2569"] == 6,
    "log_text_time": lambda b: b.log[1].at == datetime(2026, 11, 25, 9, 5),
}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, request):
    """The corpus, generated once per session (LibreOffice makes the .xls and .ods)."""
    h.install_summary(request.config)
    root = tmp_path_factory.mktemp("corpus")
    return root, make_corpus(root)


def test_corpus_has_at_least_sixty_broken_inputs_and_a_row_in_the_table_for_each(corpus):
    root, cases = corpus
    assert len(cases) >= 60
    assert sorted(cases) == sorted(EXPECT)


def test_the_password_protected_case_is_a_real_encrypted_workbook(corpus):
    import msoffcrypto
    import olefile

    _, cases = corpus
    p = cases["password"].path
    assert olefile.isOleFile(str(p))
    assert {"EncryptionInfo", "EncryptedPackage"} <= {"/".join(e) for e in olefile.OleFileIO(str(p)).listdir()}
    with open(p, "rb") as f:
        assert msoffcrypto.OfficeFile(f).is_encrypted()


def test_the_renamed_xls_and_ods_are_what_libreoffice_writes(corpus):
    import olefile
    import zipfile

    _, cases = corpus
    assert olefile.isOleFile(str(cases["xls_renamed"].path))
    assert "Workbook" in {"/".join(e) for e in olefile.OleFileIO(str(cases["xls_renamed"].path)).listdir()}
    with zipfile.ZipFile(cases["ods_renamed"].path) as z:
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_every_command_works_or_names_the_cell_and_the_fix_and_changes_nothing(corpus, name, tmp_path):
    root, cases = corpus
    case = cases[name]
    expect = EXPECT[name]
    h.TALLY["corpus cases"] += 1
    h.TALLY["broken inputs"] += 1
    wrong: list[str] = []
    for cmd, argv in {**COMMANDS, **EXTRA}.items():
        f = h.stage(case.path, root, tmp_path / cmd)
        before_file, before_folder = h.sha256(f), h.folder_state(f.parent)
        try:
            before_book = bk.load(f)
        except Exception:
            before_book = None
        code, out, exc = h.run_cli(*[a.replace("{f}", str(f)) for a in argv])
        h.TALLY["command runs"] += 1
        want_code, fragments = expect[cmd]
        fragments = (fragments,) if isinstance(fragments, str) else fragments
        if exc or "Traceback" in out:
            wrong.append(f"{cmd}: a traceback\n{exc or out}")
            continue
        if code != want_code:
            wrong.append(f"{cmd}: exit {code}, expected {want_code}\n{out}")
        for frag in fragments:
            h.TALLY["messages asserted"] += 1
            if frag not in out:
                wrong.append(f"{cmd}: expected {frag!r}\n  in: {out!r}")
        after_folder = h.folder_state(f.parent)
        if cmd == "evaluate" and code == 0:  # a new workbook beside the register, nothing else
            made = str((f.parent / EVALUATION).relative_to(f.parent))
            if made not in after_folder:
                wrong.append(f"{cmd}: no {EVALUATION}")
            after_folder = {k: v for k, v in after_folder.items() if k != made}
        changed = after_folder != before_folder
        if cmd in WRITES and code == 0:
            if not changed:
                wrong.append(f"{cmd}: said it worked but wrote nothing")
            if before_book is None:  # forms on a register whose other sheets cannot be read
                continue
            after = bk.load(f)
            old = [e.hash for e in before_book.log]
            if [e.hash for e in after.log][: len(old)] != old:
                wrong.append(f"{cmd}: old Log rows changed")
            if not set(before_book.letters) <= set(after.letters):
                wrong.append(f"{cmd}: Register letters lost: {set(before_book.letters) - set(after.letters)}")
        elif changed:
            h.TALLY["bytes lost"] += f.stat().st_size if before_file and f.is_file() else 1
            wrong.append(f"{cmd}: the folder changed though the command {'failed' if code else 'only reads'}")
    if name in VALUES:
        h.TALLY["messages asserted"] += 1
        if not VALUES[name](bk.load(case.path)):
            wrong.append("the value read is not the value typed")
    assert not wrong, f"{name} ({case.what}):\n" + "\n".join(wrong)

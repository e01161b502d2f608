"""The manual's own words: ``data/process.toml`` against section ๖ of the work manual.

Every name (main steps and sub-steps), indicator, reference, form, time standard and role of
the process table, and the follow-up column (who evaluates at which round), is compared
with the text of the manual (``shared/seed/000_38ae14a38da12aa0.txt``, extracted from its
PDF), so that a shortened or re-worded text fails here. Only whitespace is normalised (runs
of spaces become one; around "/" in role lists, none), and only the extraction errors listed
in :data:`CORRECTIONS` are corrected, each of them named in a comment of the toml.

How the extraction lays out section ๖'s table: one line per row, cells between tabs. Page ๕
has a line per sub-step (cells: -, -, "๑.๑ name", role, time, indicator, follow-up by,
follow-up round, reference, form). Page ๖ has a line per main step whose cells hold both of
its sub-steps, one after the other with a space between ("๓.๑ name ๓.๒ name"); its
follow-up cell repeats the times, and its one form cell ("-") stands for both sub-steps.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import pytest

from xlflow.process import FollowUp, Process
from xlflow.thaidate import to_arabic_digits

SEED = Path(os.environ.get("XLFLOW_MANUAL", Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_38ae14a38da12aa0.txt"))
MANUAL = Process.default()
TOML = resources.files("xlflow").joinpath("data/process.toml").read_text("utf-8")

#: The extraction errors of section ๖ (what the extracted text reads → what the manual says).
CORRECTIONS = (
    ("ขส.สปร.", "ชช.สปร."),  # ผู้เชี่ยวชาญประจำสำนักฯ: section ๕ and 4.1 spell it ชช.สปร.
    ("ทำที่", "ท่าที"),  # position, stance
    ("ประชุมหรือหน่วยงาน", "ประชุมหารือหน่วยงาน"),  # a meeting to consult ("และ/หรือ" is the manual's own)
    ("กรมออบหมาย", "การมอบหมาย"),
    # 4.2: "ในสายงาน)" read as "ไปรายงาน", the parenthesis lost; section ๕: "ที่รับผิดชอบ ในสายงาน) เพื่อโปรดทราบ"
    ("ที่รับผิดชอบไปรายงานเพื่อโปรดทราบ", "ที่รับผิดชอบในสายงาน) เพื่อโปรดทราบ"),
)

PAGE5 = {"name": 2, "role": 3, "time": 4, "indicator": 5, "follow_by": 6, "follow_round": 7, "reference": 8, "form": 9}
PAGE6 = {"name": 2, "role": 3, "time": 4, "indicator": 5, "reference": 7, "form": 8}
CODE = re.compile(r"(?:^| )([๑-๙])\.([๑-๙]) ")

@pytest.fixture(autouse=True)
def the_manual_is_here():
    """The manual is the authority; without it these tests fail, never skip (CI has ../shared beside the clone)."""
    assert SEED.is_file(), f"the manual's text is not at {SEED} — put ../shared beside the clone, or set XLFLOW_MANUAL"


def ws(s: str) -> str:
    """Whitespace normalised: runs of spaces, tabs and line breaks become one space."""
    return " ".join(s.split())


def roles(s: str) -> str:
    """A role list with the spaces around its "/" dropped (the manual writes "/ " or "/")."""
    return re.sub(r"\s*/\s*", "/", ws(s))


def minutes(thai: str) -> list[int]:
    """ "๑ ชม. ๒ ชม." → [60, 120]; "๑๕ นาที" → [15]."""
    return [int(n) * (60 if unit == "ชม." else 1) for n, unit in re.findall(r"(\d+) (ชม\.|นาที)", to_arabic_digits(thai))]


def section(text: str, start: str, end: str) -> str:
    """The text from the heading ``start`` to the next ``end`` (the contents list comes before both)."""
    i = text.index(start)
    return text[i:text.index(end, i)]


@pytest.fixture(scope="module")
def raw_section6() -> str:
    return section(SEED.read_text("utf-8"), "๖. รายละเอียดวิธีการปฏิบัติงาน (Work Instruction)", "๗. มาตรฐานงาน")


@pytest.fixture(scope="module")
def table(raw_section6):
    """Section ๖ with the extraction errors corrected → (steps: number → name, rows: code →
    {field: text}, the page-๖ cells per step: number → {field: text})."""
    text = raw_section6
    for wrong, right in CORRECTIONS:
        text = text.replace(wrong, right)
    steps: dict[int, str] = {}
    rows: dict[str, dict[str, str]] = {}
    page6: dict[int, dict[str, str]] = {}
    on_page6 = False
    for line in text.splitlines():
        if line.strip() == "๖":  # the page number between the two pages of the table
            on_page6 = True
        cells = line.split("\t")
        if len(cells) < 9:
            continue
        if re.fullmatch(r"[๑-๙]", cells[0]):
            steps[int(to_arabic_digits(cells[0]))] = ws(cells[1])
        names = [m for m in CODE.finditer(cells[2])]
        if not names:
            continue
        if on_page6:
            page6[int(to_arabic_digits(cells[0]))] = {f: ws(cells[i]) for f, i in PAGE6.items()}
        for k, m in enumerate(names):
            code = to_arabic_digits(f"{m[1]}.{m[2]}")
            end = names[k + 1].start() if k + 1 < len(names) else len(cells[2])
            row = {"name": ws(cells[2][m.end():end])}
            if not on_page6:
                row |= {f: ws(cells[i]) for f, i in PAGE5.items() if f != "name"}
            rows[code] = row
    return steps, rows, page6


# -- the extraction and its corrections ---------------------------------------------------------------
def test_each_correction_mends_a_text_the_extraction_has_and_the_toml_says_so(raw_section6):
    comments = "\n".join(line.split("#", 1)[1] for line in TOML.splitlines() if "#" in line)
    texts = [st.name_th for st in MANUAL.steps] + [v for s in MANUAL for v in (s.name_th, s.indicator, s.reference, s.form)]
    for wrong, right in CORRECTIONS:
        assert wrong in raw_section6, f"{wrong!r} is no longer in section ๖ of the manual's text: drop the correction"
        assert wrong in comments, f"no comment in process.toml says that the extraction reads {wrong!r}"
        assert not [t for t in texts if wrong in t], f"{wrong!r} is an extraction error: write {right!r}"


def test_the_table_of_section_6_is_read_whole(table):
    steps, rows, page6 = table
    assert sorted(steps) == [s.step for s in MANUAL.steps]
    assert list(rows) == [s.code for s in MANUAL]
    assert sorted(page6) == [3, 4, 5]


# -- every text of the process table, as the manual prints it -------------------------------------------
def test_main_step_names_are_section_6s(table):
    steps, _, _ = table
    assert [(s.step, s.name_th) for s in MANUAL.steps] == sorted(steps.items())


@pytest.mark.parametrize("code", [s.code for s in MANUAL])
def test_substep_name_is_section_6s(table, code):
    assert MANUAL[code].name_th == table[1][code]["name"]


@pytest.mark.parametrize("field", ["indicator", "reference", "form"])
def test_indicator_reference_and_form_are_section_6s(table, field):
    _, rows, page6 = table
    wrong = [(s.code, getattr(s, field), rows[s.code][field]) for s in MANUAL
             if field in rows[s.code] and getattr(s, field) != rows[s.code][field]]  # page ๕: a cell of its own
    for step, cells in page6.items():
        ours = [getattr(s, field) for s in MANUAL if s.step == step]
        # page ๖: the sub-steps' texts one after the other, or one merged cell for all of them
        if " ".join(ours) != cells[field] and set(ours) != {cells[field]}:
            wrong.append((f"step {step}", " ".join(ours), cells[field]))
    assert wrong == [], f"process.toml ({field}) differs from section ๖ (sub-step, ours, the manual's):"


def test_time_standards_and_roles_are_section_6s(table):
    _, rows, page6 = table
    wrong = [(s.code, s.standard, s.role) for s in MANUAL if "time" in rows[s.code]
             and ([s.standard], roles(s.role)) != (minutes(rows[s.code]["time"]), roles(rows[s.code]["role"]))]
    for step, cells in page6.items():
        subs = [s for s in MANUAL if s.step == step]
        if [s.standard for s in subs] != minutes(cells["time"]) or " ".join(roles(s.role) for s in subs) != roles(cells["role"]):
            wrong.append((f"step {step}", [s.standard for s in subs], [s.role for s in subs]))
    assert wrong == []


def test_follow_up_is_section_6s_column_and_section_8_is_quoted_word_for_word(table):
    _, rows, _ = table
    printed = [FollowUp(int(to_arabic_digits(r["follow_round"]).removesuffix(" เดือน")), r["follow_by"])
               for r in rows.values() if r.get("follow_by")]
    assert printed == [FollowUp(9, "กลุ่มวิเทศสัมพันธ์"), FollowUp(12, "สำนักประสานความร่วมมือระหว่างประเทศ")]
    assert all(s.follow_ups == tuple(printed) for s in MANUAL)  # printed once, for the whole table
    section8 = section(SEED.read_text("utf-8"), "\n๘. ระบบติดตามและประเมินผล\n", "\nภาคผนวก\n").split("\n", 2)[2]
    assert MANUAL.meta["section8"]["text_th"] == ws(section8)

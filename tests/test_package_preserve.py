"""A write keeps what the office added to its register, byte for byte.

Every register of :mod:`decorated` carries one decoration openpyxl would drop (sparklines,
threaded comments, a pivot table with a slicer, VBA, …). Each writing command runs on it
through the command line, and then:

(a) every zip member the action did not need to change is the same member — same CRC, same
    compressed bytes — and only the Register sheet, the Log sheet, the Register's Table (and
    xl/calcChain.xml, which may be dropped with its relationship and override) may differ;
(b) the package still keeps Excel's structure rules;
(c) openpyxl and python-calamine read it, and the Log's hash chain is intact;
(d) the decoration's own XML is still there, also inside the rewritten Register sheet.

The Table variants (Total Row, calculated column, a signature line below the Table) and the
.xlsm have tests of their own; LibreOffice opens a decorated register after an action.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

import decorated as d
from decorated import DECORATIONS, REG, assert_kept, raw_members, read_cells, register_parts, structure_problems
from xlflow.cli import main

NAME = "Coordination_Register.xlsx"
INTACT = "the log is intact\n"

# The commands, as the office types them; {book} is the register.
REGISTER = ("register", "{book}", "--subject", "ขอเชิญประชุมความร่วมมือด้านแรงงาน ILO", "--sender", "กรมการจัดหางาน",
            "--at", "2026-11-25T09:00", "--by", "สารบรรณ")
REGISTER_2 = ("register", "{book}", "--subject", "ขอข้อมูลแรงงานต่างด้าว", "--at", "2026-11-25T09:30", "--by", "สารบรรณ")
ASSIGN = ("assign", "{book}", "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "หัวหน้างานบริหาร")
ADVANCE = ("advance", "{book}", "1/2569", "--at", "2026-11-25T09:10", "--by", "หัวหน้างานบริหาร")
REFRESH = ("refresh", "{book}", "--now", "2026-11-26T10:00")

#: command → (the steps done before the snapshot, the action under test, what it prints)
COMMANDS = {
    "register": ((), REGISTER, "1/2569\n"),
    "assign": ((REGISTER,), ASSIGN, "1/2569  1.2 "),
    "advance": ((REGISTER, ASSIGN), ADVANCE, "1/2569  1.3 "),
    "refresh": ((REGISTER,), REFRESH, "refreshed 1 item(s)\n"),
}


def args(step: tuple[str, ...], book: Path) -> list[str]:
    return [str(book) if a == "{book}" else a for a in step]


@pytest.fixture(scope="session")
def prepared(tmp_path_factory):
    """``prepared(decoration, steps)`` → a fresh copy (in its own folder) of the decorated
    register after the command-line ``steps``. Each builder runs once per session, and each
    prefix of steps once per builder."""
    runner = CliRunner()
    cache: dict[tuple, Path | str] = {}

    def state(name: str, steps: tuple) -> Path:
        key = (name, steps)
        if key not in cache:
            folder = tmp_path_factory.mktemp(f"{name}-{len(steps)}")
            try:
                if not steps:
                    cache[key] = DECORATIONS[name].make(folder / NAME)
                else:
                    prev = state(name, steps[:-1])
                    book = folder / prev.name
                    shutil.copy2(prev, book)
                    r = runner.invoke(main, args(steps[-1], book), catch_exceptions=False)
                    if r.exit_code != 0:
                        raise AssertionError(f"{' '.join(steps[-1][:1])} before the snapshot failed (exit {r.exit_code}): {r.output}")
                    cache[key] = book
            except Exception as e:  # every test of this state fails with the same reason
                cache[key] = f"{type(e).__name__}: {e}"
        got = cache[key]
        if isinstance(got, str):
            pytest.fail(f"{name}: {got}")
        return got

    def copy(name: str, steps: tuple, dest: Path) -> Path:
        src = state(name, steps)
        dest.mkdir(parents=True, exist_ok=True)
        out = dest / src.name
        shutil.copy2(src, out)
        return out

    return copy


def snapshot(book: Path, tmp_path: Path) -> Path:
    before = tmp_path / "before" / book.name
    before.parent.mkdir()
    shutil.copy2(book, before)
    return before


def may_change(before: Path) -> set[str]:
    """The parts an action may rewrite: the Register and Log sheets, the Register's Table and
    the calculation chain — found through workbook.xml and its relationships."""
    parts = register_parts(before)
    return {parts["register"], parts["log"], parts["table"], "xl/calcChain.xml"}


def _types(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read(d.CT))
    defaults = {e.get("Extension").lower(): e.get("ContentType") for e in root if e.tag.endswith("Default")}
    overrides = {e.get("PartName"): e.get("ContentType") for e in root if e.tag.endswith("Override")}
    return defaults, overrides


def _wb_rels(path: Path) -> set[tuple[str, str]]:
    wb = register_parts(path)["workbook"]
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read(d.Package.rels_name(wb)))
    return {(r.get("Type"), r.get("TargetMode") or d.resolve(wb, r.get("Target"))) for r in root}


def calc_chain_drop_problems(before: Path, after: Path) -> list[str]:
    """A dropped xl/calcChain.xml may take its relationship and override with it, and nothing else."""
    old_defaults, old_overrides = _types(before)
    new_defaults, new_overrides = _types(after)
    problems = []
    if new_defaults != old_defaults:
        problems.append(f"[Content_Types].xml: Defaults changed {old_defaults} → {new_defaults}")
    gone = {k: v for k, v in old_overrides.items() if k != "/xl/calcChain.xml"}
    if new_overrides != gone:
        problems.append(f"[Content_Types].xml: Overrides changed beyond the calcChain: "
                        f"lost {sorted(set(gone) - set(new_overrides))}, gained {sorted(set(new_overrides) - set(gone))}")
    rels = {r for r in _wb_rels(before) if not r[0].endswith("/calcChain")}
    if _wb_rels(after) != rels:
        problems.append(f"workbook relationships changed beyond the calcChain: lost {sorted(rels - _wb_rels(after))}, "
                        f"gained {sorted(_wb_rels(after) - rels)}")
    return problems


def check_kept(before: Path, after: Path) -> None:
    """(a): every member not rewritten by the action is copied as its raw compressed bytes."""
    allowed = may_change(before)
    if "xl/calcChain.xml" in raw_members(before) and "xl/calcChain.xml" not in raw_members(after):
        assert calc_chain_drop_problems(before, after) == []
        allowed |= {d.CT, d.Package.rels_name(register_parts(before)["workbook"])}
    assert_kept(before, after, allowed)


def check_reads(after: Path, xlflow) -> None:
    """(c): openpyxl and python-calamine read every sheet; the Log's chain is intact."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "… extension is not supported and will be removed": openpyxl reads, it does not write here
        wb = openpyxl.load_workbook(after)
    assert REG in wb.sheetnames
    cal = CalamineWorkbook.from_path(str(after))
    assert all(cal.get_sheet_by_name(n).to_python() is not None for n in cal.sheet_names)
    assert cal.sheet_names == wb.sheetnames
    r = xlflow("verify", after)
    assert (r.exit_code, r.output.splitlines()[0] + "\n") == (0, INTACT)


def _top_tags(xml: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, _ in d._top_children(xml.encode("utf-8")):
        counts[name] = counts.get(name, 0) + 1
    return counts


def _rids(xml: str) -> set[str]:
    return {v for e in ET.fromstring(xml).iter() for k, v in e.attrib.items() if k == f"{{{d.NS_R}}}id"}


def decoration_problems(deco: d.Decoration, before: Path, after: Path) -> list[str]:
    """(d): the decoration's marks are still in their sheet or part; the rewritten sheets keep
    every element (not just sheetData rows) and every relationship they referenced."""
    problems = []
    with zipfile.ZipFile(after) as z:
        names = set(z.namelist())
    for where, text in deco.marks:
        old, new = d.mark_text(before, where) or "", d.mark_text(after, where) or ""
        if text not in old:  # the builder makes it (test_the_builders_…): a step before the snapshot lost it
            problems.append(f"{where}: lost {text[:120]!r} already in the steps before the snapshot")
            continue
        if text not in new:
            problems.append(f"{where}: lost {text[:120]!r}")
    for part in deco.parts:
        if part not in names:
            problems.append(f"{part}: missing")
    parts = register_parts(before)
    for sheet in (REG, d.LOG):
        old, new = d.sheet_xml(before, sheet), d.sheet_xml(after, sheet)
        lost_tags = {t: n for t, n in _top_tags(old).items() if _top_tags(new).get(t, 0) < n}
        if lost_tags:
            problems.append(f"{sheet} ({parts['register'] if sheet == REG else parts['log']}): lost top-level element(s) {lost_tags}")
        lost_rids = _rids(old) - _rids(new)
        if lost_rids:
            problems.append(f"{sheet}: no longer references relationship(s) {sorted(lost_rids)}")
    return problems


def run(prepared, name: str, command: str, tmp_path: Path, xlflow) -> tuple[Path, Path]:
    """The decorated register after ``command``'s earlier steps; snapshot; the action. → (before, after)."""
    steps, action, prints = COMMANDS[command]
    book = prepared(name, steps, tmp_path / "book")
    before = snapshot(book, tmp_path)
    r = xlflow(*args(action, book))
    assert r.exit_code == 0, r.output
    assert r.output.startswith(prints), r.output
    return before, book


DECORATION_PARAMS = [pytest.param(n, marks=pytest.mark.libreoffice) if deco.libreoffice else n for n, deco in DECORATIONS.items()]


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("name", DECORATION_PARAMS)
def test_an_action_keeps_the_office_decoration(prepared, name, command, tmp_path, xlflow):
    before, after = run(prepared, name, command, tmp_path, xlflow)
    check_kept(before, after)  # (a)
    assert structure_problems(after) == []  # (b)
    check_reads(after, xlflow)  # (c)
    assert decoration_problems(DECORATIONS[name], before, after) == []  # (d)
    letter = json.loads(xlflow("show", after, "1/2569", "--json", "--now", "2026-11-26T10:00").stdout)
    assert letter["item"] == "1/2569"
    if command == "assign":
        assert letter["unit"] == "วท."
    if command == "advance":
        assert letter["substep"] == "1.3"


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_macro_enabled_register_stays_macro_enabled(prepared, command, tmp_path, xlflow):
    """(e): the .xlsm keeps its macro-enabled content type and its VBA project, byte for byte."""
    before, after = run(prepared, "xlsm", command, tmp_path, xlflow)
    assert after.suffix == ".xlsm" and list(after.parent.glob("*.xlsx")) == []
    workbook = register_parts(after)["workbook"]
    assert _types(after)[1][f"/{workbook}"] == d.CTYPE["macroMain"]
    assert _types(after)[0]["bin"] == d.CTYPE["vbaProject"]
    assert raw_members(after)["xl/vbaProject.bin"] == raw_members(before)["xl/vbaProject.bin"]
    assert (d.REL["vbaProject"], "xl/vbaProject.bin") in _wb_rels(after)
    assert 'codeName="ThisWorkbook"' in d.part_text(after, workbook)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert openpyxl.load_workbook(after, keep_vba=True).vba_archive is not None


# -- the Register's Table, as offices change it -------------------------------------------------------
def table_xml(path: Path) -> str:
    return d.part_text(path, register_parts(path)["table"])


def listed(path: Path, xlflow) -> list[str]:
    r = xlflow("list", path, "--json", "--now", "2026-11-26T10:00")
    assert r.exit_code == 0, r.output
    return [v["item"] for v in json.loads(r.stdout)]


def column_a(path: Path, rows) -> list[str | None]:
    cells = read_cells(path, REG)
    return [cells[f"A{r}"].text if f"A{r}" in cells else None for r in rows]


def register_two(book: Path, tmp_path: Path, xlflow) -> tuple[Path, Path]:
    """Letter 1 fills the Table's empty row; snapshot; letter 2 must grow the Table."""
    r = xlflow(*args(REGISTER, book))
    assert (r.exit_code, r.output) == (0, "1/2569\n")
    before = snapshot(book, tmp_path)
    r = xlflow(*args(REGISTER_2, book))
    assert (r.exit_code, r.output) == (0, "2/2569\n")
    check_kept(before, book)
    assert structure_problems(book) == []
    check_reads(book, xlflow)
    return before, book


def test_a_total_row_moves_down_below_the_new_letter_and_is_never_a_letter(tmp_path, xlflow):
    book = d.make_total_row(tmp_path / NAME)
    assert listed(book, xlflow) == []
    r = xlflow(*args(REGISTER, book))
    assert (r.exit_code, r.output) == (0, "1/2569\n")
    assert column_a(book, (2, 3, 4)) == ["1/2569", d.TOTAL_LABEL, None], "the first letter goes into the Table's empty data row, above the Total Row"
    cells = read_cells(book, REG)
    assert cells["A3"].text == d.TOTAL_LABEL and cells["U3"].formula == d.TOTAL_FORMULA
    before = snapshot(book, tmp_path)
    r = xlflow(*args(REGISTER_2, book))
    assert (r.exit_code, r.output) == (0, "2/2569\n")
    assert column_a(book, (2, 3, 4, 5)) == ["1/2569", "2/2569", d.TOTAL_LABEL, None]
    cells = read_cells(book, REG)
    assert cells["U4"].formula == d.TOTAL_FORMULA, "the total row moved down one, its SUBTOTAL with it"
    assert "U3" not in cells or cells["U3"].formula != d.TOTAL_FORMULA
    table = table_xml(book)
    assert re.search(rf'<table\b[^>]*\bref="A1:{d.LAST}4"', table) and 'totalsRowCount="1"' in table
    assert re.search(rf'<autoFilter ref="A1:{d.LAST}3"', table)
    assert f'totalsRowLabel="{d.TOTAL_LABEL}"' in table and 'totalsRowFunction="sum"' in table
    check_kept(before, book)
    assert structure_problems(book) == []
    check_reads(book, xlflow)
    assert listed(book, xlflow) == ["1/2569", "2/2569"]
    r = xlflow("list", book, "--now", "2026-11-26T10:00")
    assert d.TOTAL_LABEL not in r.stderr, "the Total Row is not a letter, nor a row that cannot be read"
    r = xlflow(*args(ASSIGN, book))  # an action on a letter above the Total Row leaves the Total Row be
    assert r.exit_code == 0, r.output
    cells = read_cells(book, REG)
    assert (cells["A4"].text, cells["U4"].formula, cells["M2"].text) == (d.TOTAL_LABEL, d.TOTAL_FORMULA, "วท.")


def test_a_calculated_column_the_office_added_is_filled_into_the_new_row(tmp_path, xlflow):
    book = d.make_calculated_column(tmp_path / NAME)
    before, after = register_two(book, tmp_path, xlflow)
    cells = read_cells(after, REG)
    assert cells[f"{d.NEXT}1"].text == d.CALC_HEADER
    assert column_a(after, (2, 3, 4)) == ["1/2569", "2/2569", None]
    assert cells[f"{d.NEXT}2"].formula, "the calculated column keeps its formula in the first letter's row"
    assert f"{d.NEXT}3" in cells and cells[f"{d.NEXT}3"].formula is not None, "the new row's cell of the calculated column has a formula"
    table = table_xml(after)
    assert re.search(rf'<table\b[^>]*\bref="A1:{d.NEXT}3"', table) and "<calculatedColumnFormula>" in table
    assert listed(after, xlflow) == ["1/2569", "2/2569"]


def test_a_signature_line_below_the_table_stays_where_it_was_typed(tmp_path, xlflow):
    book = d.make_signature_line(tmp_path / NAME)
    before, after = register_two(book, tmp_path, xlflow)
    assert column_a(after, range(2, 7)) == ["1/2569", "2/2569", d.SIGNATURE, None, None], \
        "letter 1 fills the Table's empty row, letter 2 the row directly below the Table; the signature line stays on row 4"
    assert d.SIGNATURE_ROW in d.sheet_xml(after, REG), "the signature line is unchanged, byte for byte"
    assert re.search(rf'<table\b[^>]*\bref="A1:{d.LAST}3"', table_xml(after))
    assert listed(after, xlflow) == ["1/2569", "2/2569"]


# -- the helpers themselves -----------------------------------------------------------------------------
def test_the_builders_make_registers_xlflow_reads_with_their_decoration(tmp_path, xlflow):
    for name, deco in DECORATIONS.items():
        if deco.libreoffice:
            continue
        book = deco.make(tmp_path / name / NAME)
        assert structure_problems(book) == [], name
        r = xlflow("list", book, "--json", "--now", "2026-11-26T10:00")
        assert (r.exit_code, json.loads(r.stdout)) == (0, []), (name, r.output)
        for where, text in deco.marks:
            assert text in (d.mark_text(book, where) or ""), (name, where, text[:80])
        assert set(deco.parts) <= set(zipfile.ZipFile(book).namelist()), name
        assert book.read_bytes() == deco.make(tmp_path / name / "again" / NAME).read_bytes(), f"{name} is not deterministic"


def test_the_checks_catch_what_they_are_for(tmp_path):
    book = d.make_everything(tmp_path / NAME)
    same = tmp_path / "same.xlsx"
    shutil.copy2(book, same)
    assert_kept(book, same, set())
    # a member re-compressed with the same content is not kept
    recompressed = tmp_path / "recompressed.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(recompressed, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info), compress_type=zipfile.ZIP_STORED if info.filename.endswith("app.xml") else zipfile.ZIP_DEFLATED,
                         compresslevel=None if info.filename.endswith("app.xml") else 6)
    with pytest.raises(AssertionError, match=r"docProps/app.xml: same content but re-compressed"):
        assert_kept(book, recompressed, set())
    # a dangling relationship, a missing content type, a table header that does not match, rows out of order
    broken = d.Package(book.read_bytes())
    broken.put("xl/orphan.bin", b"x")
    broken.edit(register_parts(book)["table"], lambda t: t.replace('name="เรื่อง"', 'name="Subject"'))
    reg = register_parts(book)["register"]
    broken.edit(reg, lambda t: t.replace('<row r="2">', '<row r="1">', 1))
    broken.edit(d.Package.rels_name(reg), lambda t: t.replace("../ctrlProps/ctrlProp1.xml", "../ctrlProps/gone.xml"))
    bad = broken.save(tmp_path / "broken.xlsx")
    found = "\n".join(structure_problems(bad))
    for expected in ("xl/orphan.bin: has no content type", "gone.xml, which is not in the package", "'Subject'", "rows must increase"):
        assert expected in found, found
    assert d.kept_problems(book, bad, set()) != []
    # a rewritten Register sheet that lost its extLst (sparklines, data bar, x14 validation) or its drawing
    stripped = d.Package(book.read_bytes())
    stripped.edit(reg, lambda t: re.sub(r"<extLst>(?:(?!<extLst>).)*</extLst></worksheet>", "</worksheet>", t, flags=re.S))
    stripped.edit(reg, lambda t: re.sub(r'<drawing r:id="[^"]+"/>', "", t))
    lost = "\n".join(decoration_problems(DECORATIONS["everything"], book, stripped.save(tmp_path / "stripped.xlsx")))
    assert "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" in lost and "'extLst': 1" in lost and "'drawing': 1" in lost, lost


@pytest.mark.libreoffice
def test_libreoffice_opens_a_decorated_register_after_an_action(tmp_path, xlflow):
    book = d.make_everything(tmp_path / "book" / NAME)
    r = xlflow(*args(REGISTER, book))
    assert (r.exit_code, r.output) == (0, "1/2569\n")
    r = xlflow(*args(ASSIGN, book))
    assert r.exit_code == 0, r.output
    out = tmp_path / "ods"
    done = d.libreoffice("--convert-to", "ods", "--outdir", str(out), str(book), profile=tmp_path / "profile")
    ods = out / (book.stem + ".ods")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ods.exists() and ods.stat().st_size > 0, done.stdout + done.stderr
    content = zipfile.ZipFile(ods).read("content.xml").decode("utf-8")
    assert f'table:name="{REG}"' in content and "1/2569" in content
    assert "table:data-pilot-table" in content and "calcext:sparkline-group" in content  # the pivot table and the sparklines came through


# -- the other writes: the forms, and a Log that goes on in a new sheet ---------------------------------------
def _form_parts(path: Path) -> set[str]:
    from xlflow.schema import SHEETS

    parts = dict((name, part) for name, _, _, part in d.Package(path.read_bytes()).sheets())
    return {parts[SHEETS["form_design"]], parts[SHEETS["form_steps"]]}


def _drawings_of(path: Path, sheet: str) -> set[str]:
    """The drawing part of ``sheet`` (xlflow draws the flow chart into it)."""
    pkg = d.Package(path.read_bytes())
    part = pkg.sheet_part(sheet)
    return {d.resolve(part, r["Target"]) for r in pkg.rels(part) if r["Type"].endswith("/drawing")}


def test_forms_rewrite_only_the_form_sheets_and_keep_what_the_office_added_to_them(prepared, tmp_path, xlflow):
    from xlflow.schema import SHEETS

    book = prepared("everything", (REGISTER,), tmp_path / "book")
    assert xlflow("forms", book).exit_code == 0
    # the office types a signature line far below the design form, and the form is filled again
    pkg = d.Package(book.read_bytes())
    design = pkg.sheet_part(SHEETS["form_design"])
    pkg.edit(design, lambda t: d.widen_dimension(d.put_cell(t, d.inline("B80", "ลงชื่อ ............ ผู้จัดทำ"))))
    pkg.save(book)
    before = snapshot(book, tmp_path)
    r = xlflow("forms", book)
    assert r.exit_code == 0, r.output
    # the form sheets, the styles their cells use and the print names in the workbook may change; nothing else
    allowed = _form_parts(before) | {"xl/styles.xml", register_parts(before)["workbook"]} | _drawings_of(before, SHEETS["form_design"])
    assert_kept(before, book, allowed)
    assert structure_problems(book) == []
    check_reads(book, xlflow)
    cells = read_cells(book, SHEETS["form_design"])
    assert cells["B80"].text == "ลงชื่อ ............ ผู้จัดทำ"
    assert cells["A1"].text == SHEETS["form_design"]


def test_a_log_that_goes_on_in_a_new_sheet_keeps_the_package_whole(prepared, tmp_path, xlflow, monkeypatch):
    from xlflow import schema

    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", 2)
    book = prepared("everything", (REGISTER, ASSIGN), tmp_path / "book")  # the Log's 2 rows are full
    before = snapshot(book, tmp_path)
    r = xlflow(*args(ADVANCE, book))
    assert r.exit_code == 0, r.output
    parts = register_parts(before)
    wb = parts["workbook"]
    allowed = may_change(before) | {wb, d.Package.rels_name(wb), d.CT, "docProps/app.xml"}
    assert_kept(before, book, allowed, new_allowed=(r"xl/worksheets/sheet\d+\.xml", r"xl/worksheets/_rels/sheet\d+\.xml\.rels",
                                                    r"xl/comments/comment\d+\.xml", r"xl/drawings/commentsDrawing\d+\.vml"))
    assert structure_problems(book) == []
    check_reads(book, xlflow)
    names = [n for n, *_ in d.Package(book.read_bytes()).sheets()]
    assert names[names.index(schema.SHEETS["log"]) + 1] == schema.log_sheet_name(2)

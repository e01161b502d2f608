"""Which program makes the PDFs, and the errors of ``forms --pdf`` and ``evaluate -o`` as words.

LibreOffice when it is installed; on Windows without it, Excel through xlwings
(``Book.to_pdf``). The Excel path itself needs Windows with Excel, which these tests do
not have: they take LibreOffice away (the lookup is monkeypatched), pretend to be on
Windows with Excel registered, and put a stand-in for ``xlwings.App`` in place that
records the calls and writes a PDF, so the choice, the calls and the error wording are
checked; what Excel's PDF looks like is not.
"""

from __future__ import annotations

import os
import sys
import types

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

import xlflow.render as render
from xlflow import sharing
from xlflow.cli import main
from xlflow.render import RenderError, Renderer, choose_renderer, to_pdf


@pytest.fixture
def no_libreoffice(monkeypatch, tmp_path):
    monkeypatch.delenv("XLFLOW_SOFFICE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    monkeypatch.setattr(render, "KNOWN_PLACES", ())


@pytest.fixture
def windows_with_excel(monkeypatch):
    monkeypatch.setattr(render, "on_windows", lambda: True)
    monkeypatch.setattr(render, "excel_installed", lambda: True)


class FakeExcel:
    """Stands for xlwings' App on Windows: records what xlflow asks of Excel."""

    calls: list = []
    fail_on: str | None = None

    def __init__(self, visible=True, add_book=True):
        FakeExcel.calls.append(("App", visible, add_book))
        self.books = self

    @property
    def display_alerts(self):
        return True

    @display_alerts.setter
    def display_alerts(self, value):
        FakeExcel.calls.append(("display_alerts", value))

    def open(self, path, update_links=None, read_only=None):
        FakeExcel.calls.append(("open", os.path.basename(path), read_only))
        app = self

        class Book:
            def to_pdf(self, target, show=False):
                FakeExcel.calls.append(("to_pdf", os.path.basename(target), show))
                if app.fail_on == os.path.basename(path):
                    raise RuntimeError("(-2147352567, 'Exception occurred.')")
                with open(target, "wb") as f:
                    f.write(b"%PDF-1.7 made by Excel")

            def close(self):
                FakeExcel.calls.append(("close", os.path.basename(path)))
        return Book()

    def quit(self):
        FakeExcel.calls.append(("quit",))


@pytest.fixture
def fake_xlwings(monkeypatch):
    FakeExcel.calls = []
    FakeExcel.fail_on = None
    monkeypatch.setitem(sys.modules, "xlwings", types.SimpleNamespace(App=FakeExcel))
    return FakeExcel


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "Evaluation_FY2569_round9.xlsx"
    Workbook().save(path)
    return path


@pytest.mark.libreoffice
def test_libreoffice_is_chosen_where_it_is_installed():
    chosen = choose_renderer()
    assert chosen.name == "LibreOffice" and chosen.program.name in ("soffice", "libreoffice")


def test_on_windows_without_libreoffice_excel_is_chosen(no_libreoffice, windows_with_excel):
    assert choose_renderer() == Renderer("Excel")


def test_excel_makes_the_pdf_and_the_choice_is_told(no_libreoffice, windows_with_excel, fake_xlwings,
                                                   workbook, tmp_path, monkeypatch):
    told = []
    monkeypatch.setattr(render, "notice", told.append)
    (pdf,) = to_pdf([workbook], tmp_path / "pdf")
    assert pdf == (tmp_path / "pdf" / "Evaluation_FY2569_round9.pdf").resolve()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert told == ["PDF by Excel (through xlwings; LibreOffice is not installed)"]
    assert fake_xlwings.calls == [
        ("App", False, False),                       # a hidden Excel of its own, no blank book
        ("display_alerts", False),
        ("open", "Evaluation_FY2569_round9.xlsx", True),  # read-only
        ("to_pdf", "Evaluation_FY2569_round9.pdf", False),
        ("close", "Evaluation_FY2569_round9.xlsx"),
        ("quit",),
    ]


def test_an_excel_failure_names_the_file_and_excel_is_quit(no_libreoffice, windows_with_excel, fake_xlwings,
                                                            workbook, tmp_path, monkeypatch):
    monkeypatch.setattr(render, "notice", lambda text: None)
    fake_xlwings.fail_on = workbook.name
    with pytest.raises(RenderError) as e:
        to_pdf([workbook], tmp_path / "pdf")
    assert str(e.value) == ("Excel did not convert Evaluation_FY2569_round9.xlsx to PDF ((-2147352567, "
                            "'Exception occurred.')) — open the file in Excel to see whether it is damaged")
    assert fake_xlwings.calls[-2:] == [("close", workbook.name), ("quit",)]


def test_on_windows_without_either_program_the_error_says_what_to_install(no_libreoffice, monkeypatch, workbook, tmp_path):
    monkeypatch.setattr(render, "on_windows", lambda: True)
    monkeypatch.setattr(render, "excel_installed", lambda: False)
    with pytest.raises(RenderError) as e:
        to_pdf([workbook], tmp_path)
    assert str(e.value) == (
        "neither LibreOffice nor Excel is installed — PDFs are made with LibreOffice headless, or on Windows "
        "with Excel: install Excel or LibreOffice (libreoffice.org; or set XLFLOW_SOFFICE to its soffice.exe); "
        "the .xlsx files were written without PDFs")


def test_a_wrong_xlflow_soffice_is_an_error_not_a_fallback(monkeypatch, windows_with_excel, tmp_path):
    monkeypatch.setenv("XLFLOW_SOFFICE", str(tmp_path / "nowhere" / "soffice.exe"))
    with pytest.raises(RenderError, match=r"^XLFLOW_SOFFICE is "):
        choose_renderer()


def test_off_windows_there_is_no_excel(no_libreoffice, monkeypatch):
    monkeypatch.setattr(render, "on_windows", lambda: False)
    assert render.excel_installed() is False
    with pytest.raises(RenderError, match=r"^LibreOffice is not installed"):
        choose_renderer()


# -- forms --pdf and evaluate -o: Error lines ------------------------------------------------
@pytest.fixture
def register(register_book):
    return register_book


def test_forms_pdf_into_a_folder_that_cannot_be_made(register, tmp_path):
    blocker = tmp_path / "forms"
    blocker.write_text("a file where the folder should be")
    r = CliRunner().invoke(main, ["forms", str(register), "--pdf", str(blocker / "2569")])
    assert r.exit_code == 1
    assert r.output.startswith(f"Error: {blocker / '2569'}: cannot make the PDF folder (")
    assert r.output.endswith(") — the forms were filled in the register; no PDF was written; "
                             "give --pdf a folder you can write\n")


def test_forms_pdf_without_any_pdf_program_is_an_error_line(register, tmp_path, no_libreoffice, monkeypatch):
    monkeypatch.setattr(render, "on_windows", lambda: False)
    r = CliRunner().invoke(main, ["forms", str(register), "--pdf", str(tmp_path / "pdf")])
    assert r.exit_code == 1
    assert r.output.startswith("Error: LibreOffice is not installed (no soffice on the PATH)")


def test_forms_pdf_over_a_pdf_held_open(register, tmp_path, monkeypatch):
    from pathlib import Path

    waits = []
    monkeypatch.setattr(sharing, "wait", waits.append)
    real = Path.write_bytes

    def held(self, data):
        if self.suffix == ".pdf" and self.parent.name == "pdf":
            e = PermissionError(13, "The process cannot access the file")
            e.winerror = 32  # set by CPython on Windows only
            raise e
        return real(self, data)
    monkeypatch.setattr(Path, "write_bytes", held)
    r = CliRunner().invoke(main, ["forms", str(register), "--pdf", str(tmp_path / "pdf")])
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"xlflow: PDF by LibreOffice ({render.find_soffice()})",
        *([f"xlflow: {render.font_stand_in()}"] if render.font_stand_in() else []),
        "Error: แบบฟอร์มการออกแบบกระบวนการ.pdf: the file is in use by another program (Excel, antivirus?) — "
        "the forms were filled in the register; close the PDF (a PDF viewer?) and run the command again"]
    assert len(waits) == len(sharing.RETRY_DELAYS)


def test_evaluate_over_a_workbook_held_open(register, tmp_path, monkeypatch):
    from xlflow import evaluation

    waits = []
    monkeypatch.setattr(sharing, "wait", waits.append)
    out = tmp_path / "FY2570-R6.xlsx"
    out.write_bytes(b"last round's evaluation")

    def held(src, dst):
        e = PermissionError(13, "The process cannot access the file")
        e.winerror = 32  # set by CPython on Windows only
        raise e
    monkeypatch.setattr(evaluation.os, "replace", held)
    r = CliRunner().invoke(main, ["evaluate", str(register), "--fiscal-year", "2570", "--round", "6",
                                  "-o", str(out), "--now", "2026-11-25T10:00"])
    assert r.exit_code == 1
    assert r.output == ("Error: FY2570-R6.xlsx: the file is in use by another program (Excel, antivirus?) — the "
                        "evaluation was not written; close the old file there and run the command again\n")
    assert out.read_bytes() == b"last round's evaluation"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~xlflow-tmp")] == []


def test_evaluate_into_a_folder_that_does_not_exist(register, tmp_path):
    r = CliRunner().invoke(main, ["evaluate", str(register), "--fiscal-year", "2570", "--round", "6",
                                  "-o", str(tmp_path / "nowhere" / "e.xlsx"), "--now", "2026-11-25T10:00"])
    assert r.exit_code == 1
    assert r.output == f"Error: {tmp_path / 'nowhere'}: no such folder — create it first, or give another -o\n"


def test_evaluate_into_an_unwritable_folder(register, tmp_path, monkeypatch):
    import openpyxl

    def denied(self, path, *a, **kw):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(openpyxl.Workbook, "save", denied)
    r = CliRunner().invoke(main, ["evaluate", str(register), "--fiscal-year", "2570", "--round", "6",
                                  "-o", str(tmp_path / "e.xlsx"), "--now", "2026-11-25T10:00"])
    assert r.exit_code == 1
    assert r.output == ("Error: e.xlsx: the evaluation could not be saved (Permission denied) — check that the "
                        "folder is writable and the disk not full\n")

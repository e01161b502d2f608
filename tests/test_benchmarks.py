"""The benchmark of issue 7 kept alive, and the fast paths it led to held to the slow ones.

``benchmarks/run.py`` runs here at a tiny size so that it cannot rot; no time is asserted
anywhere (the figures are for people to read), only that every figure is printed as a
number. The library's fast paths — reading ordinary Log rows column by column, plain cells
without the general checks, openpyxl's cells without ``iter_rows``, python-calamine's rows
one at a time, folding a log with plain locals, working minutes cached per day — are each
compared with the general code they stand in for, on ordinary and on damaged input.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from xlflow import book as bk
from xlflow import schema, service
from xlflow.errors import IllegalAction
from xlflow.model import DONE, ItemState, LogEntry, Pause, Segment
from xlflow.process import END, REQUIRABLE, Process
from xlflow.workflow import FINISHING, replay, replay_all, timing
from xlflow.worktime import WorkCalendar, local

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import generate  # noqa: E402

FIGURES = (
    "check_over_calamine", "openpyxl_over_check", "evaluate_over_calamine", "action_over_openpyxl_roundtrip",
    "action_over_calamine", "check_peak_rss_mb", "action_peak_rss_mb", "ribbon_calls_10",
)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    """A generated register of 200 letters (made once for this module)."""
    d = tmp_path_factory.mktemp("bench")
    return generate.cached(200, data_dir=d, progress=False)


# -- the benchmark itself ----------------------------------------------------------------------
def test_the_benchmark_prints_every_figure_as_a_number(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--items", "200", "--ribbon-large", "200", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = {}
    for line in done.stdout.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, eq, value = line.partition(" = ")
        assert eq, f"not a figure line: {line!r}"
        figures[name] = value
    expected = [*FIGURES, "ribbon_calls_200", "ribbon_cells_10", "ribbon_cells_200"]
    assert sorted(figures) == sorted(expected)
    ribbon = (ROOT / "benchmarks" / "ribbon_calls.py").exists()
    for name in expected:
        if name.startswith("ribbon_") and not ribbon:
            assert figures[name] == "n/a"
        else:
            assert float(figures[name]) > 0, f"{name} = {figures[name]}"
    assert "# cores = " in done.stdout
    if ribbon:  # a click moves the cells of what it acts on, not of the register (counted, not timed)
        assert float(figures["ribbon_cells_200"]) <= 2 * float(figures["ribbon_cells_10"])
        assert figures["ribbon_calls_200"] == figures["ribbon_calls_10"]
    import run

    assert set(run.GOALS) == set(FIGURES) - {"ribbon_calls_10"}
    for name, (cmp, goal, _) in run.GOALS.items():
        assert f"# goal {name} {cmp} {goal:g}: " in done.stdout
    # progress goes to stderr, never among the figures
    assert "xlflow advance" in done.stderr


def test_the_action_is_timed_on_the_benchmark_register_itself(small, monkeypatch, capsys):
    """The Log goes on in continuation sheets, so every generated register takes an action."""
    import run

    assert run.main(["--items", "200", "--data-dir", str(small[0].parent), "--skip", "openpyxl,evaluate,ribbon"]) == 0
    out = capsys.readouterr().out
    assert "action_items = 200" in out and "# its Log: 1 sheet(s)" in out
    for name in ("action_over_openpyxl_roundtrip", "action_over_calamine", "action_peak_rss_mb", "check_over_calamine"):
        assert float(out.split(f"\n{name} = ")[1].split()[0]) > 0, name


def test_a_legs_peak_memory_is_its_own_not_the_benchmarks(tmp_path):
    """Linux reports a child's peak RSS as at least its parent's at the fork (with vfork, the
    parent's own peak): a leg must be measured from a launcher that holds next to nothing."""
    import run

    held = bytearray(300 * 2**20)
    held[::4096] = b"x" * len(held[::4096])  # touch every page: 300 MB resident here
    small = run.run_leg([sys.executable, "-c", "pass"], tmp_path)
    big = run.run_leg([sys.executable, "-c", "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096]); print('ok')"], tmp_path)
    del held
    assert small.code == 0 and small.rss_mb < 100
    assert big.code == 0 and big.out.strip() == "ok" and 200 <= big.rss_mb < 300
    failed = run.run_leg([sys.executable, "-c", "import sys; print('no', file=sys.stderr); sys.exit(3)"], tmp_path)
    assert failed.code == 3 and failed.err.strip() == "no"


def test_without_the_action_its_figures_are_not_available(small, capsys):
    import run

    assert run.main(["--items", "200", "--data-dir", str(small[0].parent), "--skip", "openpyxl,evaluate,action,ribbon"]) == 0
    out = capsys.readouterr().out
    for name in ("action_over_openpyxl_roundtrip", "action_over_calamine", "action_peak_rss_mb"):
        assert f"\n{name} = n/a\n" in out
    assert float(out.split("\ncheck_peak_rss_mb = ")[1].split()[0]) > 0


def test_a_generated_register_is_one_xlflow_reads_checks_and_acts_on(small, tmp_path):
    path, meta = small
    b = bk.load(path)
    assert b.problems == []
    assert len(b.letters) == meta["items"] == 200
    assert len(b.log) == meta["log_rows"]
    assert meta["fits_in_excel"] and generate.fits_in_excel(meta)
    assert schema.verify_chain(b.log, b.log_where) is None
    # the stored derived columns are what xlflow derives from the log
    import openpyxl

    states = b.states()
    wb = openpyxl.load_workbook(path)
    rows = bk.sheet_rows_openpyxl(wb)[schema.SHEETS["register"]]
    hm = schema.header_map("r", rows[0], schema.REGISTER_COLUMNS)
    for item, r in b.register_rows.items():
        state = states[item]
        stored = bk.derived_values(state, timing(state, b.process, b.calendar, state.last_at), b.process)
        for f in ("substep", "due_at", "round", "officer", "completed_at"):
            assert rows[r - 1][hm[f]] == stored[f], (item, f)
    assert {"register", "assign", "advance", "approve"} <= {e.action for e in b.log}
    assert sum(s.done for s in states.values()) == meta["done"]
    # the Excel Table covers every row, and openpyxl reads the same register
    assert wb[schema.SHEETS["register"]].tables[schema.TABLE_NAME].ref == f"A1:{schema.col_letter(len(schema.REGISTER_COLUMNS) - 1)}201"
    ob = bk.parse(bk.sheet_rows_openpyxl(wb), path)
    assert ob.log == b.log and ob.letters == b.letters
    # an action on it
    work = tmp_path / "register.xlsx"
    work.write_bytes(path.read_bytes())
    item = meta["advanceable"][-1]
    at = datetime.fromisoformat(meta["now"]) + timedelta(minutes=1)
    view = service.perform(work, item, "advance", at=at, by="test")
    assert view["item"] == item
    assert service.verify(work) is None


def test_the_generator_is_deterministic_and_cached(small, tmp_path):
    path, meta = small
    again, meta2 = generate.cached(200, data_dir=path.parent, progress=False)
    assert again == path and meta2 == meta
    other = tmp_path / "r.xlsx"
    meta3 = generate.generate(other, 200, progress=False)
    assert {k: v for k, v in meta3.items() if k not in ("seconds", "bytes")} == {k: v for k, v in meta.items() if k not in ("seconds", "bytes")}
    a, b = bk.load(path), bk.load(other)
    assert a.log == b.log and a.letters == b.letters


# -- reading the Log fast, and the general path ------------------------------------------------
def _general(rows: list[list]) -> schema.Rows:
    """What read_log gives when every row takes the general path."""
    out = schema.Rows()
    hm = schema.header_map(schema.SHEETS["log"], rows[0], schema.LOG_COLUMNS)
    for r, row in enumerate(rows[1:], start=2):
        e = schema._read_log_row(schema.SHEETS["log"], hm, r, row, out)
        if e is not None:
            out.records.append(e)
            out.row_of[e.seq] = r
    return out


def _same(a: schema.Rows, b: schema.Rows) -> None:
    assert a.records == b.records
    assert a.row_of == b.row_of
    assert [str(p) for p in a.problems] == [str(p) for p in b.problems]


def test_reading_ordinary_log_rows_fast_gives_what_the_general_path_gives(small):
    rows = bk._sheet_rows_calamine(small[0])[schema.SHEETS["log"]]
    rows = list(rows)
    _same(schema.read_log(rows), _general(rows))


ODD = [
    [None] * 9,  # blank
    ["", "  ", "", "", "", "", "", "", ""],  # blank with spaces
    [7.5, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", "", "h"],  # not a whole number
    ["8", "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", "", "h"],  # a number typed as text
    [9, " 1/2569 ", " 1.2", "advance ", datetime(2026, 1, 5, 9), " x", " a note ", "", " h"],  # spaces around
    [10, "1/2569", "1.2", "#REF!", datetime(2026, 1, 5, 9), "x", "", "", "h"],  # an Excel error
    [11, "1/2569", "1.2", "advance", "#VALUE!", "x", "", "", "h"],
    [12, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "=A1", "", "h"],  # text that looks like a formula
    [13, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", schema.Formula("=A1"), "", "h"],  # a formula
    [14, "1/2569", "1.2", "jump", datetime(2026, 1, 5, 9), "x", "", "", "h"],  # an unknown action
    [15, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", "{not json", "h"],
    [16, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", '"just text"', "h"],  # JSON, not an object
    [17, "1/2569", "1.2", "advance", None, "x", "", "", "h"],  # no time
    [None, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", "", "h"],  # no number
    [19, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9, tzinfo=timezone.utc), "x", "", "", "h"],  # aware
    [20, "1/2569", "1.2", "advance", datetime(2569, 1, 5, 9), "x", "", "", "h"],  # BE year in a date cell
    [21, "1/2569", "1.2", "advance", "5/1/2569 09:00", "x", "", "", "h"],  # typed text
    [22, "1/2569", "1.2", "advance", 46027.375, "x", "", "", "h"],  # a serial number
    [23, "1/2569", "1.2", "advance", date(2026, 1, 5), "x", "", "", "h"],  # a date alone
    [24, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), 5, 6.0, "", None],  # numbers as text
    [25, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9)],  # a short row
    [True, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", "", "h"],
    [float("nan"), "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", "", "h"],
    [27, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", "", "h", "an extra column"],
    [28, "1/2569", "1.2", "advance", datetime(2026, 1, 5, 9), "x", "", "", "h"],  # ordinary, among the odd ones
]


@pytest.mark.parametrize("at", [0, 1, 2047, 2048, 3000])
def test_a_damaged_log_row_anywhere_is_read_as_the_general_path_reads_it(small, at):
    rows = list(bk._sheet_rows_calamine(small[0])[schema.SHEETS["log"]])
    rows = rows[:1] + rows[1:][:at] + ODD + rows[1:][at:]
    try:
        got = schema.read_log(rows)
    except Exception as e:  # the general path fails the same way (NaN is not caught there)
        with pytest.raises(type(e)):
            _general(rows)
        return
    _same(got, _general(rows))


def test_a_reordered_log_header_is_read_like_the_general_path(small):
    rows = list(bk._sheet_rows_calamine(small[0])[schema.SHEETS["log"]])
    order = [8, 0, 3, 1, 2, 5, 4, 7, 6]
    rows = [[r[i] for i in order] for r in rows]
    _same(schema.read_log(rows), _general(rows))


class _S(str):
    pass


class _F(float):
    pass


class _I(int):
    pass


class _D(datetime):
    pass


class _Dt(date):
    pass


@pytest.mark.parametrize("kind", ["text", "choice", "int", "date", "datetime", "formula"])
@pytest.mark.parametrize("value", [
    "abc", "  abc  ", "", "   ", "#REF!", "=A1", "5", "25/11/2569", "2026-11-25 09:30", 5.0, 5.5, 7, 0,
    datetime(2026, 11, 25, 9, 30), datetime(2569, 11, 25), datetime(2026, 11, 25, tzinfo=timezone.utc), date(2026, 11, 25),
])
def test_plain_cells_read_as_the_general_checks_read_them(value, kind):
    """The fast paths in read_value meet only exact types; a subclass of the same value takes
    the general path, and both must agree (on the value, or on the error)."""
    if isinstance(value, datetime):
        slow_value = _D(*value.timetuple()[:6], value.microsecond, value.tzinfo)
    elif isinstance(value, date):
        slow_value = _Dt(value.year, value.month, value.day)
    else:
        slow_value = {str: _S, float: _F, int: _I}[type(value)](value)

    def read(v):
        try:
            return ("ok", schema.read_value("S", 0, 2, v, kind))
        except Exception as e:
            return ("error", str(e))

    assert read(value) == read(slow_value)


# -- the other fast paths ----------------------------------------------------------------------
def _iter_rows_values(wb) -> dict[str, list[list]]:
    def value(c):
        v = c.value
        return schema.Formula(v) if c.data_type == "f" and isinstance(v, str) else v

    return {ws.title: [[value(c) for c in r] for r in ws.iter_rows()] for ws in wb.worksheets}


def test_openpyxl_values_from_its_cells_equal_iter_rows(small, tmp_path):
    import openpyxl

    wb = openpyxl.load_workbook(small[0], rich_text=False)
    ws = wb.create_sheet("empty")
    ws2 = wb.create_sheet("sparse")
    ws2["C5"] = "x"
    ws2["A2"] = "=1+1"
    ws2.merge_cells("D1:E2")
    assert bk.sheet_rows_openpyxl(wb) == _iter_rows_values(wb)


def test_calamine_rows_one_at_a_time_equal_to_python(small):
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(small[0]))
    for name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(name)
        full = sheet.to_python(skip_empty_area=False)
        if sheet.start != (0, 0):
            continue
        lazy = bk.SheetRows(wb.get_sheet_by_name(name))
        assert len(lazy) == len(full)
        assert lazy[0] == full[0]
        assert list(lazy) == full
        assert lazy[1:] == full[1:]


def _reference_fold(entries: list[LogEntry], process: Process) -> ItemState:
    """workflow._fold as it was before it was made fast (dicts per segment)."""
    reg = entries[0]
    item = reg.item
    v = reg.data.get("received_at")
    received = (datetime.fromisoformat(v) if isinstance(v, str) else v) if v else reg.at
    first = process.first
    segs = [dict(substep=first.code, round=0, started=received, finished=reg.at, pauses=[], by=reg.by, outcome="advance")]
    st = dict(substep=first.next, started_at=reg.at, round=0, unit="", officer="", paused_since=None, pause_reason="", completed_at=None)
    if st["substep"] == END:
        st["substep"], st["completed_at"] = DONE, reg.at
    else:
        segs.append(dict(substep=st["substep"], round=0, started=reg.at, finished=None, pauses=[], by="", outcome=""))
    for k in REQUIRABLE:
        if reg.data.get(k):
            st[k] = reg.data[k]
    for e in entries[1:]:
        a = e.action
        if a in FINISHING:
            sub = process[st["substep"]] if st["substep"] in process else None
            target = getattr(sub, FINISHING[a]) if sub else END
            segs[-1].update(finished=e.at, by=e.by, outcome=a)
            if a == "reject":
                st["round"] += 1
            if target == END or not target:
                st["substep"], st["completed_at"] = DONE, e.at
                segs[-1]["outcome"] = "done" if a != "reject" else a
            else:
                st["substep"], st["started_at"] = target, e.at
                segs.append(dict(substep=target, round=st["round"], started=e.at, finished=None, pauses=[], by="", outcome=""))
        elif a == "assign":
            for k in REQUIRABLE:
                if k in e.data:
                    st[k] = e.data[k]
        elif a == "pause":
            st["paused_since"], st["pause_reason"] = e.at, e.note
            segs[-1]["pauses"].append(Pause(e.at, None, e.note))
        elif a == "resume":
            if segs[-1]["pauses"] and segs[-1]["pauses"][-1].end is None:  # a resume with no pause open changes nothing
                p = segs[-1]["pauses"][-1]
                segs[-1]["pauses"][-1] = Pause(p.start, e.at, p.reason)
            st["paused_since"], st["pause_reason"] = None, ""
    last = entries[-1]
    return ItemState(
        item=item, substep=st["substep"], started_at=st["started_at"], round=st["round"], unit=st["unit"], officer=st["officer"],
        paused_since=st["paused_since"], pause_reason=st["pause_reason"], completed_at=st["completed_at"],
        last_at=last.at, last_by=last.by, last_action=last.action,
        segments=tuple(Segment(item=item, pauses=tuple(s.pop("pauses")), **s) for s in segs),
        effective=tuple(e.seq for e in entries),
    )


def _reference_replay(entries, process):
    effective = []
    for e in entries:
        if e.action == "correct":
            if len(effective) > 1:
                effective.pop()
        else:
            effective.append(e)
    if not effective or effective[0].action != "register":
        raise IllegalAction("no registration")
    return _reference_fold(effective, process)


def test_folding_a_log_gives_the_states_the_reference_fold_gives(small):
    b = bk.load(small[0])
    groups: dict[str, list] = {}
    for e in b.log:
        groups.setdefault(e.item, []).append(e)
    assert replay_all(b.log, b.process) == {k: _reference_replay(v, b.process) for k, v in groups.items()}


def test_folding_odd_logs_gives_what_the_reference_fold_gives():
    p = Process.default()
    t0 = datetime(2026, 11, 2, 9)
    rng = random.Random(7)
    actions = ["advance", "approve", "reject", "assign", "pause", "resume", "correct"]
    for _ in range(300):
        entries = [LogEntry(1, "1/2569", "1.1", "register", t0, "a", "", {"received_at": "2026-11-02T08:45:00", "unit": rng.choice(["", "u"])})]
        for k in range(rng.randint(0, 40)):
            a = rng.choice(actions)
            data = {rng.choice(["unit", "officer", "other"]): "v"} if a == "assign" else {}
            entries.append(LogEntry(k + 2, "1/2569", "x", a, t0 + timedelta(minutes=k + 1), f"b{k}", f"n{k}", data))

        def outcome(fn):
            try:
                return fn(entries, p)
            except Exception as e:  # whatever fails must fail the same way in both
                return type(e)

        assert outcome(replay) == outcome(_reference_replay)


def test_working_minutes_cached_per_day_equal_the_formula():
    cal = WorkCalendar([date(2026, 12, 7), date(2026, 12, 10)])
    rng = random.Random(3)
    bkk = timezone(timedelta(hours=7))
    for _ in range(3000):
        t = datetime(2026, 11, 20) + timedelta(seconds=rng.randint(0, 40 * 86400), microseconds=rng.randint(0, 999999))
        if rng.random() < 0.2:
            t = t.replace(tzinfo=rng.choice([timezone.utc, bkk]))
        lt = local(t)
        base = cal._prefix[(lt.date() - date(1990, 1, 1)).days]
        if cal.is_working_day(lt.date()):
            tod = lt.hour * 60 + lt.minute + lt.second / 60 + lt.microsecond / 60e6
            for s, e in cal._spans:
                if tod <= s:
                    break
                base += min(tod, e) - s
        assert cal.minutes(t) == base
        assert cal.minutes_many([t, None]) == [base, None]
    with pytest.raises(ValueError):
        cal.minutes(datetime(2200, 1, 1))

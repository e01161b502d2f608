"""The manual's process as data: 15 sub-steps, their roles, standards and transitions.

One source (``data/process.toml``, which cites the manual) feeds the Process sheet; the
sheet, edited by the office, is read back through :func:`Process.from_rows`, and its values
win over the defaults. Nothing else in xlflow knows a sub-step code: the workflow asks this
table what follows, where a rejection returns, and what must be set before a sub-step ends.

>>> p = Process.default()
>>> p.first.code, p["1.1"].next, p["5.1"].reject_to
('1.1', '1.2', '3.1')
>>> [(f.months, f.by_th) for f in p["1.1"].follow_ups]
[(9, 'กลุ่มวิเทศสัมพันธ์'), (12, 'สำนักประสานความร่วมมือระหว่างประเทศ')]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources

from .errors import ProcessError
from .thaidate import to_arabic_digits, to_thai_digits

END = "END"
REQUIRABLE = ("unit", "officer")

#: Columns of the Process sheet, in order: (field, Thai header, English header).
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("code", "รหัส", "Code"),
    ("step", "ขั้นตอนหลัก", "Step"),
    ("name_th", "ขั้นตอนย่อย", "Sub-step (Thai)"),
    ("name_en", "Sub-step", "Sub-step (English)"),
    ("role", "ผู้รับผิดชอบ", "Responsible role"),
    ("standard", "มาตรฐานเวลา (นาทีทำการ)", "Standard (working minutes)"),
    ("indicator", "ตัวชี้วัด", "Indicator"),
    ("reference", "เอกสารอ้างอิง", "Reference document"),
    ("form", "แบบฟอร์มที่ใช้", "Form"),
    ("next", "ขั้นตอนถัดไป", "Next"),
    ("reject_to", "ไม่เห็นชอบกลับไปที่", "On rejection, back to"),
    ("requires", "ต้องระบุก่อนเสร็จ", "Required before done"),
    # Optional: a register made before this column reads with the manual's follow-up. It
    # stands after the columns whose cells the checks name, so their letters are the same
    # in an older register.
    ("follow_up", "ติดตามประเมินผล", "Follow-up (who evaluates at which round)"),
    ("source", "ที่มา (คู่มือ)", "Source in the manual"),
    # Optional, last (issue 17): the share of a sub-step's cases within its standard the
    # office aims at; an older register without it reads with the default below.
    ("target", "ค่าเป้าหมาย (%)", "Target (% of cases within standard)"),
)

#: The target of a sub-step when neither the Process sheet nor data/process.toml gives one.
DEFAULT_TARGET = 80.0


@dataclass(frozen=True)
class FollowUp:
    """One line of the follow-up column (ติดตามประเมินผล): who evaluates at which round."""

    months: int  # the round: 9 for รอบ ๙ เดือน
    by_th: str

    def __str__(self) -> str:
        return f"{to_thai_digits(str(self.months))} เดือน: {self.by_th}"


#: A follow-up line: "๙ เดือน: กลุ่มวิเทศสัมพันธ์" (as written), or "กลุ่มวิเทศสัมพันธ์ ๙ เดือน"
#: (the manual's column order); รอบ before the round and Arabic digits are read too.
_ROUND = r"(?:รอบ\s*)?(?P<m>[0-9๐-๙]{1,2})\s*เดือน"
_FOLLOW_UP = (re.compile(rf"^{_ROUND}\s*[:：]?\s*(?P<by>\S.*)$"), re.compile(rf"^(?P<by>.*?\S)\s*[:：]?\s*{_ROUND}$"))


def parse_follow_up(text: str) -> tuple[tuple[FollowUp, ...], list[str]]:
    """The follow-up cell's lines (one a line, or ";" between them) → (the rounds read, the
    lines that are not a round and who evaluates it)."""
    got: list[FollowUp] = []
    bad: list[str] = []
    for line in re.split(r"[\n;]", text or ""):
        line = " ".join(line.split())
        if not line:
            continue
        m = next((m for rx in _FOLLOW_UP if (m := rx.match(line))), None)
        months = int(to_arabic_digits(m["m"])) if m else 0
        if m and 1 <= months <= 12:
            got.append(FollowUp(months, m["by"].strip()))
        else:
            bad.append(line)
    return tuple(got), bad


@dataclass(frozen=True)
class SubStep:
    """One sub-step of section 6 of the manual. Checks itself when built."""

    code: str
    step: int
    name_th: str
    name_en: str
    role: str
    standard: int  # working minutes
    indicator: str = ""
    reference: str = ""
    form: str = ""
    next: str = END
    reject_to: str = ""
    requires: str = ""
    follow_up: str = ""  # ติดตามประเมินผล, one "<round>: <who>" a line
    source: str = ""
    target: float = DEFAULT_TARGET  # ค่าเป้าหมาย (%): the share of cases within standard aimed at

    @property
    def roles(self) -> tuple[str, ...]:
        """The role names of ``role`` (several are joined by " / " in the manual)."""
        return tuple(r.strip() for r in self.role.split("/") if r.strip()) if self.role else ()

    @property
    def follow_ups(self) -> tuple[FollowUp, ...]:
        """The follow-up column read: who evaluates the sub-step at which round."""
        return parse_follow_up(self.follow_up)[0]

    @property
    def is_decision(self) -> bool:
        """A decision (the diamond of the flow chart): approve goes on, reject goes back."""
        return bool(self.reject_to)

    @property
    def is_last(self) -> bool:
        return self.next == END


@dataclass(frozen=True)
class Role:
    name_th: str
    name_en: str
    officer: bool = False
    director: bool = False
    pmqa: bool = False


@dataclass(frozen=True)
class Step:
    step: int
    name_th: str
    name_en: str


@dataclass(frozen=True)
class Process:
    """The whole process: sub-steps in manual order, steps, roles, flow-chart figures."""

    substeps: tuple[SubStep, ...]
    steps: tuple[Step, ...]
    roles: tuple[Role, ...]
    meta: dict = field(default_factory=dict, compare=False, hash=False)
    flowchart: dict = field(default_factory=dict, compare=False, hash=False)
    form_defaults: dict = field(default_factory=dict, compare=False, hash=False)

    # -- construction ------------------------------------------------------------------
    @classmethod
    @cache
    def default(cls) -> "Process":
        """The process as the manual states it (``data/process.toml``)."""
        raw = tomllib.loads(resources.files("xlflow").joinpath("data/process.toml").read_text("utf-8"))
        # Section ๖ prints the follow-up once for the whole table: each sub-step starts with it.
        follow_up = "\n".join(str(FollowUp(f["months"], f["by_th"])) for f in raw.get("follow_up", []))
        subs = tuple(SubStep(**{"follow_up": follow_up, **s}) for s in raw["substep"])
        steps = tuple(Step(**s) for s in raw["step"])
        roles = tuple(Role(**r) for r in raw["role"])
        meta = {**raw.get("process", {}), "follow_up": raw.get("follow_up", []), "section8": raw.get("section8", {})}
        p = cls(subs, steps, roles, meta, raw.get("flowchart", {}), raw.get("forms", {}))
        p.check()
        return p

    @classmethod
    def from_rows(cls, rows: list[dict], *, sheet: str = "Process", first_row: int = 2) -> "Process":
        """Build from the Process sheet's rows (dicts keyed by field name, values as typed).

        Every problem is collected, each with its cell, and raised together as a
        :class:`ProcessError`; a blank standard falls back to the manual's default, and so
        does a blank (or missing: an older register) follow-up column.
        """
        base = cls.default()
        problems: list[str] = []
        subs: list[SubStep] = []
        letters = {f: col_letter(i) for i, (f, _, _) in enumerate(COLUMNS)}
        seen: dict[str, str] = {}
        for offset, row in enumerate(rows):
            r = first_row + offset
            if all(v in (None, "") for v in row.values()):
                continue
            code = _text(row.get("code"))
            where = lambda f: f"{sheet}!{letters[f]}{r}"  # noqa: E731
            if not code:
                problems.append(f"{where('code')}: the sub-step code is empty — type a code such as 2.1")
                continue
            if code in seen:
                problems.append(f"{where('code')}: sub-step {code} appears twice (also {seen[code]}) — delete one row")
                continue
            seen[code] = where("code")
            default = next((s for s in base.substeps if s.code == code), None)
            std_raw = row.get("standard")
            standard = default.standard if (std_raw in (None, "") and default) else None
            if standard is None:
                try:
                    f = float(str(std_raw).replace(",", "").strip())
                    if f <= 0 or f != int(f):
                        raise ValueError
                    standard = int(f)
                except (TypeError, ValueError, OverflowError):  # OverflowError: infinity
                    problems.append(
                        f'{where("standard")}: "{std_raw if std_raw not in (None, "") else ""}" is not a positive whole number of working minutes'
                        f" — type the standard in minutes, e.g. 60 for one hour"
                    )
                    standard = 1
            role = _text(row.get("role"))
            if not role:
                problems.append(f"{where('role')}: sub-step {code} has no responsible role — type the role as in the People sheet")
            step_raw = row.get("step")
            try:
                step = int(float(step_raw)) if step_raw not in (None, "") else int(code.split(".")[0])
            except (TypeError, ValueError, OverflowError):
                problems.append(f'{where("step")}: "{step_raw}" is not a step number — type 1 to 5')
                step = 0
            if not _text(row.get("next")):
                problems.append(f"{where('next')}: sub-step {code} has no next sub-step — type the code that follows, or {END} if the work ends here")
            requires = _text(row.get("requires"))
            if requires and requires not in REQUIRABLE:
                problems.append(f'{where("requires")}: "{requires}" is not one of {", ".join(REQUIRABLE)} — leave it empty or type one of them')
                requires = ""
            pick = lambda f: _text(row.get(f)) or (getattr(default, f) if default else "")  # noqa: E731
            follow_up = pick("follow_up")
            for line in parse_follow_up(follow_up)[1]:
                problems.append(
                    f'{where("follow_up")}: "{line}" is not a round and who evaluates it — '
                    f"type one line per round, e.g. {FollowUp(9, 'กลุ่มวิเทศสัมพันธ์')}"
                )
            target_raw = row.get("target")
            target = default.target if default else DEFAULT_TARGET
            if target_raw not in (None, ""):
                try:
                    target = float(str(target_raw).replace("%", "").replace(",", "").strip())
                    if not 0 <= target <= 100:
                        raise ValueError
                except (TypeError, ValueError, OverflowError):
                    problems.append(
                        f'{where("target")}: "{target_raw}" is not a percentage from 0 to 100 — type the target, e.g. 80, '
                        f"or leave it empty for {DEFAULT_TARGET:g}"
                    )
                    target = DEFAULT_TARGET
            subs.append(
                SubStep(
                    code=code,
                    target=target,
                    step=step,
                    name_th=pick("name_th"),
                    name_en=pick("name_en"),
                    role=role,
                    standard=standard,
                    indicator=pick("indicator"),
                    reference=pick("reference"),
                    form=pick("form"),
                    next=_text(row.get("next")) or END,  # empty: reported below, never a silent end
                    reject_to=_text(row.get("reject_to")),
                    requires=requires,
                    follow_up=follow_up,
                    source=pick("source"),
                )
            )
        proc = replace(base, substeps=tuple(subs))
        problems += proc.problems(cells=_cells_for(rows, sheet, first_row, letters))
        if problems:
            raise ProcessError(f"The {sheet} sheet has {len(problems)} problem(s)", problems)
        return proc

    # -- lookup ------------------------------------------------------------------------
    def __getitem__(self, code: str) -> SubStep:
        return self._index[code]

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def __iter__(self):
        return iter(self.substeps)

    def __len__(self) -> int:
        return len(self.substeps)

    @property
    def _index(self) -> dict[str, SubStep]:
        idx = self.__dict__.get("_idx")
        if idx is None:
            idx = {s.code: s for s in self.substeps}
            object.__setattr__(self, "_idx", idx)
        return idx

    @property
    def first(self) -> SubStep:
        """Where an item starts (the first row of the table)."""
        return self.substeps[0]

    def step(self, number: int) -> Step | None:
        return next((s for s in self.steps if s.step == number), None)

    def role(self, name: str) -> Role | None:
        return next((r for r in self.roles if r.name_th == name), None)

    def requiring(self, field_name: str) -> SubStep | None:
        """The sub-step at which ``field_name`` (unit, officer) is assigned."""
        return next((s for s in self.substeps if s.requires == field_name), None)

    # -- validation --------------------------------------------------------------------
    def problems(self, cells: dict[tuple[str, str], str] | None = None) -> list[str]:
        """Every structural problem: unknown next or reject target, a loop with no way out."""
        cells = cells or {}
        at = lambda code, f: cells.get((code, f), f"sub-step {code}")  # noqa: E731
        out: list[str] = []
        codes = set(self._index)
        for s in self.substeps:
            if s.next != END and s.next not in codes:
                out.append(f'{at(s.code, "next")}: "{s.next}" is not a sub-step of this process — type one of the codes, or {END}')
            if s.reject_to and s.reject_to not in codes:
                out.append(f'{at(s.code, "reject_to")}: "{s.reject_to}" is not a sub-step of this process — type one of the codes, or leave it empty')
        if not any(s.next == END for s in self.substeps):
            out.append(f"no sub-step has {END} as its next: an item could never be done — set the last sub-step's next to {END}")
        # A loop with no way out: sub-steps from which END cannot be reached.
        can_end = {s.code for s in self.substeps if s.next == END}
        changed = True
        while changed:
            changed = False
            for s in self.substeps:
                if s.code not in can_end and (s.next in can_end or s.reject_to in can_end):
                    can_end.add(s.code)
                    changed = True
        # Report each such loop once, at the cell that closes it (the next that points back);
        # sub-steps that merely lead into a loop or to an unknown next are not loops themselves.
        order = {s.code: i for i, s in enumerate(self.substeps)}
        walked: dict[str, str] = {}
        for s in self.substeps:
            path, c = [], s.code
            while c in codes and c not in walked:
                walked[c] = s.code
                path.append(c)
                c = self[c].next
            if c not in codes or walked[c] != s.code:
                continue  # ran off the table, or into a path already walked
            cycle = path[path.index(c):]
            if any(x in can_end for x in cycle):
                continue
            back = next((x for x in cycle if order[self[x].next] <= order[x]), cycle[0])
            out.append(f"{at(back, 'next')}: from sub-step {back} the work loops ({_loop_from(self, back)}) and never reaches {END} — point one of them onward")
        return out

    def check(self) -> None:
        """Raise :class:`ProcessError` listing every problem, if there is any."""
        probs = self.problems()
        if probs:
            raise ProcessError("The process table has problems", probs)

    def inconsistencies(self) -> list[str]:
        """Where the manual contradicts itself (section 5 flow chart vs section 6 work instruction;
        section 8 vs section 6 on who evaluates which round).

        Shown to the office, never silently resolved: the work instruction's sub-steps are
        what xlflow times; the flow chart's figures are reported beside them.
        """
        out: list[str] = []
        fc = self.flowchart
        for step_no, minutes in sorted(fc.get("step_minutes", {}).items(), key=lambda kv: int(kv[0])):
            total = sum(s.standard for s in self.substeps if s.step == int(step_no))
            if total != minutes:
                out.append(
                    f"Step {step_no}: the flow chart ({fc.get('source', 'section 5')}) gives {_hm(minutes)}, "
                    f"the work instruction's sub-steps add up to {_hm(total)} "
                    f"(ขั้นตอนที่ {step_no}: ผังกระบวนการ {_hm(minutes, th=True)} แต่ขั้นตอนย่อยรวม {_hm(total, th=True)})"
                )
        s1 = fc.get("step1_substeps") or []
        n1 = sum(1 for s in self.substeps if s.step == 1)
        if s1 and len(s1) != n1:
            out.append(
                f"Step 1: the flow chart has {len(s1)} sub-steps ({'; '.join(s1)}), "
                f"the work instruction has {n1} ({', '.join(s.code for s in self.substeps if s.step == 1)})"
            )
        fc52 = fc.get("substep_5_2")
        if fc52 and "5.2" in self:
            out.append(
                f"Sub-step 5.2 means two things: the flow chart says \"{fc52}\" (executives sign), "
                f"the work instruction says \"{self['5.2'].name_th}\" (send the answer out)"
            )
        out += self._follow_up_disagreement()
        return out

    def _follow_up_disagreement(self) -> list[str]:
        """Section ๘ names one unit for every round; the follow-up column may name another."""
        s8 = self.meta.get("section8") or {}
        by, rounds = s8.get("by_th", ""), self.meta.get("evaluation_rounds", [])
        if not by:
            return []
        given: dict[int, list[str]] = {}
        for s in self.substeps:
            for f in s.follow_ups:
                if f.by_th not in given.setdefault(f.months, []):
                    given[f.months].append(f.by_th)
        others = [(m, who) for m in rounds for who in given.get(m, []) if who != by]
        if not others:
            return []
        th = lambda m: to_thai_digits(str(m))  # noqa: E731
        return [
            f"Follow-up: the evaluation system ({s8.get('source', 'section 8')}) says \"{s8.get('text_th', '')}\" "
            f"({by} evaluates the {' and '.join(f'{m}-month' for m in rounds)} rounds), the work instruction (section ๖) gives "
            + " and ".join(f"the {m}-month round to {who}" for m, who in others)
            + f" (ติดตามประเมินผล: หัวข้อ ๘ ให้{by}ประเมินผลรอบ {' และ '.join(th(m) for m in rounds)} เดือน แต่หัวข้อ ๖ ให้"
            + " และให้".join(f"{who}ประเมินผลรอบ {th(m)} เดือน" for m, who in others)
            + ")"
        ]


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def col_letter(i: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _cells_for(rows, sheet, first_row, letters) -> dict[tuple[str, str], str]:
    out = {}
    for offset, row in enumerate(rows):
        code = _text(row.get("code"))
        for f in ("next", "reject_to"):
            out.setdefault((code, f), f"{sheet}!{letters[f]}{first_row + offset}")
    return out


def _loop_from(p: Process, code: str) -> str:
    seen, path, c = set(), [], code
    while c in p and c not in seen:
        seen.add(c)
        path.append(c)
        c = p[c].next
    return " → ".join(path + ([c] if c in seen else []))


def _hm(minutes: int, th: bool = False) -> str:
    h, m = divmod(int(minutes), 60)
    hour, minute = ("ชม.", "นาที") if th else ("h", "min")
    parts = [f"{h} {hour}"] * bool(h) + [f"{m} {minute}"] * bool(m)
    return " ".join(parts) or f"0 {minute}"

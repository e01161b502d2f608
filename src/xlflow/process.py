"""The manual's process as data: 15 sub-steps, their roles, standards and transitions.

One source (``data/process.toml``, which cites the manual) feeds the Process sheet; the
sheet, edited by the office, is read back through :func:`Process.from_rows`, and its values
win over the defaults. Nothing else in xlflow knows a sub-step code: the workflow asks this
table what follows, where a rejection returns, and what must be set before a sub-step ends.

>>> p = Process.default()
>>> p.first.code, p["1.1"].next, p["5.1"].reject_to
('1.1', '1.2', '3.1')
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources

from .errors import ProcessError

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
    ("source", "ที่มา (คู่มือ)", "Source in the manual"),
)


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
    source: str = ""

    @property
    def roles(self) -> tuple[str, ...]:
        """The role names of ``role`` (several are joined by " / " in the manual)."""
        return tuple(r.strip() for r in self.role.split("/") if r.strip()) if self.role else ()

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
        subs = tuple(SubStep(**{k: v for k, v in s.items()}) for s in raw["substep"])
        steps = tuple(Step(**s) for s in raw["step"])
        roles = tuple(Role(**r) for r in raw["role"])
        p = cls(subs, steps, roles, raw.get("process", {}), raw.get("flowchart", {}), raw.get("forms", {}))
        p.check()
        return p

    @classmethod
    def from_rows(cls, rows: list[dict], *, sheet: str = "Process", first_row: int = 2) -> "Process":
        """Build from the Process sheet's rows (dicts keyed by field name, values as typed).

        Every problem is collected, each with its cell, and raised together as a
        :class:`ProcessError`; a blank standard falls back to the manual's default.
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
                except (TypeError, ValueError):
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
            except (TypeError, ValueError):
                problems.append(f'{where("step")}: "{step_raw}" is not a step number — type 1 to 5')
                step = 0
            if not _text(row.get("next")):
                problems.append(f"{where('next')}: sub-step {code} has no next sub-step — type the code that follows, or {END} if the work ends here")
            requires = _text(row.get("requires"))
            if requires and requires not in REQUIRABLE:
                problems.append(f'{where("requires")}: "{requires}" is not one of {", ".join(REQUIRABLE)} — leave it empty or type one of them')
                requires = ""
            pick = lambda f: _text(row.get(f)) or (getattr(default, f) if default else "")  # noqa: E731
            subs.append(
                SubStep(
                    code=code,
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
        """Where the manual contradicts itself (section 5 flow chart vs section 6 work instruction).

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
        return out


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

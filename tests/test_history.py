"""xlflow history: where a letter waited, from its Log rows alone."""

from __future__ import annotations

import json


def test_history_shows_each_substep_against_its_standard_with_pauses_and_corrections(register_book, xlflow):
    def act(*args):
        r = xlflow(args[0], register_book, *args[1:])
        assert r.exit_code == 0, r.output

    act("register", "--subject", "ขอเชิญประชุม ILO", "--at", "2026-11-25T09:00", "--by", "สารบรรณ")
    act("assign", "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "เลขานุการ")
    act("advance", "1/2569", "--at", "2026-11-25T09:10", "--by", "เลขานุการ")  # 1.2 took 10 working minutes
    act("pause", "1/2569", "--reason", "รอคำตอบจากกรมการจัดหางาน", "--at", "2026-11-25T09:20", "--by", "เลขานุการ")
    act("resume", "1/2569", "--at", "2026-11-25T13:20", "--by", "เลขานุการ")  # 3 working hours paused (lunch aside)
    act("advance", "1/2569", "--at", "2026-11-25T13:30", "--by", "เลขานุการ")
    act("correct", "1/2569", "--at", "2026-11-25T13:31", "--by", "เลขานุการ")
    r = xlflow("history", register_book, "1/2569", "--json", "--now", "2026-11-25T14:00")
    assert r.exit_code == 0, r.output
    h = json.loads(r.output)
    assert h["item"] == "1/2569" and h["substep"] == "1.3"
    steps = {s["substep"]: s for s in h["substeps"]}
    assert steps["1.2"]["worked_minutes"] == 10 and steps["1.2"]["standard_minutes"] == 15 and steps["1.2"]["within_standard"] is True
    s13 = steps["1.3"]
    assert s13["finished"] is None and s13["outcome"] == "open"  # the advance out of 1.3 was withdrawn
    assert s13["paused_minutes"] == 180 and s13["pauses"][0]["reason"] == "รอคำตอบจากกรมการจัดหางาน"
    assert s13["worked_minutes"] == 10 + 40  # 09:10–09:20 and 13:20–14:00, the pause left out
    withdrawn = [a for a in h["actions"] if not a["in_force"]]
    assert [(a["action"], a["withdrawn_by"]) for a in withdrawn] == [("advance", 7)]
    text = xlflow("history", register_book, "1/2569", "--now", "2026-11-25T14:00").output
    assert "paused 25 พ.ย. 2569 09:20 น. → 25 พ.ย. 2569 13:20 น.: รอคำตอบจากกรมการจัดหางาน" in text
    assert "(withdrawn by ลำดับ 7)" in text
    assert "10 min / 15 min  within" in text  # 1.2: a sub-step of minutes in minutes, not "0.2 h / 0.2 h"


def test_history_of_an_unknown_item_says_so(register_book, xlflow):
    r = xlflow("history", register_book, "9/2569")
    assert (r.exit_code, r.output) == (1, "Error: item 9/2569 is not in the register — check the number\n")

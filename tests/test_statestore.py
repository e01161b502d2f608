"""The state store: what was sent to whom, runs, round deliveries; durable, atomic, shareable."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlflow.errors import XlflowError
from xlflow import statestore
from xlflow.statestore import Run, StateStore

BKK = ZoneInfo("Asia/Bangkok")
AT = datetime(2026, 11, 27, 9, 30, tzinfo=BKK)
K1, K2, K3 = "12/2569|2.1|0|overdue", "12/2569|2.2|0|due_soon", "13/2569|1.1|1|overdue"
SOMCHAI = "somchai@mol.go.th"


@pytest.fixture
def path(tmp_path):
    return tmp_path / ".xlflow-state.sqlite"


@pytest.fixture
def store(path):
    with StateStore(path) as s:
        yield s


def test_round_trip(store):
    assert not store.was_sent(K1, SOMCHAI)
    assert store.pending([K1, K2, K3], SOMCHAI) == [K1, K2, K3]
    store.record_sent([K1, K2], SOMCHAI, "<m1@mol.go.th>", AT)
    assert store.was_sent(K1, SOMCHAI) and store.was_sent(K2, SOMCHAI)
    assert not store.was_sent(K3, SOMCHAI)
    assert store.pending([K3, K1, K2], SOMCHAI) == [K3]
    assert store.pending([K1, K2, K3], "director@mol.go.th") == [K1, K2, K3]  # per recipient


def test_pending_keeps_order_and_drops_repeats(store):
    store.record_sent([K2], SOMCHAI, "<m>", AT)
    assert store.pending([K3, K1, K3, K2, K1], SOMCHAI) == [K3, K1]
    assert store.pending([], SOMCHAI) == []


def test_recipient_case_does_not_matter(store):
    store.record_sent([K1], "Somchai@MOL.go.th ", "<m>", AT)
    assert store.was_sent(K1, SOMCHAI)


def test_rows_hold_kind_time_and_message_id(store, path):
    store.record_sent([K1, K2], SOMCHAI, "<m1@mol.go.th>", AT)
    rows = sqlite3.connect(path).execute("SELECT key, recipient, kind, sent_at, message_id FROM sent "
                                         "ORDER BY key").fetchall()
    assert rows == [(K1, SOMCHAI, "overdue", AT.isoformat(), "<m1@mol.go.th>"),
                    (K2, SOMCHAI, "due_soon", AT.isoformat(), "<m1@mol.go.th>")]


def test_recording_twice_keeps_the_first(store, path):
    store.record_sent([K1], SOMCHAI, "<first>", AT)
    store.record_sent([K1], SOMCHAI, "<second>", AT + timedelta(hours=1))
    assert sqlite3.connect(path).execute("SELECT message_id FROM sent").fetchall() == [("<first>",)]


def test_several_recipients_in_one_transaction(store):
    store.record_sent_to([K1, K2], [SOMCHAI, "malee@mol.go.th"], "<m>", AT)
    assert store.pending([K1, K2], "malee@mol.go.th") == []
    assert store.pending([K1, K2], SOMCHAI) == []


def test_a_single_string_is_not_a_list_of_keys(store):
    with pytest.raises(TypeError):
        store.record_sent(K1, SOMCHAI, "<m>", AT)  # type: ignore[arg-type]


def test_record_is_all_or_nothing(store, path):
    # a trigger makes the third row fail inside the transaction, after two rows went in
    db = sqlite3.connect(path)
    db.execute("CREATE TRIGGER boom BEFORE INSERT ON sent WHEN NEW.key = 'boom' "
               "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    db.commit()
    db.close()
    with pytest.raises(XlflowError, match="disk on fire"):
        store.record_sent([K1, K2, "boom"], SOMCHAI, "<m>", AT)
    assert store.pending([K1, K2], SOMCHAI) == [K1, K2]
    store.record_sent([K1], SOMCHAI, "<m>", AT)  # and the store still works
    assert store.pending([K1, K2], SOMCHAI) == [K2]


def test_survives_reopen(path):
    with StateStore(path) as s:
        s.record_sent([K1], SOMCHAI, "<m>", AT)
        run = s.start_run(AT)
        s.finish_run(run, "ok", "1 mail")
        s.record_delivered("FY2569-R9", AT, "to pmqa@mol.go.th")
    with StateStore(path) as s:
        assert s.was_sent(K1, SOMCHAI)
        assert s.pending([K1, K2], SOMCHAI) == [K2]
        assert s.last_runs(1)[0].outcome == "ok"
        assert s.delivered("FY2569-R9")


def test_two_stores_on_one_file_see_each_other(path):
    with StateStore(path) as a, StateStore(path) as b:
        a.record_sent([K1], SOMCHAI, "<m>", AT)
        assert b.was_sent(K1, SOMCHAI)


def test_wal_and_busy_timeout(store, path):
    assert store.journal_mode() == "wal"
    assert not path.with_suffix(".xlsx").exists()


def test_locked_by_another_writer_says_so(path):
    with StateStore(path):
        pass
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with StateStore(path, timeout=0.2) as s:
            with pytest.raises(XlflowError) as e:
                s.record_sent([K1], SOMCHAI, "<m>", AT)
            assert str(e.value) == (f"the state file {path} is in use by another program (a second xlflow "
                                    f"checker?) — wait for it to finish, or stop the other checker")
            assert s.pending([K1], SOMCHAI) == [K1]  # readers are not blocked (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_never_inside_a_workbook(tmp_path):
    with pytest.raises(XlflowError) as e:
        StateStore(tmp_path / "register.xlsx")
    assert str(e.value).startswith(f"the state file {tmp_path / 'register.xlsx'} would be a workbook")
    assert not (tmp_path / "register.xlsx").exists()


def test_damaged_file(path):
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(XlflowError) as e:
        StateStore(path)
    assert str(e.value).startswith(f"the state file {path} is damaged (")
    assert "rename it" in str(e.value)


def test_folder_missing(tmp_path):
    with pytest.raises(XlflowError) as e:
        StateStore(tmp_path / "no-such-folder" / "state.sqlite")
    assert "cannot open the state file" in str(e.value)


def test_newer_schema_is_refused(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(XlflowError, match="written by a newer xlflow"):
        StateStore(path)


def test_closed_store(path):
    s = StateStore(path)
    s.close()
    with pytest.raises(XlflowError, match="is closed"):
        s.was_sent(K1, SOMCHAI)


def test_many_keys_at_once(store):
    keys = [f"{n}/2569|2.1|0|overdue" for n in range(2500)]
    store.record_sent(keys[::2], SOMCHAI, "<m>", AT)
    assert store.pending(keys, SOMCHAI) == keys[1::2]


# ------------------------------------------------------------------------------------ runs

def test_runs(store):
    first = store.start_run(AT)
    store.finish_run(first, "ok", "3 reminders", at=AT + timedelta(seconds=5))
    second = store.start_run(AT + timedelta(minutes=30))  # crashed: never finished
    assert second > first
    runs = store.last_runs(5)
    assert runs == [
        Run(second, AT + timedelta(minutes=30), None, None, None),
        Run(first, AT, AT + timedelta(seconds=5), "ok", "3 reminders"),
    ]
    assert store.last_runs(1) == runs[:1]


def test_finish_unknown_run(store):
    with pytest.raises(XlflowError, match="no run 42"):
        store.finish_run(42, "ok", "")


def test_naive_times_are_bangkok(store):
    run = store.start_run(datetime(2026, 11, 27, 9, 30))
    assert store.last_runs(1)[0].started_at == AT
    assert store.last_runs(1)[0].id == run


# ------------------------------------------------------------------------------ deliveries

def test_round_delivery_once_and_on_purpose_again(store):
    assert not store.delivered("FY2569-R9")
    store.record_delivered("FY2569-R9", AT, "FY2569-R9.xlsx to pmqa@mol.go.th")
    assert store.delivered("FY2569-R9") and store.delivered_at("FY2569-R9") == AT
    assert not store.delivered("FY2569-R12")
    assert store.forget_delivered("FY2569-R9") is True
    assert not store.delivered("FY2569-R9") and store.delivered_at("FY2569-R9") is None
    assert store.forget_delivered("FY2569-R9") is False


# ----------------------------------------------------------------------------- properties

keys_st = st.lists(st.text(min_size=1, max_size=12), max_size=30)


@settings(max_examples=60, deadline=None)
@given(sent=keys_st, asked=keys_st)
def test_pending_is_asked_minus_sent(tmp_path_factory, sent, asked):
    with StateStore(tmp_path_factory.mktemp("p") / "s.sqlite") as s:
        if sent:
            s.record_sent(sent, SOMCHAI, "<m>", AT)
        expected = [k for k in dict.fromkeys(asked) if k not in set(sent)]
        assert s.pending(asked, SOMCHAI) == expected
        assert all(s.was_sent(k, SOMCHAI) for k in sent)


# ------------------------------------------------------------------- one file, many registers

def test_registers_in_one_file_never_silence_each_other(path):
    with StateStore(path, register="id:A") as a, StateStore(path, register="id:B") as b:
        a.record_sent([K1], SOMCHAI, "<a>", AT)
        assert b.pending([K1], SOMCHAI) == [K1]  # the other register's 12/2569 is its own
        assert a.pending([K1], SOMCHAI) == []
        a.record_delivered("FY2569-R9", AT)
        assert not b.delivered("FY2569-R9") and a.delivered("FY2569-R9")
        ra, rb = a.start_run(AT), b.start_run(AT)
        assert [r.id for r in a.last_runs()] == [ra] and [r.id for r in b.last_runs()] == [rb]


def _schema_1(path) -> None:
    """A state file as xlflow wrote it before registers were told apart."""
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE sent (key TEXT NOT NULL, recipient TEXT NOT NULL, kind TEXT NOT NULL, sent_at TEXT NOT NULL,
                           message_id TEXT, PRIMARY KEY (key, recipient));
        CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, outcome TEXT, detail TEXT);
        CREATE TABLE deliveries (key TEXT PRIMARY KEY, delivered_at TEXT NOT NULL, detail TEXT);
        PRAGMA user_version = 1;
    """)
    db.execute("INSERT INTO sent VALUES (?, ?, 'overdue', ?, '<old>')", (K1, SOMCHAI, AT.isoformat()))
    db.execute("INSERT INTO deliveries VALUES ('checker-started', ?, '')", (AT.isoformat(),))
    db.execute("INSERT INTO runs (started_at, outcome) VALUES (?, 'ok')", (AT.isoformat(),))
    db.commit()
    db.close()


def test_an_older_state_file_is_upgraded_and_its_rows_count_for_every_register(path):
    _schema_1(path)
    with StateStore(path, register="id:A") as a, StateStore(path, register="id:B") as b:
        # an upgrade re-announces nothing, whichever register the old rows were about
        assert a.pending([K1, K2], SOMCHAI) == [K2] and b.pending([K1, K2], SOMCHAI) == [K2]
        assert a.delivered_at("checker-started") == AT and b.delivered("checker-started")
        assert [r.outcome for r in a.last_runs()] == ["ok"]
        a.record_sent([K2], SOMCHAI, "<new>", AT)
        assert b.pending([K2], SOMCHAI) == [K2]  # new rows are the register's own
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == statestore.SCHEMA_VERSION == 3  # to the newest schema (3: witnesses)


def test_a_register_that_gets_its_id_keeps_what_its_path_remembered(path, tmp_path):
    from xlflow.statestore import path_key, register_key

    book = tmp_path / "Coordination_Register.xlsx"
    assert register_key(None, book) == path_key(book) == register_key(None, tmp_path / "." / book.name)
    assert register_key("abc", book) == "id:abc"
    with StateStore(path, register=path_key(book)) as s:
        s.record_sent([K1], SOMCHAI, "<m>", AT)
        s.record_delivered("checker-started", AT)
    with StateStore(path, register="id:abc") as s:
        assert s.kept_under(path_key(book))
        assert s.adopt(path_key(book)) == 1
        assert s.pending([K1], SOMCHAI) == [] and s.delivered("checker-started")
        assert not s.kept_under(path_key(book))
        assert s.adopt(path_key(book)) == 0


# ------------------------------------------------------------------------- WAL on local disks

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
//fileserver/share /mnt/share cifs rw,vers=3.0 0 0
server:/export /srv/nfs nfs4 rw 0 0
tmpfs /tmp tmpfs rw 0 0
/dev/sdb1 /mnt/share/local\\040disk ext4 rw 0 0
sshfs#me@host: /home/me/remote fuse.sshfs rw 0 0
"""


@pytest.mark.parametrize("where, local", [
    ("/home/me/Coordination_Register.xlsx", True),
    ("/mnt/share/Coordination_Register.xlsx", False),
    ("/mnt/share/sub/x.sqlite", False),
    ("/srv/nfs/x.sqlite", False),
    ("/tmp/x.sqlite", True),
    ("/mnt/share/local disk/x.sqlite", True),  # a local disk mounted inside the share
    ("/home/me/remote/x.sqlite", False),  # FUSE: cannot be told, so not trusted
])
def test_wal_only_on_a_local_disk_on_linux(where, local):
    from xlflow.statestore import local_disk

    assert local_disk(where, platform="linux", mounts=MOUNTS) is local


@pytest.mark.parametrize("where", [r"\\server\share\Coordination_Register.xlsx", "//server/share/x.sqlite", r"Z:\x.sqlite"])
def test_a_unc_path_or_a_drive_that_cannot_be_asked_is_not_local_on_windows(where):
    from xlflow.statestore import local_disk

    assert local_disk(where, platform="win32") is False  # on this machine GetDriveTypeW cannot answer: not trusted
    assert local_disk("/x", platform="darwin") is False  # nor a system whose mounts xlflow does not read


def test_on_a_network_share_the_rollback_journal_is_used(path, monkeypatch):
    import xlflow.statestore as ss

    monkeypatch.setattr(ss, "local_disk", lambda p: False)
    with StateStore(path) as s:
        assert s.journal_mode() == "delete"
        s.record_sent([K1], SOMCHAI, "<m>", AT)
        assert s.pending([K1], SOMCHAI) == []
    monkeypatch.setattr(ss, "local_disk", lambda p: True)
    with StateStore(path) as s:  # the same file later on a local disk
        assert s.journal_mode() == "wal" and s.pending([K1], SOMCHAI) == []

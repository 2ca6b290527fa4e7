"""Drop-folder sweeps: which flight folders are pending; what ``hehu serve`` registers."""

from __future__ import annotations

import os
import shutil
import time

from pipeline.inbox import load_processed, mark_processed, pending_flights


def make_flight(root, name, sample_flight, mtime=None):
    folder = root / name
    shutil.copytree(sample_flight, folder, copy_function=shutil.copyfile)
    if mtime is not None:
        for p in folder.iterdir():
            os.utime(p, (mtime, mtime))
    return folder


def test_new_changed_and_settling_folders(tmp_path, sample_flight) -> None:
    drop, state = tmp_path / "drop", tmp_path / "processed.json"
    drop.mkdir()
    old = time.time() - 3600
    make_flight(drop, "f1", sample_flight, mtime=old)
    make_flight(drop, "f2", sample_flight)  # still being copied (just written)
    (drop / "empty").mkdir()
    pending = pending_flights(drop, settle_s=60, processed=load_processed(state))
    assert [p.path.rsplit("/", 1)[-1] for p in pending] == ["f1"]

    mark_processed(pending[0], state)
    assert pending_flights(drop, settle_s=60, processed=load_processed(state)) == []
    (drop / "f1" / "DJI_0099.JPG").write_bytes(b"late file")
    os.utime(drop / "f1" / "DJI_0099.JPG", (old, old))
    again = pending_flights(drop, settle_s=60, processed=load_processed(state))
    assert [p.path.rsplit("/", 1)[-1] for p in again] == ["f1"]
    assert again[0].digest != pending[0].digest


def test_folders_and_files_named_in_gbk_are_swept_and_remembered(tmp_path, sample_flight) -> None:
    drop, state = tmp_path / "drop", tmp_path / "processed.json"
    drop.mkdir()
    old = time.time() - 3600
    folder = make_flight(drop, os.fsdecode(b"\xba\xd3\xb5\xc0"), sample_flight, mtime=old)
    (folder / "DJI_0030.JPG").rename(folder / os.fsdecode(b"\xba\xd3\xb5\xc0_0030.JPG"))
    (pending,) = pending_flights(drop, settle_s=60, processed=load_processed(state))
    assert pending.path == str(folder.resolve()) and pending.files == 5
    mark_processed(pending, state)
    assert load_processed(state) == {pending.path: pending.digest}
    assert pending_flights(drop, settle_s=60, processed=load_processed(state)) == []


def test_serve_registers_both_deployments() -> None:
    from flows.serve import deployments

    on_demand, inbox = deployments()
    assert on_demand.name == "process-flight" and not on_demand.schedules
    assert inbox.name == "sweep-inbox"
    (schedule,) = inbox.schedules
    assert schedule.schedule.cron == "0 2 * * *"
    assert schedule.schedule.timezone == "Asia/Shanghai"


def test_serve_says_where_its_temporary_api_is(capsys, monkeypatch) -> None:
    from flows.serve import temporary_api_note

    url = "http://127.0.0.1:4567/api"
    monkeypatch.setenv("PREFECT_API_URL", url)  # the temporary server answered
    temporary_api_note(url)
    said = capsys.readouterr().out
    assert f"at {url}" in said and f"PREFECT_API_URL={url}" in said
    monkeypatch.delenv("PREFECT_API_URL")  # it did not: Prefect starts its own, URL unknown
    temporary_api_note(url)
    said = capsys.readouterr().out
    assert url not in said and "temporary Prefect server" in said

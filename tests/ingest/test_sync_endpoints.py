"""The server side of syncing runs from the leggings (ingest/views.py, ingest/synced.py): station
token only (SPEC §8), a run stored once per leggings and run id, resumable parts, and every
refusal leaves nothing behind."""

import json
from dataclasses import asdict, replace

import numpy as np
import pytest
from django.test import Client

from ingest.protocol import runs
from ingest.protocol.ble import quantise
from metrics.simulator import SENSORS, simulate, standard_session
from sessions.models import RunSession, Upload
from tests.factories import make_coach, make_leggings, make_runner, make_station

pytestmark = pytest.mark.django_db


def _run_file(run_id: int = 7, seconds: float = 30) -> tuple[runs.RunInfo, bytes]:
    sim = simulate(standard_session(3.6, seconds), sample_rate=200, seed=run_id)
    raw = quantise(np.column_stack([sim.imu[s] for s in SENSORS]), 32, 2000)
    info = runs.RunInfo(run_id, 1_790_000_000, 123_456, 200, 32, 2000, len(raw))
    return info, runs.encode_file(info, raw)


def _agent(token: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {token}"})


def _offer(agent: Client, serial: str, info: runs.RunInfo):
    return agent.post("/ingest/runs/", json.dumps({"serial": serial, **asdict(info)}),
                      content_type="application/json")


def _send(agent: Client, upload: int, body: bytes, held: int = 0, part: int = 200_000) -> dict:
    while held < len(body):
        reply = agent.put(f"/ingest/runs/uploads/{upload}/?offset={held}", body[held:held + part],
                          content_type="application/octet-stream")
        assert reply.status_code == 200, reply.content
        held = reply.json()["held"]
    return agent.post(f"/ingest/runs/uploads/{upload}/finish/").json()


def test_a_run_is_stored_once_resumes_where_it_stopped_and_becomes_a_synced_session(world):
    station, token = make_station(world.coach_a)
    agent = _agent(token)
    info, body = _run_file()
    state = _offer(agent, world.leggings_a.serial, info).json()
    assert state["state"] == "receiving" and state["held"] == 0
    agent.put(f"/ingest/runs/uploads/{state['upload']}/?offset=0", body[:300_000],
              content_type="application/octet-stream")
    resumed = _offer(agent, world.leggings_a.serial, info).json()  # the link dropped: ask again
    assert resumed["upload"] == state["upload"] and resumed["held"] == 300_000
    done = _send(agent, state["upload"], body, held=300_000)
    assert done["state"] == "stored"
    session = RunSession.objects.get(pk=done["session"])
    assert (session.source, session.device_run, session.runner, session.station) == (
        "synced", 7, world.alice, station)
    assert session.strides.count() > 30 and session.started_at.timestamp() == 1_790_000_000
    again = _offer(agent, world.leggings_a.serial, info).json()  # synced twice: stored once
    assert again == {"session": session.pk, "state": "stored"}
    assert RunSession.objects.filter(device_run=7).count() == 1
    coach = Client()
    coach.force_login(world.coach_a)  # her squad's coach sees it like any other session
    assert "Recorded on the leggings" in coach.get(f"/runners/{world.alice.pk}/").content.decode()


def test_without_a_valid_token_nothing_is_answered(world):
    info, _ = _run_file(seconds=5)
    for agent in (Client(), _agent("not-a-token")):
        assert _offer(agent, world.leggings_a.serial, info).status_code == 401
        assert agent.get("/ingest/station/").status_code == 401
    station, token = make_station(world.coach_a)
    station.revoke()
    assert _offer(_agent(token), world.leggings_a.serial, info).status_code == 401
    assert not Upload.objects.exists()


def test_a_station_cannot_sync_or_fill_another_coachs_leggings(world):
    info, body = _run_file(seconds=10)
    _, token_a = make_station(world.coach_a)
    _, token_b = make_station(world.coach_b)
    assert _offer(_agent(token_b), world.leggings_a.serial, info).status_code == 404
    upload = _offer(_agent(token_a), world.leggings_a.serial, info).json()["upload"]
    trespass = _agent(token_b).put(f"/ingest/runs/uploads/{upload}/?offset=0", body[:1000],
                                   content_type="application/octet-stream")
    assert trespass.status_code == 404
    assert _agent(token_b).post(f"/ingest/runs/uploads/{upload}/finish/").status_code == 404
    assert Upload.objects.get(pk=upload).progress == 0.0


@pytest.mark.parametrize("change", ["truncated", "another_run", "garbage"])
def test_a_wrong_file_is_refused_at_finish_and_the_run_can_be_sent_again(world, change):
    _, token = make_station(world.coach_a)
    agent = _agent(token)
    info, body = _run_file(seconds=10)
    upload = _offer(agent, world.leggings_a.serial, info).json()["upload"]
    wrong = {"truncated": body[:-48], "another_run": _run_file(run_id=8, seconds=10)[1],
             "garbage": b"x" * len(body)}[change]
    agent.put(f"/ingest/runs/uploads/{upload}/?offset=0", wrong[:len(body)],
              content_type="application/octet-stream")
    reply = agent.post(f"/ingest/runs/uploads/{upload}/finish/")
    assert reply.status_code == 400 and "error" in reply.json()
    assert not RunSession.objects.filter(device_run=info.run_id, status="done").exists()


@pytest.mark.parametrize("body", ["{", "[]", '{"serial": "x"}', '{"serial": "x", "run_id": -1}'])
def test_malformed_offers_get_a_clear_error(world, body):
    _, token = make_station(world.coach_a)
    reply = _agent(token).post("/ingest/runs/", body, content_type="application/json")
    assert reply.status_code == 400 and "error" in reply.json()


def test_a_runners_home_station_syncs_her_own_leggings_only(world):
    runner = make_runner("Nora")
    own = make_leggings(runner.user, runner)
    coach_owned = make_leggings(make_coach(), runner)  # worn by her, but a coach's garment
    home, token = make_station(runner.user)
    home.home = True
    home.save()
    info, _ = _run_file(seconds=5)
    agent = _agent(token)
    assert [item["serial"] for item in agent.get("/ingest/station/").json()["leggings"]] == [own.serial]
    assert _offer(agent, own.serial, info).status_code == 200
    for serial in (coach_owned.serial, world.leggings_a.serial):
        assert _offer(agent, serial, info).status_code == 404


def test_a_station_cannot_pile_up_runs_or_offer_one_too_large(world):
    _, token = make_station(world.coach_a)
    agent = _agent(token)
    info, _ = _run_file(seconds=2)
    for run_id in (1, 2, 3):  # offered, never sent
        assert _offer(agent, world.leggings_a.serial, replace(info, run_id=run_id)).status_code == 200
    fourth = _offer(agent, world.leggings_a.serial, replace(info, run_id=4))
    assert fourth.status_code == 400 and "finish those first" in fourth.json()["error"]
    huge = runs.RunInfo(9, 1_790_000_000, 0, 200, 32, 2000, 2**32 - 1)
    other = make_leggings(world.coach_a, world.arno)
    reply = _offer(agent, other.serial, huge)
    assert reply.status_code == 400 and "MB" in reply.json()["error"]
    assert Upload.objects.count() == 3

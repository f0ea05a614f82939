# SPDX-License-Identifier: MIT
"""Monitoring hooks as systemd and Alertmanager run them: one ticket per
problem, later occurrences as comments, a storm counted and not filed, and
the events read from real inputs (an Alertmanager payload on stdin, a
systemd-coredump entry in a journal made by systemd-journal-remote)."""

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import base_args, run_collect, write_policy  # noqa: E402
from fake_portal import FakePortal  # noqa: E402
import journal_fixtures  # noqa: E402
from test_ticket import FAST, write_config  # noqa: E402

ALERT = {
    "version": "4",
    "groupKey": "{}/{severity=\"critical\"}:{alertname=\"NodeDown\"}",
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "collect",
    "groupLabels": {"alertname": "NodeDown"},
    "commonLabels": {"alertname": "NodeDown", "severity": "critical", "job": "node"},
    "commonAnnotations": {"summary": "Node node-04 unreachable"},
    "externalURL": "http://alertmanager.example:9093",
    "alerts": [{
        "status": "firing",
        "labels": {"alertname": "NodeDown", "instance": "node-04:9100", "severity": "critical"},
        "annotations": {"summary": "Node node-04 unreachable"},
        "startsAt": "2026-03-01T14:30:12.345Z", "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example:9090/graph", "fingerprint": "1a30ba71cca2921f",
    }],
    "unknownField": {"ignored": True},
}


@pytest.fixture
def portal():
    p = FakePortal().start()
    yield p
    p.stop()


def hook(root, dirs, *args, stdin=None):
    return run_collect(["hook"] + list(args) + base_args(root, dirs, "--json"), env=FAST,
                       input=stdin)


def bundles(dirs):
    return [f for f in os.listdir(dirs["out"]) if f.endswith(".tar.gz")]


def test_unit_failure_once_then_comments(root, dirs, portal):
    write_config(dirs, portal.url)
    r = hook(root, dirs, "unit-failure", "app.service")
    assert r.rc == 0, r
    first = r.json["ticket"]
    assert first["action"] == "created" and first["key"]
    assert "a new problem" in r.err
    req = portal.created()[0]
    assert "app.service failed" in json.dumps(req)
    r = hook(root, dirs, "unit-failure", "app.service")
    assert r.rc == 0, r
    assert r.json["ticket"]["key"] == first["key"]
    assert r.json["ticket"]["action"] in ("attached", "commented")
    assert len(portal.created()) == 1
    assert len(portal.created()[0]["_comments"]) >= 1
    assert len(bundles(dirs)) == 2


def test_storm_is_counted_not_filed(root, dirs, portal):
    write_config(dirs, portal.url)
    write_policy(dirs, "50-storm.yaml", "autofile: {max_tickets_per_hour: 2}\n")
    for unit in ("a.service", "b.service"):
        r = hook(root, dirs, "unit-failure", unit)
        assert r.rc == 0 and r.json["ticket"]["action"] == "created", r
    r = run_collect(["hook", "unit-failure", "c.service"] + base_args(root, dirs), env=FAST)
    assert r.rc == 0, r
    assert "counted, not filed" in r.err
    assert len(portal.created()) == 2
    assert len(bundles(dirs)) == 2          # nothing collected for the suppressed one
    state = json.load(open(dirs["state"] / "autofile.json"))
    assert state["problems"]["unit-failure:c.service"]["suppressed"] == 1


def test_alertmanager_firing_then_resolved(root, dirs, portal):
    write_config(dirs, portal.url)
    r = hook(root, dirs, "alertmanager", stdin=json.dumps(ALERT))
    assert r.rc == 0, r
    key = r.json["ticket"]["key"]
    assert "NodeDown: Node node-04 unreachable" in json.dumps(portal.created()[0])
    # Alertmanager re-sends the group every repeat_interval: no second ticket
    resolved = dict(ALERT, status="resolved")
    r = hook(root, dirs, "alertmanager", stdin=json.dumps(resolved))
    assert r.rc == 0, r
    assert r.json["ticket"]["key"] == key
    assert len(portal.created()) == 1


def test_alertmanager_bad_payload(root, dirs):
    r = hook(root, dirs, "alertmanager", stdin="{not json")
    assert r.rc == 65, r
    assert "alertmanager payload" in r.err
    r = hook(root, dirs, "alertmanager", stdin=json.dumps({"status": "firing"}))
    assert r.rc == 65, r
    # a resolved alert with no ticket: nothing to do
    r = run_collect(["hook", "alertmanager"] + base_args(root, dirs), env=FAST,
                    input=json.dumps(dict(ALERT, status="resolved")))
    assert r.rc == 0 and "nothing to file" in r.err, r
    assert bundles(dirs) == []


def test_coredump_from_the_journal(root, dirs, tmp_path):
    jdir = tmp_path / "journal"
    facts = journal_fixtures.build_fixture(str(jdir))
    assert facts
    r = run_collect(["hook", "coredump", "--journal-dir", str(jdir)] +
                    base_args(root, dirs, "--json"), env=FAST)
    assert r.rc == 0, r
    assert r.json["ticket"]["action"] == "drafted"
    draft = open(r.json["bundle"]["path"] + ".ticket.txt").read()
    assert "crashed (SIGSEGV)" in draft
    # outside the window: nothing
    r = run_collect(["hook", "coredump", "--journal-dir", str(jdir), "--since",
                     "2020-01-01", "--until", "2020-01-02"] + base_args(root, dirs)[:-4],
                    env=FAST)
    assert r.rc == 0 and "no systemd-coredump entry" in r.err, r


@pytest.mark.parametrize("args", [["hook"], ["hook", "unit-failure"], ["hook", "frob"],
                                  ["hook", "coredump", "extra"]])
def test_hook_usage(args):
    r = run_collect(args)
    assert r.rc == 64, r
    assert "usage: collect hook" in r.err

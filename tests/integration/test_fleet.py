# SPDX-License-Identifier: MIT
"""Fleet: the Ansible playbook packaging/ansible/collect.yml over three
inventory hosts on this machine (local connection, each with its own root,
state, spool and output) against the fake portal leaves exactly one request
with three bundles; the credentials come from Ansible Vault and never show.
The Kubernetes manifests are validated against trimmed API schemas
(tests/data/k8s-schemas.json) and the container entrypoint runs here."""

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import BIN, FIXTURE_ROOT, SRCDIR

sys.path.insert(0, os.path.dirname(__file__))
from fake_portal import FakePortal  # noqa: E402

TOKEN = "fl33t-s3cr3t-T0KEN"
EMAIL = "ops-bot@customer.example"
PLAYBOOK = os.path.join(SRCDIR, "packaging", "ansible", "collect.yml")
FAST = {"COLLECT_TEST_BACKOFF_MS": "20", "COLLECT_TEST_SETTLE_MS": "400",
        "COLLECT_TEST_HTTP_TIMEOUT_MS": "5000"}
need_ansible = pytest.mark.skipif(
    not (shutil.which("ansible-playbook") and shutil.which("ansible-vault")),
    reason="ansible-core not installed")


@pytest.fixture
def portal():
    p = FakePortal(email=EMAIL, token=TOKEN).start()
    yield p
    p.stop()


def ansible_env(tmp_path):
    env = dict(os.environ, **FAST)
    env.update({"ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
                "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
                "ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "collections"),
                "HOME": str(tmp_path)})
    for k in ("COLLECT_CONFIG", "COLLECT_PORTAL_TOKEN", "COLLECT_PORTAL_EMAIL", "ANSIBLE_CONFIG"):
        env.pop(k, None)
    return env


def vault_vars(tmp_path, env):
    """The credentials as Ansible Vault strings (the secret on stdin, not argv)."""
    pw = tmp_path / "vault-pass"
    pw.write_text("test-vault-password\n")
    os.chmod(pw, 0o600)
    out = ""
    for name, value in (("collect_credentials_email", EMAIL),
                        ("collect_credentials_token", TOKEN)):
        p = subprocess.run(["ansible-vault", "encrypt_string", "--vault-password-file", str(pw),
                            "--stdin-name", name], input=value, capture_output=True, text=True,
                           timeout=120, env=env)
        assert p.returncode == 0, p.stderr
        out += p.stdout.strip() + "\n"
    assert TOKEN not in out
    (tmp_path / "vault.yml").write_text(out)
    return pw


def inventory(tmp_path, portal_url, hosts):
    inv = {"all": {"hosts": {}, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "/usr/bin/python3",
        "collect_install": False, "collect_binary": BIN,
        "collect_since": "2026-11-26T00:00:00Z"}}}
    for h in hosts:
        d = tmp_path / h
        for sub in ("state", "spool", "out", "etc"):
            (d / sub).mkdir(parents=True)
        shutil.copytree(FIXTURE_ROOT, d / "root", symlinks=True)
        inv["all"]["hosts"][h] = {
            "collect_config_path": str(d / "etc" / "collect.yaml"),
            "collect_config": {
                "environment": "production", "product": "Payments API",
                "portal": {"url": portal_url, "deployment": "cloud",
                           "credentials": str(d / "etc" / "credentials"),
                           "service_desk": "SUP",
                           "request_types": {"incident": "Report an incident",
                                             "question": "Ask a question"}}},
            "collect_extra_args": ["--root", str(d / "root"), "--state-dir", str(d / "state"),
                                   "--spool-dir", str(d / "spool"), "--output", str(d / "out"),
                                   "--until", "2026-11-28T00:00:00Z"]}
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inv))
    return path


def run_playbook(tmp_path, inv, pw, env, *extra):
    p = subprocess.run(["ansible-playbook", "-i", str(inv), PLAYBOOK, "--vault-password-file",
                        str(pw), "-e", "@" + str(tmp_path / "vault.yml")] + list(extra),
                       capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp_path),
                       stdin=subprocess.DEVNULL)
    return p


@need_ansible
def test_three_hosts_one_ticket(tmp_path, portal):
    hosts = ["web1", "web2", "db1"]
    env = ansible_env(tmp_path)
    pw = vault_vars(tmp_path, env)
    inv = inventory(tmp_path, portal.url, hosts)
    p = run_playbook(tmp_path, inv, pw, env)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert TOKEN not in out

    reqs = portal.created()
    assert len(reqs) == 1, out
    # three bundles (the new ticket also carries its timeline.svg)
    assert len([a for a in reqs[0]["_attachments"] if a["name"].endswith(".tar.gz")]) == 3, \
        reqs[0]["_attachments"]

    for h in hosts:
        bundles = glob.glob(str(tmp_path / h / "out" / "*.tar.gz"))
        assert len(bundles) == 1, h
        cred = tmp_path / h / "etc" / "credentials"
        assert oct(os.stat(cred).st_mode & 0o777) == "0o600"
        assert TOKEN in cred.read_text()
        assert "service_desk: SUP" in (tmp_path / h / "etc" / "collect.yaml").read_text()
        # one line per host: status, bundle, ticket action
        line = [l for l in out.splitlines() if f'"msg": "{h}: exit 0' in l]
        assert line, out
        assert "SUP-481" in line[0] and os.path.basename(bundles[0]) in line[0]
    actions = sorted(l.split("ticket ")[1].split()[0] for l in out.splitlines()
                     if '"msg": "' in l and ": exit 0" in l)
    assert actions[0] in ("attached", "commented") and "created" in actions


@need_ansible
def test_existing_ticket_every_host_attaches(tmp_path, portal):
    env = ansible_env(tmp_path)
    pw = vault_vars(tmp_path, env)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    p = run_playbook(tmp_path, inventory(tmp_path / "a", portal.url, ["seed"]), pw, env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert len(portal.created()) == 1
    p = run_playbook(tmp_path, inventory(tmp_path / "b", portal.url, ["app1", "app2"]), pw, env,
                     "-e", "collect_ticket=SUP-481")
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert len(portal.created()) == 1
    assert len([a for a in portal.created()[0]["_attachments"]
                if a["name"].endswith(".tar.gz")]) == 3
    assert "created" not in [l.split("ticket ")[1].split()[0] for l in out.splitlines()
                             if '"msg": "app' in l]

# SPDX-License-Identifier: MIT
"""Kubernetes and the container: the manifests in packaging/kubernetes/ are
valid for their kinds (a trimmed copy of the Kubernetes API schema in
tests/data/k8s-schemas.json, checked by a small validator below), the
DaemonSet runs `collect watch` against the host's / read-only at /host, and
the image's entrypoint runs here as a process: a one-off collection of a
host tree, and the watch mode until SIGTERM."""

import glob
import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import BIN, FIXTURE_ROOT, SRCDIR

yaml = pytest.importorskip("yaml")

K8S = os.path.join(SRCDIR, "packaging", "kubernetes")
ENTRYPOINT = os.path.join(SRCDIR, "packaging", "container", "entrypoint.sh")
with open(os.path.join(SRCDIR, "tests", "data", "k8s-schemas.json")) as _f:
    SCHEMAS = json.load(_f)
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def type_ok(value, t):
    if isinstance(t, list):
        return any(type_ok(value, x) for x in t)
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, TYPES[t])


def validate(value, schema, path="$"):
    """The errors of VALUE against a JSON-schema subset: $ref, type, enum,
    pattern, maxLength, minimum, maximum, minItems, required, properties,
    additionalProperties, items."""
    if "$ref" in schema:
        schema = SCHEMAS["definitions"][schema["$ref"].rsplit("/", 1)[1]]
    errors = []
    if "type" in schema and not type_ok(value, schema["type"]):
        return [f"{path}: {value!r} is not {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
        if len(value) > schema.get("maxLength", len(value)):
            errors.append(f"{path}: too long")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            errors.append(f"{path}: {value} out of range")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{path}: fewer than {schema['minItems']} items")
        for i, item in enumerate(value):
            errors += validate(item, schema.get("items", {}), f"{path}[{i}]")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                errors.append(f"{path}: {key} is required")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, v in value.items():
            if key in props:
                errors += validate(v, props[key], f"{path}.{key}")
            elif extra is False:
                errors.append(f"{path}: unknown field {key}")
            elif isinstance(extra, dict):
                errors += validate(v, extra, f"{path}.{key}")
    return errors


def documents():
    docs = []
    for path in sorted(glob.glob(os.path.join(K8S, "*.yaml"))):
        with open(path) as f:
            docs += [(os.path.basename(path), d) for d in yaml.safe_load_all(f) if d]
    return docs


def kind_key(doc):
    return f"{doc['apiVersion']}/{doc['kind']}"


def test_validator_rejects_mistakes():
    ds = next(d for _, d in documents() if d["kind"] == "DaemonSet")
    bad = json.loads(json.dumps(ds))
    bad["spec"]["template"]["spec"]["containers"][0]["volumeMount"] = []
    bad["spec"]["template"]["spec"]["volumes"][0]["hostPath"]["type"] = "Dir"
    del bad["spec"]["selector"]
    errors = validate(bad, SCHEMAS["kinds"]["apps/v1/DaemonSet"])
    assert any("unknown field volumeMount" in e for e in errors), errors
    assert any("'Dir' not one of" in e for e in errors), errors
    assert any("selector is required" in e for e in errors), errors


def test_manifests_are_valid():
    docs = documents()
    kinds = sorted({kind_key(d) for _, d in docs})
    assert kinds == ["apps/v1/DaemonSet", "v1/ConfigMap", "v1/Namespace", "v1/Secret",
                     "v1/ServiceAccount"]
    for name, doc in docs:
        errors = validate(doc, SCHEMAS["kinds"][kind_key(doc)])
        assert not errors, (name, errors)


def test_daemonset_runs_watch_on_the_host_read_only():
    docs = {d["kind"]: d for _, d in documents()}
    ds = docs["DaemonSet"]
    pod = ds["spec"]["template"]["spec"]
    assert ds["spec"]["selector"]["matchLabels"].items() <= \
        ds["spec"]["template"]["metadata"]["labels"].items()
    c = pod["containers"][0]
    assert c["args"][0] == "watch"
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    for path, host in (("/host", "/"), ("/host/var/log", "/var/log"),
                       ("/host/var/log/journal", "/var/log/journal")):
        assert mounts[path]["readOnly"] is True
        assert volumes[mounts[path]["name"]]["hostPath"]["path"] == host
    assert volumes[mounts["/etc/collect"]["name"]]["configMap"]["name"] == \
        docs["ConfigMap"]["metadata"]["name"]
    assert volumes[mounts["/etc/collect-secret"]["name"]]["secret"]["secretName"] == \
        docs["Secret"]["metadata"]["name"]
    assert "collect.yaml" in docs["ConfigMap"]["data"]
    assert pod["serviceAccountName"] == docs["ServiceAccount"]["metadata"]["name"]
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"]
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert not sc.get("privileged")
    yaml.safe_load(docs["ConfigMap"]["data"]["collect.yaml"])
    for d in docs.values():
        if d["kind"] != "Namespace":
            assert d["metadata"]["namespace"] == docs["Namespace"]["metadata"]["name"]


def test_containerfile_uses_the_entrypoint():
    with open(os.path.join(SRCDIR, "packaging", "container", "Containerfile")) as f:
        text = f.read()
    assert "entrypoint.sh" in text and 'CMD ["watch"]' in text
    assert "make deb" in text


@pytest.fixture
def container(tmp_path):
    """A host tree, a ConfigMap directory and a Secret directory as a pod has them."""
    host = tmp_path / "host"
    subprocess.run(["cp", "-a", FIXTURE_ROOT, str(host)], check=True)
    cfg = tmp_path / "configmap"
    cfg.mkdir()
    (cfg / "collect.yaml").write_text("environment: production\nproduct: Kubernetes\n")
    sec = tmp_path / "secret"
    sec.mkdir()
    (sec / "email").write_text("ops-bot@customer.example")
    (sec / "token").write_text("k8s-s3cr3t-token")
    env = dict(os.environ, COLLECT_BIN=BIN, COLLECT_HOST_ROOT=str(host),
               COLLECT_CONFIG_FILE=str(cfg / "collect.yaml"), COLLECT_SECRET_DIR=str(sec),
               COLLECT_RUN_DIR=str(tmp_path / "run"), COLLECT_STATE_DIR=str(tmp_path / "state"),
               COLLECT_SPOOL_DIR=str(tmp_path / "spool"), COLLECT_LISTEN="127.0.0.1:19599")
    return tmp_path, env


def test_entrypoint_one_off_collection(container):
    tmp, env = container
    p = subprocess.run(["sh", ENTRYPOINT, "--json", "--since", "2026-11-26T00:00:00Z",
                        "--until", "2026-11-28T00:00:00Z"], capture_output=True, text=True,
                       env=env, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout)
    bundle = result["bundle"]["path"]
    assert os.path.dirname(bundle) == str(tmp / "state" / "bundles")
    assert os.path.exists(bundle)
    cred = tmp / "run" / "credentials"
    assert oct(os.stat(cred).st_mode & 0o777) == "0o600"
    assert "token: \"k8s-s3cr3t-token\"" in cred.read_text()
    assert "k8s-s3cr3t-token" not in p.stdout + p.stderr


def test_entrypoint_watch_until_sigterm(container):
    tmp, env = container
    (tmp / "host" / "var" / "log" / "journal").mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(["sh", ENTRYPOINT], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        time.sleep(2)
        assert proc.poll() is None, proc.communicate()
        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        # exec'd: the entrypoint became collect watch --root HOST
        assert argv[0].decode() == BIN and argv[1] == b"watch"
        assert str(tmp / "host").encode() in argv
        assert (str(tmp / "host") + "/var/log/journal").encode() in argv
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode in (0, 143, -signal.SIGTERM), err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_entrypoint_without_host(container):
    tmp, env = container
    env["COLLECT_HOST_ROOT"] = str(tmp / "missing")
    p = subprocess.run(["sh", ENTRYPOINT], capture_output=True, text=True, env=env, timeout=30)
    assert p.returncode == 66 and "not mounted" in p.stderr

# SPDX-License-Identifier: MIT
"""The manual pages: every long option of the code (the option table in
agent/cli/args.c) is in `collect --help` (or the verb's --help) and in
collect(8); each page renders with `man --warnings` without a warning; the
shell completions offer every option."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import BIN, SRCDIR

MAN_DIR = os.path.join(SRCDIR, "packaging", "man")
PAGES = ["collect.8", "collect.yaml.5", "collect-policies.5"]
VERBS = ["snapshot", "check", "spool", "portal", "policy", "hook", "watch", "poll"]


def code_options():
    with open(os.path.join(SRCDIR, "agent", "cli", "args.c")) as f:
        text = f.read()
    opts = re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument', text)
    assert len(opts) >= 25, opts
    return sorted(set(opts))


def help_text():
    out = ""
    for args in [["--help"]] + [[v, "--help"] for v in VERBS]:
        p = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        out += p.stdout + p.stderr
    return out


def render(page, width="80"):
    env = dict(os.environ, MANWIDTH=width, LC_ALL="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)
    return subprocess.run(["man", "--warnings", "-l", os.path.join(MAN_DIR, page)],
                          capture_output=True, text=True, timeout=60, env=env,
                          stdin=subprocess.DEVNULL)


def plain(page):
    """The rendered page with words broken across lines joined again."""
    p = render(page, "200")
    assert p.returncode == 0, p.stderr
    return re.sub(r"[-\u2010]\n\s*", "", p.stdout.replace("\u2010", "-"))


def test_every_option_in_help():
    p = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0
    text = help_text()
    missing = [o for o in code_options() if "--" + o not in text]
    assert not missing, f"options missing from --help: {missing}"


@pytest.mark.skipif(not shutil.which("man"), reason="man not installed")
def test_every_option_in_collect_8():
    text = plain("collect.8")
    missing = [o for o in code_options() if "--" + o not in text]
    assert not missing, f"options missing from collect(8): {missing}"
    for verb in VERBS:
        assert re.search(r"\b" + verb + r"\b", text), verb
    for code in ["64", "65", "66", "73", "75", "77", "78"]:
        assert re.search(r"^\s+" + code + r"\s*$", text, re.M) or f" {code} " in text, code
    for section in ["EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"]:
        assert section in text
    for env in ["COLLECT_CONFIG", "COLLECT_PORTAL_EMAIL", "COLLECT_PORTAL_TOKEN"]:
        assert env in text


@pytest.mark.skipif(not shutil.which("man"), reason="man not installed")
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_warnings(page):
    p = render(page)
    assert p.returncode == 0, p.stderr
    assert p.stderr.strip() == "", p.stderr
    assert len(p.stdout) > 1500


@pytest.mark.skipif(not shutil.which("man"), reason="man not installed")
def test_config_page_names_every_key():
    with open(os.path.join(SRCDIR, "agent", "policy", "site-config.c")) as f:
        src = f.read()
    keys = set()
    for block in re.findall(r"keys\[\]\s*=\s*\{([^}]*)\}", src):
        keys.update(re.findall(r'"([a-z_]+)"', block))
    assert {"url", "service_desk", "tier"} <= keys
    text = plain("collect.yaml.5")
    missing = sorted(k for k in keys if not re.search(r"\b" + k + r"\b", text))
    assert not missing, missing


@pytest.mark.skipif(not shutil.which("man"), reason="man not installed")
def test_policies_page_names_every_shipped_key():
    text = plain("collect-policies.5")
    missing = []
    for name in os.listdir(os.path.join(SRCDIR, "policies")):
        with open(os.path.join(SRCDIR, "policies", name)) as f:
            for line in f:
                m = re.match(r"^\s*#?\s{0,6}([a-z_]+):\s", line)
                top = re.match(r"^([a-z_]+):", line)
                key = (top or m).group(1) if (top or m) else None
                if key and (top or line.startswith("  ") and not line.strip().startswith("- ")):
                    if len(line) - len(line.lstrip(" #")) <= 4 and \
                            not re.search(r"\b" + key + r"\b", text):
                        missing.append(f"{name}: {key}")
    assert not missing, missing


def bash_complete(words):
    script = (f"source {os.path.join(SRCDIR, 'packaging', 'completion', 'collect.bash')}\n"
              f"COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}\n"
              "_collect; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout.split()


def test_bash_completion():
    offered = bash_complete(["collect", "--"])
    missing = [o for o in code_options() if "--" + o not in offered and o != "listen"]
    assert not missing, missing
    assert "--listen" in bash_complete(["collect", "watch", "--"])
    assert set(bash_complete(["collect", "''"])) >= set(VERBS)
    assert bash_complete(["collect", "--type", "''"]) == ["incident", "question"]
    assert bash_complete(["collect", "--severity", "P"]) == ["P1", "P2", "P3", "P4"]
    assert bash_complete(["collect", "spool", "''"]) == ["list", "flush", "drop"]
    assert "unit-failure" in bash_complete(["collect", "hook", "''"])
    if shutil.which("systemctl"):
        units = bash_complete(["collect", "hook", "unit-failure", "''"])
        listed = subprocess.run(["systemctl", "list-units", "--all", "--plain", "--no-legend"],
                                capture_output=True, text=True, timeout=30).stdout.split("\n")
        expect = {l.split()[0] for l in listed if l.strip()}
        assert set(units) == expect


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh not installed")
def test_zsh_completion_parses():
    path = os.path.join(SRCDIR, "packaging", "completion", "_collect")
    p = subprocess.run(["zsh", "-n", path], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr


def test_zsh_completion_offers_every_option():
    with open(os.path.join(SRCDIR, "packaging", "completion", "_collect")) as f:
        text = f.read()
    missing = [o for o in code_options() if "--" + o not in text]
    assert not missing, missing

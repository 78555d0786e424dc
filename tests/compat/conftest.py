"""Runs a real `kassa serve` (release build) for the official stripe-python.

KASSA_BIN names the binary; KASSA_COMPAT_DATABASE_URL picks the database
(default: a fresh SQLite file in a temporary directory).
"""

import json
import os
import secrets
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest
import stripe


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def kassa():
    binary = os.environ.get("KASSA_BIN", "target/release/kassa")
    tmp = tempfile.mkdtemp(prefix="kassa-compat-")
    db = os.environ.get("KASSA_COMPAT_DATABASE_URL") or f"sqlite:{tmp}/kassa.db"
    port = _free_port()
    env = dict(os.environ, KASSA_DATABASE_URL=db, KASSA_MASTER_KEY=secrets.token_hex(32),
               KASSA_ADDR=f"127.0.0.1:{port}", KASSA_LOG="warn")
    out = subprocess.run([binary, "account", "create", "--name", "compat", "--json"],
                         env=env, check=True, capture_output=True, text=True)
    account = json.loads(out.stdout)
    log = open(os.path.join(tmp, "serve.log"), "w")
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("kassa serve did not become ready")
    yield {"base": base, **account}
    proc.terminate()
    assert proc.wait(timeout=20) == 0, "kassa serve did not stop cleanly on SIGTERM"


@pytest.fixture()
def sk(kassa):
    """The module-level stripe API, pointed at kassa."""
    stripe.api_key = kassa["secret_key"]
    stripe.api_base = kassa["base"]
    stripe.max_network_retries = 0
    return kassa["secret_key"]


@pytest.fixture()
def client(kassa):
    return stripe.StripeClient(kassa["secret_key"], base_addresses={"api": kassa["base"]}, max_network_retries=0)

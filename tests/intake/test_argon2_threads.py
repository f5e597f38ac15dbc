"""Argon2id derivations from several threads of one process all finish, on any machine.

gunicorn serves two requests at once in each worker (gunicorn.conf.py, threads). Two survivors
sending at the same moment, or a survivor and a caseworker signing in, derive Argon2id keys in two
threads of one process. Without the lock in intake/crypto/kdf.py, OpenSSL's thread pool deadlocked
them on a 2-core machine and both requests hung for ever (found by `make bench`, and by
tests/faults/test_submission_burst.py through a real server). This test pins the interpreter to
two cores, so it shows the deadlock whatever the machine it runs on.
"""

import subprocess
import sys

from tests.conftest import PROJECT_ROOT

# Runs in a fresh interpreter limited to two cores, since `cryptography` sizes OpenSSL's thread
# pool from the cores it may use when it is first imported: the same on every test machine.
CHILD = """
import os, sys, threading, time
os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:2])
from intake import crypto

def survivor():
    crypto.receipt_secrets("12345678901234567890", b"server secret")

def staff():
    salt = crypto.new_salt()
    sealed = crypto.seal_private_key(b"k" * 96, "a staff password", salt)
    assert crypto.open_private_key(sealed, "a staff password", salt) == b"k" * 96

threads = [threading.Thread(target=f, daemon=True) for f in (survivor, staff, survivor, staff)]
for thread in threads:
    thread.start()
deadline = time.monotonic() + 20
for thread in threads:
    thread.join(timeout=max(0.1, deadline - time.monotonic()))
hung = sum(thread.is_alive() for thread in threads)
print(f"{hung} of {len(threads)} derivations hung", flush=True)
os._exit(1 if hung else 0)
"""


def test_derivations_in_several_threads_at_once_all_finish() -> None:
    child = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stdout + child.stderr

"""Faults of the real stack (issue 7): each test breaks a real part while survivors submit, then
checks that no account was lost, none duplicated, and every survivor was told the truth.

- PostgreSQL restarting during submissions: test_postgres_restart.py
- Redis restarting during routing: test_redis_restart.py
- a full disk for media: test_disk_full.py
- a burst of submissions beyond the rate limit: test_submission_burst.py
- a worker killed mid-task: tests/routing/test_worker_killed.py (with the other routing proofs)

What each survivor sees is listed in docs/faults.md.
"""

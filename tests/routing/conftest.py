from tests.caseworker.conftest import coordinator  # noqa: F401  (shared persona fixture)

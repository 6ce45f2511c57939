"""Loaded before Django's settings are read (pyproject.toml's addopts, `-p`): the suite reads no
.env file (settings.py's ENV_FILE, empty), so the development .env that `make run` writes
(DEBUG=1, a secret key) never changes what is tested, with `make test` or pytest run by hand,
and every run tests what CI's clean clone tests. The tests' own processes inherit it; one given
an environment of its own passes ENV_FILE itself. Set ENV_FILE to test with a file on purpose."""

import os

os.environ.setdefault("ENV_FILE", "")

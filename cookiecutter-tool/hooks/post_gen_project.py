"""Remove tool caches that running linters over the template directory may have left in it."""

import shutil
from pathlib import Path

for cache in (".ruff_cache", ".mypy_cache", ".pytest_cache"):
    shutil.rmtree(Path.cwd() / cache, ignore_errors=True)

"""django-q2 tasks of the project wiring."""

import os
from pathlib import Path


def cluster_probe(*, path: str, token: str) -> int:
    """Proves a worker cluster consumes the queue: appends this worker's pid to the file.

    A probe left in the queue by a run that has ended finds its directory gone and does nothing."""
    if not Path(path).parent.is_dir():
        return 0
    with Path(path).open("a") as out:
        out.write(f"{token} {os.getpid()}\n")
    return os.getpid()

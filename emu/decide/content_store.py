"""A folder of JSON values addressed by a content key, safe for concurrent writers.

Every value is written to a private temporary file in the same folder and renamed over
its final name: a rename within one file system is atomic, so a reader sees either no
value or a whole one, never a torn write, however many processes share the folder.
Two writers of the same key write the same bytes, so whichever rename lands last is fine.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


class ContentStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        # Two-character shards keep folders small when a cache holds many runs.
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            return json.loads(self.path_for(key).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            # Not one of ours (written by hand, disk trouble): a miss, recomputed and replaced.
            return None

    def put(self, key: str, value: dict) -> None:
        final = self.path_for(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".tmp", dir=final.parent)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(value, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

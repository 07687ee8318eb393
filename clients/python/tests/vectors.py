"""docs/vectors.json, the protocol's test vectors: the one file every client's tests read."""
import json
import os
from pathlib import Path


def path() -> Path:
    given = os.environ.get("PRESENCE_VECTORS")
    if given:
        return Path(given)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "docs" / "vectors.json"
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("docs/vectors.json not found above the tests; set PRESENCE_VECTORS")


def load() -> dict:
    with open(path(), encoding="utf-8") as f:
        return json.load(f)

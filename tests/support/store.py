"""A template store built once per session and copied per test (a copy takes milliseconds, a build ~0.5 s).

A recipe says what a fresh window home holds: initialised at `now` (the calendar years it seeds depend on
it) for centre 310104 window 01 with the demo users and catalogue, then optionally a test catalogue
imported on top. Building it per test and copying the template built from the same recipe give the same
rows (password salts aside), so the copy is a faithful stand-in for `init_store` + `import_catalogue`.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tests.support.clock import MovableClock


@dataclass(frozen=True)
class StoreRecipe:
    now: datetime
    centre_name: str = ""
    catalogue: Path | None = None  # a catalogue JSON imported after the demo one

    def key(self) -> str:
        text = f"{self.now.isoformat()}|{self.centre_name}|{self.catalogue or ''}"
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def build_store(home: Path, recipe: StoreRecipe) -> Path:
    """What every test home used to be made of: init_store (demo) and the recipe's catalogue."""
    from desktop.core.catalogue import storage
    from desktop.core.services import Services, init_store

    clock = MovableClock(recipe.now)
    init_store(home, centre_code="310104", window_no="01", centre_name=recipe.centre_name, demo=True,
               clock=clock)
    if recipe.catalogue is not None:
        svc = Services(home, clock=clock)
        try:
            # provisioning, as init --demo loads its catalogue (no user acts yet, nothing queued for the
            # centre); a catalogue an administrator imports later is recorded for the centre
            storage.import_catalogue(svc.store, recipe.catalogue.read_text(encoding="utf-8"), actor=None)
        finally:
            svc.close()
    return home


class TemplateStores:
    """Templates under `root`, built on first use; `copy(recipe, dest)` gives a test its own home."""

    def __init__(self, root: Path):
        self.root = root
        self.built: dict[str, Path] = {}

    def template(self, recipe: StoreRecipe) -> Path:
        key = recipe.key()
        if key not in self.built:
            path = self.root / key
            build_store(path, recipe)
            leftovers = sorted(p.name for p in path.iterdir() if p.name.endswith(("-wal", "-shm", "-journal")))
            assert not leftovers, f"the template store was not closed cleanly: {leftovers}"
            self.built[key] = path
        return self.built[key]

    def copy(self, recipe: StoreRecipe, dest: Path) -> Path:
        shutil.copytree(self.template(recipe), dest)
        return dest

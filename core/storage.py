"""File storage behind one small interface; the embedded default is a local folder."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, current_app


class LocalStorage:
    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"path escapes the storage root: {name}")
        return path

    def save(self, name: str, data: bytes) -> str:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers never see half a file
        return name

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def local_path(self, name: str) -> Path:
        return self._path(name)


def init_app(app: Flask) -> None:
    app.extensions["choso.storage"] = LocalStorage(app.config["UPLOAD_DIR"])


def storage() -> LocalStorage:
    return current_app.extensions["choso.storage"]

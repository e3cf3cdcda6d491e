"""Download a file once, check it, keep it: Keras's ``keras.utils.get_file`` for numeras.

Files are cached under ``~/.numeras/<cache_subdir>`` (``~/.numeras/datasets`` by default). Set the
environment variable ``NUMERAS_HOME`` to use another folder instead of ``~/.numeras``, as
``KERAS_HOME`` does for Keras. If that folder cannot be created or written, numeras falls back to
``<temp dir>/.numeras`` like Keras does.

A download goes to a temporary file in the cache folder and is renamed to its final name only once
it is complete and its hash matches, so an interrupted or corrupt transfer is never taken for the
real file. Downloads use the `pooch <https://www.fatiando.org/pooch>`_ package, imported only when a
download is actually needed; reading a file that is already cached needs nothing beyond the
standard library.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import urllib.parse
import zipfile
from typing import Any

__all__ = ["DownloadError", "get_file", "hash_file", "validate_file", "numeras_home", "extract_archive"]

HOME_ENV_VAR = "NUMERAS_HOME"
_DOWNLOAD_TIMEOUT_S = 60
_DOWNLOAD_CHUNK_BYTES = 1 << 16
_HEX = re.compile(r"[0-9a-fA-F]+")


class DownloadError(OSError):
    """A file could not be downloaded (no network, server error, connection cut mid-file)."""


def numeras_home() -> str:
    """The folder numeras caches files under: ``$NUMERAS_HOME`` if set, else ``~/.numeras``."""
    configured = os.environ.get(HOME_ENV_VAR)
    return os.path.expanduser(configured) if configured else os.path.join(os.path.expanduser("~"), ".numeras")


def _resolve_algorithm(algorithm: str, file_hash: str | None) -> str:
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"get_file: `hash_algorithm` must be 'auto', 'sha256' or 'md5', received {algorithm!r}."
        )
    if algorithm != "auto":
        return algorithm
    # Keras's rule: a 64-hex-digit hash is a sha256, anything else an md5.
    return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"


def hash_file(fpath: str | os.PathLike, algorithm: str = "sha256", chunk_size: int = 1 << 20) -> str:
    """The hex digest of a file's bytes, ``"sha256"`` or ``"md5"`` (``"auto"`` means sha256)."""
    name = "sha256" if algorithm in ("auto", "sha256") else _resolve_algorithm(algorithm, None)
    hasher = hashlib.sha256() if name == "sha256" else hashlib.md5()
    with open(fpath, "rb") as stream:
        for block in iter(lambda: stream.read(chunk_size), b""):
            hasher.update(block)
    return hasher.hexdigest()


def validate_file(fpath: str | os.PathLike, file_hash: str, algorithm: str = "auto") -> bool:
    """Whether the file's sha256/md5 equals ``file_hash`` (``"auto"``: sha256 for 64 hex digits)."""
    name = _resolve_algorithm(algorithm, file_hash)
    return hash_file(fpath, name) == file_hash.lower()


def _writable_cache_root(cache_dir: str | None) -> str:
    root = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else numeras_home()
    try:
        os.makedirs(root, exist_ok=True)
        if os.access(root, os.W_OK):
            return root
    except OSError:
        pass
    # Keras falls back to a temporary folder when its home is read-only; so do we.
    return os.path.join(tempfile.gettempdir(), ".numeras")


def get_file(
    fname: str | os.PathLike | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str | list[str] | None = "auto",
    cache_dir: str | os.PathLike | None = None,
    force_download: bool = False,
) -> str:
    """Download ``origin`` into the cache unless a good copy is there already; return its path.

    The file lands at ``<cache_dir>/<cache_subdir>/<fname>``; ``cache_dir`` defaults to
    ``$NUMERAS_HOME`` or ``~/.numeras``, and an absolute ``cache_subdir`` is used as is.

    Args:
        fname: Name of the cached file (no folders). ``None``: the last part of ``origin``'s path.
        origin: URL of the file.
        untar: Deprecated (Keras): same as ``extract=True, archive_format="tar"``.
        md5_hash: Deprecated (Keras): same as ``file_hash=md5_hash, hash_algorithm="md5"``.
        file_hash: Expected sha256 (64 hex digits) or md5 (32) of the file. A cached file with
            another hash is downloaded again; a download with another hash is discarded and raises
            ``ValueError``; nothing is cached.
        cache_subdir: Folder under ``cache_dir`` to cache in.
        hash_algorithm: ``"auto"`` (from the hash's length), ``"sha256"`` or ``"md5"``.
        extract: Extract the archive (tar, tar.gz, tar.bz2, zip) next to it and return the folder
            it was extracted to, as Keras does: ``<name before the first dot>_extracted`` when
            ``fname`` has an extension, else ``fname`` itself (the archive is then kept as
            ``<fname>_archive``). Members that would land outside that folder are skipped.
        archive_format: ``"auto"`` (tar then zip), ``"tar"``, ``"zip"``, a list of those, or None.
        cache_dir: Root of the cache instead of ``$NUMERAS_HOME`` / ``~/.numeras``.
        force_download: Download even when a good copy is cached.

    Raises:
        DownloadError: the download failed (offline, refused, HTTP error, connection cut). The
            message names the file, the URL and the exact path to save the file at by hand.
        ValueError: the downloaded file's hash is not ``file_hash`` (nothing is cached).
        ModuleNotFoundError: a download is needed and ``pooch`` is not installed.
    """
    if origin is None:
        raise ValueError("get_file: pass `origin`, the URL of the file to download.")
    if md5_hash is not None and file_hash is None:
        file_hash = md5_hash
        hash_algorithm = "md5"
    if file_hash is not None:
        if not isinstance(file_hash, str) or not _HEX.fullmatch(file_hash) or len(file_hash) not in (32, 64):
            raise ValueError(
                "get_file: `file_hash` must be a sha256 (64 hex digits) or md5 (32 hex digits) hex "
                f"digest, received {file_hash!r}."
            )
        file_hash = file_hash.lower()
    algorithm = _resolve_algorithm(hash_algorithm, file_hash)

    datadir = os.path.join(_writable_cache_root(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided_fname = fname
    fname = os.fspath(fname) if fname is not None else None
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"get_file: cannot take a file name from origin={origin!r}; pass `fname`.")
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "get_file: `fname` must be a bare file name; choose its folder with `cache_dir` / "
            f"`cache_subdir`. Received fname={fname!r}."
        )

    if extract or untar:
        if provided_fname and "." in fname:
            download_target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            download_target = os.path.join(datadir, f"{fname}_archive")
    else:
        download_target = os.path.join(datadir, fname)

    needs_download = force_download or not os.path.isfile(download_target)
    if (
        not needs_download
        and file_hash is not None
        and not validate_file(download_target, file_hash, algorithm)
    ):
        print(
            f"The cached file {download_target} does not match its expected {algorithm} hash "
            f"{file_hash} (incomplete or outdated), so it will be downloaded again."
        )
        needs_download = True
    if needs_download:
        _download(origin, download_target, file_hash, algorithm)

    if extract or untar:
        if untar:
            archive_format = "tar"
        if not extract_archive(download_target, extraction_dir, archive_format):
            raise ValueError(
                f"get_file: {download_target} is not a {archive_format} archive, so it cannot be "
                "extracted. Pass extract=False to keep it as a plain file."
            )
        return extraction_dir
    return download_target


def _manual_instructions(origin: str, target: str, file_hash: str | None, algorithm: str) -> str:
    check = f" (its {algorithm} must be {file_hash})" if file_hash else ""
    return (
        f"Check the network connection and try again, or download {origin} by hand and save it "
        f"as {target}{check}; numeras will then use that file without downloading."
    )


def _download(origin: str, target: str, file_hash: str | None, algorithm: str) -> None:
    name = os.path.basename(target)
    try:
        import pooch
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            f"Downloading {name!r} needs the `pooch` package, which is not installed: run "
            f"`pip install pooch`. Alternatively, download {origin} by hand and save it as {target}.",
            name="pooch",
        ) from error
    import requests

    print(f"Downloading data from {origin}")
    progress = _PoochProgress()
    if urllib.parse.urlsplit(origin).scheme in ("http", "https"):
        downloader = pooch.HTTPDownloader(
            progressbar=progress, chunk_size=_DOWNLOAD_CHUNK_BYTES, timeout=_DOWNLOAD_TIMEOUT_S
        )
    else:
        downloader = pooch.choose_downloader(origin, progressbar=progress)
    # The bytes go to a temporary file next to the target and are renamed onto it only once
    # complete and verified: a cut connection, a bad hash or a killed process leaves no file
    # under the real name, and os.replace is atomic on one file system.
    handle, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=os.path.dirname(target))
    os.close(handle)
    try:
        try:
            downloader(origin, partial, None)
        except requests.exceptions.RequestException as error:
            raise DownloadError(
                f"Could not download {name!r} from {origin}: {type(error).__name__}: {error}. "
                f"Nothing was saved to {target}. "
                f"{_manual_instructions(origin, target, file_hash, algorithm)}"
            ) from None
        except OSError as error:
            raise DownloadError(
                f"Could not download {name!r} from {origin}: {type(error).__name__}: {error}. "
                f"Nothing was saved to {target}. "
                f"{_manual_instructions(origin, target, file_hash, algorithm)}"
            ) from error
        if file_hash is not None:
            received = hash_file(partial, algorithm)
            if received != file_hash:
                raise ValueError(
                    f"The file downloaded from {origin} for {name!r} is incomplete or corrupted: "
                    f"its {algorithm} is {received} but should be {file_hash}. It was discarded and "
                    f"nothing was saved to {target}. Try again; if this persists, download the file "
                    f"by hand and save it as {target}."
                )
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


class _PoochProgress:
    """The object pooch drives while downloading (``total``, ``update``, ``reset``, ``close``),
    drawn as a numeras ``Progbar`` counting bytes, like Keras's download bar."""

    def __init__(self) -> None:
        self.total = 0
        self._done = 0
        self._bar: Any = None

    def _ensure_bar(self) -> Any:
        if self._bar is None:
            from numeras.utils.progbar import Progbar

            self._bar = Progbar(int(self.total) if self.total else None)
        return self._bar

    def update(self, n: int) -> None:
        self._done += int(n)
        if self.total:
            # pooch counts whole chunks, so the last one can overshoot the size.
            self._done = min(self._done, int(self.total))
        bar = self._ensure_bar()
        bar.update(self._done, finalize=False)

    def reset(self) -> None:
        # pooch resets and then adds `total`; without a known size keep the running count.
        if self.total:
            self._done = 0

    def close(self) -> None:
        bar = self._ensure_bar()
        bar.update(self._done, finalize=True)


def _is_within(base: str, candidate: str) -> bool:
    base = os.path.realpath(base)
    resolved = os.path.realpath(os.path.join(base, candidate))
    try:
        return os.path.commonpath([base, resolved]) == base
    except ValueError:
        return False


def extract_archive(
    file_path: str | os.PathLike,
    path: str | os.PathLike = ".",
    archive_format: str | list[str] | None = "auto",
) -> bool:
    """Extract a tar (plain, gz, bz2, xz) or zip archive into ``path``; ``True`` if it was one.

    Members whose path (or link target) would leave ``path`` are skipped with a warning, and tar
    archives use Python's ``"data"`` filter (no device files, no setuid bits) where available.
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    if isinstance(formats, str):
        formats = [formats]
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        if kind == "tar":
            if not tarfile.is_tarfile(file_path):
                continue
            try:
                with tarfile.open(file_path) as archive:
                    members = [m for m in archive.getmembers() if _safe_tar_member(m, path)]
                    if hasattr(tarfile, "data_filter"):
                        archive.extractall(path, members=members, filter="data")
                    else:  # pragma: no cover - Python without PEP 706
                        archive.extractall(path, members=members)
            except (tarfile.TarError, OSError, KeyboardInterrupt):
                _remove(path)
                raise
            return True
        if kind == "zip":
            if not zipfile.is_zipfile(file_path):
                continue
            try:
                with zipfile.ZipFile(file_path) as archive:
                    members = [i for i in archive.infolist() if _within_or_warn(path, i.filename)]
                    archive.extractall(path, members=members)
            except (zipfile.BadZipFile, OSError, KeyboardInterrupt):
                _remove(path)
                raise
            return True
        raise ValueError(
            f"extract_archive: `archive_format` entries must be 'tar' or 'zip', received {kind!r}."
        )
    return False


def _within_or_warn(base: str, name: str) -> bool:
    if _is_within(base, name):
        return True
    import warnings

    warnings.warn(f"Skipping archive member {name!r}: it would be written outside {base}.", stacklevel=3)
    return False


def _safe_tar_member(member: tarfile.TarInfo, base: str) -> bool:
    if not _within_or_warn(base, member.name):
        return False
    if member.issym():
        return _within_or_warn(base, os.path.join(os.path.dirname(member.name), member.linkname))
    if member.islnk():
        return _within_or_warn(base, member.linkname)
    return True


def _remove(path: str) -> None:
    if os.path.isfile(path):
        os.remove(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)

"""numeras.utils.get_file against a local server: caching, hashes, failures, nothing half-written."""

import hashlib
import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from local_dataset_server import tar_gz, unused_port_url

from numeras.utils import get_file
from numeras.utils.file_utils import DownloadError, numeras_home

PAYLOAD = bytes(range(256)) * 300  # 76.8 kB: several download chunks


def cache_folder(home: Path) -> Path:
    return home / "datasets"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_first_call_downloads_and_caches_then_later_calls_use_the_cache(server, home, capsys):
    sha256 = server.add("blob.bin", PAYLOAD)
    path = get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256)
    assert Path(path) == cache_folder(home) / "blob.bin"
    assert Path(path).read_bytes() == PAYLOAD
    assert server.requests["blob.bin"] == 1
    output = capsys.readouterr().out
    assert f"Downloading data from {server.url}blob.bin" in output
    assert f"{len(PAYLOAD)}/{len(PAYLOAD)}" in output  # the byte-counting progress bar finished

    again = get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256)
    assert again == path
    assert server.requests["blob.bin"] == 1
    server.stop()  # and it keeps working offline
    assert get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256) == path
    assert leftovers(cache_folder(home)) == ["blob.bin"]


def test_md5_hashes_and_names_taken_from_the_url(server, home):
    server.add("words.json", b'{"the": 1}')
    md5 = hashlib.md5(b'{"the": 1}').hexdigest()
    path = get_file(origin=server.url + "words.json", md5_hash=md5)
    assert Path(path) == cache_folder(home) / "words.json"
    assert get_file(origin=server.url + "words.json", file_hash=md5, hash_algorithm="md5") == path
    assert server.requests["words.json"] == 1


def test_checksum_mismatch_raises_and_caches_nothing(server, home):
    sha256 = server.add("blob.bin", PAYLOAD)
    server.corrupt.add("blob.bin")
    with pytest.raises(ValueError) as caught:
        get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256)
    message = str(caught.value)
    target = cache_folder(home) / "blob.bin"
    assert "incomplete or corrupted" in message and "sha256" in message
    assert sha256 in message and server.url + "blob.bin" in message and str(target) in message
    assert leftovers(cache_folder(home)) == []

    server.corrupt.clear()  # the next try succeeds
    assert (
        Path(get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256)).read_bytes() == PAYLOAD
    )


@pytest.mark.parametrize("with_hash", [True, False])
def test_connection_cut_mid_file_raises_and_caches_nothing(server, home, with_hash):
    sha256 = server.add("blob.bin", PAYLOAD)
    server.truncate.add("blob.bin")
    with pytest.raises(DownloadError) as caught:
        get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256 if with_hash else None)
    message = str(caught.value)
    assert "'blob.bin'" in message and server.url + "blob.bin" in message
    assert str(cache_folder(home) / "blob.bin") in message
    assert leftovers(cache_folder(home)) == []


def test_offline_error_names_the_file_the_url_and_where_to_put_it(home):
    origin = unused_port_url() + "imdb.npz"
    with pytest.raises(DownloadError) as caught:
        get_file("imdb.npz", origin=origin, file_hash="a" * 64)
    message = str(caught.value)
    target = cache_folder(home) / "imdb.npz"
    assert "'imdb.npz'" in message and origin in message
    assert f"save it as {target}" in message and "a" * 64 in message
    assert isinstance(caught.value, OSError)
    assert leftovers(cache_folder(home)) == []


def test_a_file_put_by_hand_where_the_error_says_is_used_offline(home):
    origin = unused_port_url() + "manual.bin"
    sha256 = hashlib.sha256(PAYLOAD).hexdigest()
    with pytest.raises(DownloadError):
        get_file("manual.bin", origin=origin, file_hash=sha256)
    target = cache_folder(home) / "manual.bin"
    target.write_bytes(PAYLOAD)
    assert get_file("manual.bin", origin=origin, file_hash=sha256) == str(target)


def test_http_error_is_a_download_error(server):
    with pytest.raises(DownloadError, match="404"):
        get_file("missing.bin", origin=server.url + "missing.bin")


def test_corrupt_cached_file_is_downloaded_again(server, home, capsys):
    sha256 = server.add("blob.bin", PAYLOAD)
    path = Path(get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256))
    path.write_bytes(b"half a file")
    assert (
        Path(get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256)).read_bytes() == PAYLOAD
    )
    assert server.requests["blob.bin"] == 2
    assert "does not match its expected sha256" in capsys.readouterr().out


def test_a_bad_redownload_leaves_the_cached_file_alone(server, home):
    server.add("blob.bin", PAYLOAD)
    path = Path(get_file("blob.bin", origin=server.url + "blob.bin"))
    server.truncate.add("blob.bin")
    with pytest.raises(DownloadError):
        get_file("blob.bin", origin=server.url + "blob.bin", force_download=True)
    assert path.read_bytes() == PAYLOAD
    assert leftovers(cache_folder(home)) == ["blob.bin"]


def test_force_download_fetches_again(server):
    server.add("blob.bin", PAYLOAD)
    get_file("blob.bin", origin=server.url + "blob.bin")
    get_file("blob.bin", origin=server.url + "blob.bin", force_download=True)
    assert server.requests["blob.bin"] == 2


def test_cache_locations(server, home, tmp_path, monkeypatch):
    server.add("blob.bin", PAYLOAD)
    assert numeras_home() == str(home)
    custom = tmp_path / "elsewhere"
    path = get_file("blob.bin", origin=server.url + "blob.bin", cache_dir=custom, cache_subdir="mine")
    assert Path(path) == custom / "mine" / "blob.bin"
    monkeypatch.delenv("NUMERAS_HOME")
    assert numeras_home() == os.path.join(os.path.expanduser("~"), ".numeras")


def test_argument_errors():
    with pytest.raises(ValueError, match="origin"):
        get_file("x.bin")
    with pytest.raises(ValueError, match="bare file name"):
        get_file(os.path.join("sub", "x.bin"), origin="http://127.0.0.1:1/x.bin")
    with pytest.raises(ValueError, match="file_hash"):
        get_file("x.bin", origin="http://127.0.0.1:1/x.bin", file_hash="not-a-hash")
    with pytest.raises(ValueError, match="hash_algorithm"):
        get_file("x.bin", origin="http://127.0.0.1:1/x.bin", hash_algorithm="sha1")


def test_missing_pooch_is_needed_only_to_download(server, home, monkeypatch):
    sha256 = server.add("blob.bin", PAYLOAD)
    path = get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256)
    monkeypatch.setitem(sys.modules, "pooch", None)  # `import pooch` now fails
    assert get_file("blob.bin", origin=server.url + "blob.bin", file_hash=sha256) == path
    server.add("other.bin", PAYLOAD)
    with pytest.raises(ModuleNotFoundError) as caught:
        get_file("other.bin", origin=server.url + "other.bin")
    message = str(caught.value)
    assert "pip install pooch" in message and str(cache_folder(home) / "other.bin") in message


def test_importing_numeras_and_the_datasets_does_not_import_pooch():
    code = (
        "import sys, numeras, numeras.utils\n"
        "from numeras.datasets import imdb, reuters, boston_housing, fashion_mnist, cifar10\n"
        "assert 'pooch' not in sys.modules and 'requests' not in sys.modules, sorted(sys.modules)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_extract_unpacks_next_to_the_archive_and_skips_escaping_members(server, home):
    archive = tar_gz({"pack/data.txt": b"inside", "../escape.txt": b"outside"})
    server.add("pack.tar.gz", archive)
    with pytest.warns(UserWarning, match="escape.txt"):
        folder = get_file("pack.tar.gz", origin=server.url + "pack.tar.gz", extract=True)
    assert Path(folder) == cache_folder(home) / "pack_extracted"
    assert (Path(folder) / "pack" / "data.txt").read_bytes() == b"inside"
    assert not (cache_folder(home) / "escape.txt").exists()
    with tarfile.open(fileobj=io.BytesIO(archive)) as opened:
        assert len(opened.getmembers()) == 2

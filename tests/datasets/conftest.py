"""Every test here runs with its own cache folder and can reach nothing but 127.0.0.1."""

import socket

import pytest
from local_dataset_server import DatasetServer, unused_port_url

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@pytest.fixture(autouse=True)
def _isolated_cache_and_no_internet(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMERAS_HOME", str(tmp_path / "numeras_home"))
    # A dataset loader that forgot to be redirected fails fast on a refused local port.
    monkeypatch.setenv("NUMERAS_DATASETS_MIRROR", unused_port_url())
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    real_connect = socket.socket.connect

    def loopback_only(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in _LOOPBACK
            and sock.family in (socket.AF_INET, socket.AF_INET6)
        ):
            raise OSError(f"tests/datasets may not reach the internet (tried {address!r})")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)


@pytest.fixture
def home(tmp_path):
    return tmp_path / "numeras_home"


@pytest.fixture
def server():
    serving = DatasetServer(lifetime_s=60).start()
    yield serving
    serving.stop()


@pytest.fixture
def mirror(server, monkeypatch):
    """The dataset loaders download from the local server."""
    monkeypatch.setenv("NUMERAS_DATASETS_MIRROR", server.url)
    return server

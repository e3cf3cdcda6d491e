"""A throwaway HTTP server on 127.0.0.1 and builders of small files in the datasets' real formats.

The server runs in a daemon thread, answers from an in-memory dict, counts requests per file, and
can misbehave on purpose (cut the connection mid-file, serve wrong bytes). A watchdog shuts it
down after `lifetime_s` even if a test forgets to, so no test can hang on it.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import pickle
import socket
import struct
import tarfile
import threading
import zipfile
from collections import Counter

import numpy as np


class DatasetServer:
    def __init__(self, lifetime_s: float = 60.0) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: Counter[str] = Counter()
        self.truncate: set[str] = set()  # send the full Content-Length, then half the bytes, then hang up
        self.corrupt: set[str] = set()  # serve the bytes with one flipped
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            timeout = 10

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                name = self.path.lstrip("/")
                server.requests[name] += 1
                body = server.files.get(name)
                if body is None:
                    self.send_error(404, "not found")
                    return
                if name in server.corrupt:
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in server.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._watchdog = threading.Timer(lifetime_s, self.stop)
        self._watchdog.daemon = True
        self._stopped = False

    def start(self) -> DatasetServer:
        self._thread.start()
        self._watchdog.start()
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._watchdog.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()

    def add(self, name: str, body: bytes) -> str:
        """Serve `body` as /name; returns its sha256."""
        self.files[name] = body
        return hashlib.sha256(body).hexdigest()


def unused_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused, as when offline."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


# -- files in the real formats ---------------------------------------------------------------------


def object_array(lists) -> np.ndarray:
    """A 1-D object array of Python lists, as in Keras's imdb.npz / reuters.npz."""
    return np.fromiter((list(item) for item in lists), dtype=object, count=len(lists))


def npz_bytes(compressed: bool = False, **arrays) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def random_reviews(
    rng: np.random.Generator, count: int, vocabulary: int, max_length: int = 12
) -> list[list[int]]:
    lengths = rng.integers(1, max_length + 1, count)
    return [rng.integers(1, vocabulary, length).tolist() for length in lengths]


class Python2Pickler(pickle._Pickler):
    """Writes pickles as Python 2 and numpy 1 did: protocol 2, every string (text or bytes) as
    a byte string, arrays rebuilt by `numpy.core.multiarray._reconstruct`. That is what CIFAR's
    batches and Keras's old .npz object arrays hold."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_byte_string(self, obj) -> None:
        data = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_byte_string
    dispatch[str] = save_byte_string


def python2_pickle(obj) -> bytes:
    buffer = io.BytesIO()
    Python2Pickler(buffer, protocol=2).dump(obj)
    payload = buffer.getvalue()
    return payload.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def legacy_npy_member(array: np.ndarray) -> bytes:
    """An object array's .npy bytes as numpy 1 wrote them (`numpy.core.multiarray` in the pickle),
    so the restricted unpickler is checked against the old module name too."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, np.lib.format.header_data_from_array_1_0(array))
    payload = python2_pickle(array)
    assert b"numpy.core.multiarray\n_reconstruct" in payload
    buffer.write(payload)
    return buffer.getvalue()


def npz_from_members(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name + ".npy", data)
    return buffer.getvalue()


def idx_gz(array: np.ndarray) -> bytes:
    """A gzipped IDX file of unsigned bytes (the MNIST / Fashion-MNIST format)."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return gzip.compress(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def cifar_batch_pickle(data: np.ndarray, labels: list[int], batch_label: str) -> bytes:
    """One CIFAR python batch: a protocol-2 pickle of a dict with byte-string keys, as the
    original Python 2 files are (numpy arrays named via `numpy.core.multiarray`)."""
    batch = {
        "batch_label": batch_label,
        "labels": list(labels),
        "data": data,
        "filenames": [f"img_{i}.png" for i in range(len(labels))],
    }
    return python2_pickle(batch)


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


executed: list[str] = []


def record_execution(tag: str) -> str:
    """Stands in for `os.system` in malicious pickles: appends to `executed` if ever called."""
    executed.append(tag)
    return tag


class Gadget:
    """An object whose unpickling calls `record_execution`: the classic pickle code-execution trick."""

    def __reduce__(self):
        return (record_execution, ("pwned",))

"""A TCP proxy on 127.0.0.1 in front of the embedded PostgreSQL's unix socket, which a test can
take down and bring back: the database 'going away' without stopping the shared server."""

from __future__ import annotations

import contextlib
import glob
import socket
import threading
from urllib.parse import parse_qs, urlparse


class DatabaseProxy:
    def __init__(self, server_url: str, database: str):
        socket_dir = parse_qs(urlparse(server_url).query)["host"][0]
        [self.target] = [
            p for p in glob.glob(f"{socket_dir}/.s.PGSQL.*") if not p.endswith(".lock")
        ]
        self.database = database
        self.port = 0
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self.up()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener:
            with contextlib.suppress(OSError):  # wakes the blocked accept(), frees the port
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

"""A lean HTTP/1.1 client for the bench's load generator.

The load generator shares the machine's cores with the server it measures. httpx spends about a
millisecond of CPU per request on this kind of machine, as much as a third of what the webhook itself
costs, so the bench would mostly measure its own client. This one writes each request as one buffer on a
keep-alive socket and reads the answer by its Content-Length: about a tenth of that.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

HEADER_END = b"\r\n\r\n"


@dataclass(frozen=True)
class Answer:
    status_code: int
    content: bytes


class LeanHttpClient:
    """One keep-alive connection to `host:port`; reconnects once when the server closed it while idle."""

    def __init__(self, host: str, port: int, *, timeout: float = 30):
        self._address = (host, port)
        self._host_header = f"{host}:{port}"
        self._timeout = timeout
        self._socket: socket.socket | None = None
        self._pending = b""

    def __enter__(self) -> LeanHttpClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._pending = b""

    def post(self, path: str, *, content: bytes, headers: dict[str, str]) -> Answer:
        request = self._request(path, content, headers)
        reused = self._socket is not None
        try:
            return self._exchange(request)
        except ConnectionError:
            self.close()
            if not reused:
                raise
        # The server closes keep-alive connections that sat idle; a fresh one gets the request through.
        return self._exchange(request)

    def _request(self, path: str, content: bytes, headers: dict[str, str]) -> bytes:
        lines = [f"POST {path} HTTP/1.1", f"Host: {self._host_header}", f"Content-Length: {len(content)}"]
        lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "content-length"]
        return "\r\n".join(lines).encode("latin-1") + HEADER_END + content

    def _connect(self) -> socket.socket:
        connection = socket.create_connection(self._address, timeout=self._timeout)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def _exchange(self, request: bytes) -> Answer:
        if self._socket is None:
            self._socket = self._connect()
        self._socket.sendall(request)
        head, rest = self._read_head()
        status_line, *header_lines = head.split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, closes = 0, False
        for line in header_lines:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection":
                closes = value.strip().lower() == b"close"
            elif name == b"transfer-encoding":
                raise ValueError("the server answered in chunks; this client reads answers by Content-Length")
        while len(rest) < length:
            rest += self._receive()
        self._pending = rest[length:]
        if closes:
            self.close()
        return Answer(status, rest[:length])

    def _read_head(self) -> tuple[bytes, bytes]:
        buffer = self._pending
        while HEADER_END not in buffer:
            buffer += self._receive()
        head, _, rest = buffer.partition(HEADER_END)
        return head, rest

    def _receive(self) -> bytes:
        chunk = self._socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

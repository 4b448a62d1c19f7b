"""A lean HTTP/1.1 client for the bench's load generator.

The load generator shares the machine's cores with the server it measures. httpx spends about a
millisecond of CPU per request on this kind of machine, as much as a third of what the webhook itself
costs, so the bench would mostly measure its own client. This one writes each request as one buffer on a
keep-alive socket and reads the answer by its Content-Length (or its chunks): about a tenth of that.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

CRLF = b"\r\n"
HEADER_END = CRLF + CRLF


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
        head, rest = self._read_until(self._pending, HEADER_END)
        status_line, *header_lines = head.split(b"\r\n")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, closes = 0, False, False
        for line in header_lines:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = value == b"chunked"
            elif name == b"connection":
                closes = value == b"close"
        body, self._pending = self._read_chunks(rest) if chunked else self._read_exactly(rest, length)
        if closes:
            self.close()
        return Answer(status, body)

    def _read_chunks(self, buffer: bytes) -> tuple[bytes, bytes]:
        """A chunked body (an answer without Content-Length) and what follows it."""
        parts = []
        while True:
            size_line, buffer = self._read_until(buffer, CRLF)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                trailer = b"-"
                while trailer:  # trailer lines, if any, end with an empty one
                    trailer, buffer = self._read_until(buffer, CRLF)
                return b"".join(parts), buffer
            chunk, buffer = self._read_exactly(buffer, size + len(CRLF))
            parts.append(chunk[:size])

    def _read_until(self, buffer: bytes, marker: bytes) -> tuple[bytes, bytes]:
        while marker not in buffer:
            buffer += self._receive()
        before, _, after = buffer.partition(marker)
        return before, after

    def _read_exactly(self, buffer: bytes, length: int) -> tuple[bytes, bytes]:
        while len(buffer) < length:
            buffer += self._receive()
        return buffer[:length], buffer[length:]

    def _receive(self) -> bytes:
        chunk = self._socket.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

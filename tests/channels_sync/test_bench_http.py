"""The bench's lean HTTP client against a real HTTP/1.1 server on localhost."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels_sync.bench import Push, _send
from channels_sync.bench_http import LeanHttpClient


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless told otherwise

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.connections.add(self.client_address)
        answer = json.dumps({"body": body.decode(), "topic": self.headers.get("X-Topic")}).encode()
        self.send_response(201 if self.path == "/created/" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        if self.path == "/chunked/":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(answer), 7):
                piece = answer[start : start + 7]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path == "/close/":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    httpd.connections = set()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_answers_come_back_with_status_and_body_over_one_kept_alive_connection(server):
    with LeanHttpClient("127.0.0.1", server.server_port) as client:
        first = client.post("/hooks/shopify/", content=b'{"id": 1}', headers={"X-Topic": "orders"})
        second = client.post("/created/", content=b"x" * 70000, headers={})

    assert first.status_code == 200
    assert json.loads(first.content) == {"body": '{"id": 1}', "topic": "orders"}
    assert second.status_code == 201
    assert len(json.loads(second.content)["body"]) == 70000
    assert len(server.connections) == 1


def test_a_chunked_answer_is_read_whole_and_the_connection_stays_usable(server):
    with LeanHttpClient("127.0.0.1", server.server_port) as client:
        chunked = client.post("/chunked/", content=b"in pieces", headers={"X-Topic": "orders"})
        after = client.post("/hooks/shopify/", content=b"next", headers={})

    assert chunked.status_code == 200
    assert json.loads(chunked.content) == {"body": "in pieces", "topic": "orders"}
    assert json.loads(after.content)["body"] == "next"
    assert len(server.connections) == 1


def test_a_connection_the_server_closed_is_replaced_and_the_request_still_goes_through(server):
    with LeanHttpClient("127.0.0.1", server.server_port) as client:
        closing = client.post("/close/", content=b"a", headers={})
        after = client.post("/hooks/shopify/", content=b"b", headers={})
        client._socket.shutdown(socket.SHUT_RDWR)  # as when the server drops an idle connection
        again = client.post("/hooks/shopify/", content=b"c", headers={})

    assert [closing.status_code, after.status_code, again.status_code] == [200, 200, 200]
    assert json.loads(again.content)["body"] == "c"
    assert len(server.connections) == 3


def test_a_server_that_is_not_there_counts_as_a_push_without_an_answer():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once the probe is closed

    with LeanHttpClient("127.0.0.1", port, timeout=2) as client:
        ack = _send(client, Push("/hooks/shopify/", b"{}", {}))

    assert ack.status == 0

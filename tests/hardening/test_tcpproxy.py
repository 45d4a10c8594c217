"""The test proxy itself, in front of an echo server: the outage tests rely on it."""

import socket
import socketserver
import threading

import pytest

from .tcpproxy import TCPProxy


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(1024):
            self.server.received += data
            self.request.sendall(data)


@pytest.fixture
def echo_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    server.received = b""
    # A short poll interval: shutdown() waits for the loop to look.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def proxy(echo_server):
    with TCPProxy(echo_server.server_address) as proxy:
        yield proxy


@pytest.fixture
def connect(proxy):
    """Return a function that opens a connection through the proxy."""
    opened = []

    def _connect():
        # The timeout only keeps a broken proxy from hanging the run.
        sock = socket.create_connection((proxy.host, proxy.port), timeout=5)
        opened.append(sock)
        return sock

    yield _connect
    for sock in opened:
        sock.close()


def echoes(sock, data=b"ping"):
    sock.sendall(data)
    received = b""
    while len(received) < len(data):
        chunk = sock.recv(1024)
        if not chunk:
            return False
        received += chunk
    return received == data


def is_closed(sock):
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True


def test_bytes_pass_both_ways(connect):
    sock = connect()

    assert echoes(sock, b"hello")
    assert echoes(sock, b"again")


def test_a_cut_closes_open_connections_and_new_ones_until_restored(proxy, connect):
    before = connect()
    assert echoes(before)

    proxy.cut()

    assert is_closed(before)
    assert is_closed(connect())
    assert proxy.connections == 0
    proxy.restore()
    assert echoes(connect())


def test_cut_at_drops_the_message_that_holds_the_marker(proxy, connect, echo_server):
    sock = connect()
    assert echoes(sock, b"BEGIN")
    proxy.cut_at(b"COMMIT")

    sock.sendall(b"...COMMIT...")

    assert is_closed(sock)
    assert proxy.is_cut
    assert echo_server.received == b"BEGIN"


def test_cut_at_with_deliver_drops_the_answer_instead(proxy, connect, echo_server):
    sock = connect()
    proxy.cut_at(b"COMMIT", deliver=True)

    sock.sendall(b"COMMIT")

    assert is_closed(sock)
    assert proxy.is_cut
    assert echo_server.received == b"COMMIT"


def test_cut_at_finds_a_marker_split_across_two_messages_but_not_an_old_one(proxy, connect):
    sock = connect()
    assert echoes(sock, b"COMMIT")  # passed before the proxy was told to look for it
    proxy.cut_at(b"COMMIT")
    assert echoes(sock, b"...COM")

    sock.sendall(b"MIT")

    assert is_closed(sock)


def test_closing_the_proxy_ends_its_threads_and_connections(echo_server):
    with TCPProxy(echo_server.server_address) as proxy:
        sock = socket.create_connection((proxy.host, proxy.port), timeout=5)
        assert echoes(sock)

    assert is_closed(sock)
    assert not [t for t in threading.enumerate() if t.name.startswith("tcpproxy")]
    sock.close()

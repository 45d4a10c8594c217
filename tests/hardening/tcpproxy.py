"""A TCP proxy on loopback that a test can use to cut a service off, and bring it back.

    with TCPProxy(("127.0.0.1", 5432)) as proxy:
        url = f"postgresql://postgres@{proxy.host}:{proxy.port}/test"
        ...
        proxy.cut()      # every open connection is closed; new ones are closed at once
        proxy.restore()  # new connections go through again

``cut_at(marker)`` cuts at an exact point of a conversation instead of at a moment: the
next message from a client that contains ``marker`` (``b"COMMIT"``, say) either never
reaches the server, or, with ``deliver=True``, reaches it but its answer never comes
back. Markers are looked for in the bytes as they pass, so the traffic must be plain
text (PostgreSQL: ``sslmode=disable``).

Each connection is a pair of sockets pumped by two threads; closing a pair shuts its
sockets down, which wakes its threads. ``close()`` (or leaving the ``with`` block) stops
everything and waits for the threads.
"""

import select
import socket
import threading

CHUNK = 65536
MARKER_MAX = 256


class TCPProxy:
    """Forward connections on ``127.0.0.1:<ephemeral port>`` to ``upstream`` (host, port)."""

    def __init__(self, upstream, *, connect_timeout=5.0):
        self.upstream = upstream
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._links = set()
        self._is_cut = False
        self._marker = None  # (bytes, deliver) while a cut_at() is armed
        self._closing = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._listener.getsockname()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="tcpproxy-accept", daemon=True
        )
        self._acceptor.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def is_cut(self):
        """Whether connections are being cut (by ``cut()`` or a ``cut_at()`` that fired)."""
        with self._lock:
            return self._is_cut

    @property
    def connections(self):
        """How many connections are open through the proxy."""
        with self._lock:
            return len(self._links)

    def cut(self):
        """Close every open connection, and each new one as soon as it is accepted.

        When this returns no byte passes any more, in either direction.
        """
        for link in self._cut():
            link.join()

    def restore(self):
        """Let new connections through again (the ones cut stay closed)."""
        with self._lock:
            self._is_cut = False

    def cut_at(self, marker, *, deliver=False):
        """Cut everything when a client next sends ``marker``.

        The message holding it is dropped, so the server never sees it; with ``deliver``
        it is passed on, and the cut comes as the server answers, dropping the answer.
        Fires once; ``is_cut`` tells whether it has.
        """
        if not 0 < len(marker) <= MARKER_MAX:
            raise ValueError(f"a marker is 1 to {MARKER_MAX} bytes long")
        with self._lock:
            self._marker = (bytes(marker), deliver)

    def close(self):
        """Stop accepting, close every connection and wait for the threads."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
        self._wake_writer.send(b"x")
        self._acceptor.join()
        self.cut()
        for sock in (self._listener, self._wake_reader, self._wake_writer):
            sock.close()

    # --- inside the proxy ------------------------------------------------------------

    def _cut(self):
        """Cut, without waiting for the pumps: a pump calls this (it cannot join itself)."""
        with self._lock:
            self._is_cut = True
            self._marker = None
            links, self._links = self._links, set()
        for link in links:
            link.close()
        return links

    def _accept_loop(self):
        while True:
            readable, _, _ = select.select([self._listener, self._wake_reader], [], [])
            if self._wake_reader in readable:
                return
            try:
                client, _address = self._listener.accept()
            except OSError:
                continue
            with self._lock:
                refused = self._is_cut
                if not refused:
                    link = _Link(self, client)
                    self._links.add(link)
            if refused:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=self.connect_timeout)
            except OSError:  # upstream down: the client sees its connection closed
                self._forget(link)
                link.close()
                continue
            server.settimeout(None)
            link.start(server)

    def _forget(self, link):
        with self._lock:
            self._links.discard(link)

    def _client_sends(self, tail, data):
        """Return what to do with ``data`` from a client: "pass", "drop" or "deliver".

        ``tail`` is the end of the previous chunk, for a marker split across two; a marker
        that lies wholly in it has passed already and does not count.
        """
        with self._lock:
            if self._marker is None:
                return "pass"
            marker, deliver = self._marker
            if (tail + data).find(marker, max(0, len(tail) - len(marker) + 1)) == -1:
                return "pass"
            self._marker = None
        return "deliver" if deliver else "drop"


class _Link:
    """One client connection and its upstream connection, pumped by two threads."""

    def __init__(self, proxy, client):
        self.proxy = proxy
        self.client = client
        self.server = None
        self._lock = threading.Lock()
        self._closed = False
        self._swallow_answer = False  # set when a delivered marker awaits its answer
        self._threads = []

    def start(self, server):
        with self._lock:
            if self._closed:  # cut while the upstream connection was being made
                _close(server)
                return
            self.server = server
            self._threads = [
                threading.Thread(target=self._pump_up, name="tcpproxy-up", daemon=True),
                threading.Thread(target=self._pump_down, name="tcpproxy-down", daemon=True),
            ]
            for thread in self._threads:  # under the lock: join() never sees one unstarted
                thread.start()

    def close(self):
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for sock in (self.client, self.server):
            if sock is not None:
                _close(sock)

    def join(self):
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join()

    def _pump_up(self):
        tail = b""
        while data := _receive(self.client):
            action = self.proxy._client_sends(tail, data)
            tail = (tail + data)[-MARKER_MAX:]
            if action == "drop":
                self.proxy._cut()
                return
            if action == "deliver":
                self._swallow_answer = True  # before sending: the answer may come at once
            if not _send(self.server, data):
                break
        self._end()

    def _pump_down(self):
        while data := _receive(self.server):
            if self._swallow_answer:
                self.proxy._cut()
                return
            if not _send(self.client, data):
                break
        self._end()

    def _end(self):
        # Either side hung up: hang up the other, as a real disconnection would.
        self.proxy._forget(self)
        self.close()


def _receive(sock):
    try:
        return sock.recv(CHUNK)
    except OSError:
        return b""


def _send(sock, data):
    try:
        sock.sendall(data)
    except OSError:
        return False
    return True


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv() on it
    except OSError:
        pass
    sock.close()

"""Hostile programs: the network and standard streams."""

from __future__ import annotations

import os
import socket
import uuid

import pytest
from sandbox.hostile import (
    LINUX_ONLY,
    calls,
    judged,
    lines,
    not_a_pass,
    run_hostile,
    script,
)

pytestmark = LINUX_ONLY

# ---------------------------------------------------------------- network
@pytest.fixture
def listeners(tmp_path, host_dir):
    tag = uuid.uuid4().hex
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    unix_hidden = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hidden_path = str(tmp_path / "probe.sock")
    unix_hidden.bind(hidden_path)
    unix_hidden.listen(8)
    unix_visible = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    visible_path = str(host_dir / "probe.sock")
    unix_visible.bind(visible_path)
    os.chmod(visible_path, 0o777)            # file modes would let any uid connect
    unix_visible.listen(8)
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    abstract_name = f"\0crucible-hostile-{tag}"
    abstract.bind(abstract_name)
    abstract.listen(8)
    socks = {"tcp": (tcp, tcp.getsockname()), "udp": (udp, udp.getsockname()),
             "unix_hidden": (unix_hidden, hidden_path),
             "unix_visible": (unix_visible, visible_path),
             "abstract": (abstract, abstract_name)}
    try:
        yield socks
    finally:
        for sock, _ in socks.values():
            sock.close()


def _heard_anything(sock: socket.socket) -> bool:
    sock.settimeout(0.3)
    try:
        if sock.type == socket.SOCK_DGRAM:
            sock.recvfrom(65536)
        else:
            conn, _ = sock.accept()
            conn.close()
        return True
    except (TimeoutError, BlockingIOError):
        return False


@pytest.mark.parametrize("kind", ["tcp", "udp", "unix_hidden", "unix_visible", "abstract"])
def test_network_connections(pool, listeners, kind):
    sock, address = listeners[kind]
    result = run_hostile(pool, script(f"""
        import socket
        kind, address = {kind!r}, {address!r}
        family = socket.AF_INET if kind in ("tcp", "udp") else socket.AF_UNIX
        stype = socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM
        try:
            s = socket.socket(family, stype)
            if kind == "udp":
                s.sendto(b"hello", tuple(address))
            else:
                s.settimeout(1)
                s.connect(tuple(address) if kind == "tcp" else address)
                s.sendall(b"hello")
            print("CONNECTED", flush=True)
        except OSError as err:
            print("blocked", type(err).__name__, err.errno, flush=True)
        a, b = socket.socketpair()     # in-process plumbing still works
        a.sendall(b"x")
        print("socketpair", b.recv(1).decode(), flush=True)
    """))
    assert "CONNECTED" not in result["stdout"], result
    assert lines(result) == ["blocked PermissionError 13", "socketpair x"], result
    assert not _heard_anything(sock), f"the {kind} listener was reached"


def test_raw_and_other_socket_families(pool):
    result = run_hostile(pool, script("""
        import socket
        for family, stype in ((socket.AF_PACKET, socket.SOCK_RAW), (socket.AF_NETLINK,
                              socket.SOCK_RAW), (socket.AF_INET6, socket.SOCK_STREAM),
                              (socket.AF_INET, socket.SOCK_RAW)):
            try:
                socket.socket(family, stype)
                print("OPENED", family, flush=True)
            except OSError as err:
                print("blocked", err.errno, flush=True)
    """))
    assert lines(result) == ["blocked 13"] * 4, result


# ---------------------------------------------------------------- stdio
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_one_gigabyte_of_output(pool, stream):
    result = run_hostile(pool, script(f"""
        import sys
        chunk = b"x" * (1 << 20)
        for _ in range(1024):
            sys.{stream}.buffer.write(chunk)
    """, wall_s=10))
    assert result["output_capped"] is True, result
    assert len(result[stream]) <= 4096, result
    assert result["wall_s"] < 10, result     # the cap stopped it, not the wall timeout
    assert not result["timed_out"], result



def test_result_channel_flood(pool):
    job = calls("""
        import os
        chunk = b"9" * (1 << 20)              # one endless frame, never a newline
        while True:
            os.write(3, chunk)
        def f(x):
            return 0
    """, result_bytes=1 << 22)
    result = run_hostile(pool, job)
    assert result["output_capped"], result
    assert not_a_pass(judged(result)), result


@pytest.mark.parametrize("read", ["input()", "sys.stdin.read()", "os.read(0, 1)"])
def test_blocking_on_stdin(pool, read):
    result = run_hostile(pool, script(f"""
        import os, sys
        try:
            print("got", repr({read}), flush=True)
        except EOFError:
            print("EOF", flush=True)
    """))
    assert not result["timed_out"], result
    assert lines(result)[0] in ("EOF", "got ''", "got b''"), result

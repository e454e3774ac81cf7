"""`sitegen serve` under attack: where it listens, what it will serve, and how it holds up.

The preview runs the real command (`python -m sitegen serve`) on a copy of the
small-site fixture. Requests are sent with http.client or raw sockets so that
paths reach the server exactly as written ('..', '%2e%2e', '//', '%00'), not
normalised by a client library.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import sitegen_env

SECRET = "TOP-SECRET-9f2c"
SHEET = "content/sheets/ferry-timetable.md"
TITLE = "title: The harbour ferry's winter timetable"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """A running `sitegen serve` of the small site, with its own TMPDIR."""

    def __init__(self, site, tmp_path: Path, *, dev_addr: str | None = None, prefix: tuple[str, ...] = ()):
        self.site = site
        self.tmpdir = tmp_path / "tmp"
        self.tmpdir.mkdir(exist_ok=True)
        self.port = int(dev_addr.rsplit(":", 1)[1]) if dev_addr else 8000
        self.log = tmp_path / f"serve-{self.port}.log"
        args = ["--dev-addr", dev_addr] if dev_addr else []
        env = sitegen_env(TMPDIR=str(self.tmpdir))
        self.process = subprocess.Popen([*prefix, sys.executable, "-m", "sitegen", "serve", *args], cwd=site.root,
                                        env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_until_serving(self, path: str = "/facts/") -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(self.port, path)[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, "sitegen serve did not answer within 60 s\n" + self.output()
            time.sleep(0.1)

    @property
    def served_folder(self) -> Path:
        (workdir,) = self.tmpdir.glob("sitegen-serve-*")
        return workdir / "site"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def serve(small_site, tmp_path):
    running = []

    def start(**kwargs) -> Served:
        served = Served(small_site, tmp_path, **kwargs)
        running.append(served)
        return served

    yield start
    for served in running:
        served.stop()


def request(port: int, path: str, method: str = "GET", timeout: float = 30) -> tuple[int, dict, bytes]:
    """One request with the path sent byte for byte as given."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"127.0.0.1:{port}")
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw_request(port: int, line: bytes) -> bytes:
    """A request line that http.client would refuse to send (a NUL byte, a backslash...)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# --- where it listens ---------------------------------------------------------------------------


def listening(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            if width == 8:
                host = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:
                host = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            found.add((host, int(port, 16)))
    return found


def isolated_network() -> tuple[str, ...] | None:
    """A command prefix that runs a program in a network namespace of its own, where port 8000 is free."""
    for prefix in (("unshare", "--net"), ("unshare", "--user", "--map-root-user", "--net")):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            pass
    return None


def port_8000_is_free() -> bool:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET, "0.0.0.0")):
        with socket.socket(family) as sock:
            try:
                sock.bind((host, 8000))
            except OSError:
                return False
    return True


def test_binds_127_0_0_1_by_default(serve):
    """No --dev-addr: the preview must listen on the loopback address only, never on 0.0.0.0 or ::."""
    prefix = isolated_network()
    if prefix is None and not port_8000_is_free():
        pytest.skip("port 8000 is taken and no network namespace can be made to run the default address")
    served = serve(prefix=prefix or ())
    deadline = time.monotonic() + 60
    while not (found := listening(served.process.pid)):
        assert served.process.poll() is None, served.output()
        assert time.monotonic() < deadline, "sitegen serve did not listen within 60 s\n" + served.output()
        time.sleep(0.1)
    assert found == {("127.0.0.1", 8000)}


# --- what it serves ----------------------------------------------------------------------------------

TRAVERSALS = [
    "/facts/../secret.txt", "/facts/%2e%2e/secret.txt", "/facts/%2E%2E/secret.txt", "/facts/..%2fsecret.txt",
    "/facts/%2e%2e%2fsecret.txt", "/facts/..%2f..%2fsecret.txt", "/facts/%252e%252e%252fsecret.txt",
    "/facts/....//secret.txt", "/facts/.%2e/.%2e/secret.txt", "/facts/sheets/../../secret.txt",
    "/facts/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/facts//etc/passwd",
    "//etc/passwd", "/facts/%2fetc%2fpasswd", "/etc/passwd", "/facts/..%5csecret.txt", "/facts/%c0%ae%c0%ae/secret.txt",
    "/facts/..;/secret.txt", "/facts/leak.txt", "/facts/leak-folder/secret.txt", "/facts/leak-folder/",
    "/facts/%2e%2e/site/../secret.txt", "http://127.0.0.1/facts/../secret.txt", "/facts/sheets/%2e%2e%2f%2e%2e%2fsecret.txt",
]
RAW_TRAVERSALS = [b"GET /facts/..\\secret.txt HTTP/1.1", b"GET /facts/%00 HTTP/1.1",
                  b"GET /facts/index.html%00.txt HTTP/1.1", b"GET /facts/\x00 HTTP/1.1",
                  b"GET /facts/leak.txt%00 HTTP/1.1", b"GET ../secret.txt HTTP/1.1", b"GET * HTTP/1.1"]


def test_serves_nothing_outside_the_site(serve, tmp_path):
    served = serve(dev_addr=f"127.0.0.1:{free_port()}")
    served.wait_until_serving()
    site = served.served_folder
    secrets = [site.parent / "secret.txt", site.parent.parent / "secret.txt", tmp_path / "secret.txt"]
    for path in secrets:
        path.write_text(f"{SECRET}\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text(f"{SECRET}\n")
    (tmp_path / "outside" / "index.html").write_text(f"<html>{SECRET}</html>\n")
    (site / "leak.txt").symlink_to(secrets[0])          # links inside the served folder
    (site / "leak-folder").symlink_to(tmp_path / "outside")
    (site / "sheets" / "also-leak.html").symlink_to(tmp_path / "outside" / "index.html")

    for path in TRAVERSALS + ["/facts/sheets/also-leak.html"]:
        status, headers, body = request(served.port, path)
        assert SECRET.encode() not in body, path
        assert b"root:" not in body, path
        assert status in (302, 400, 404), (path, status)
    for line in RAW_TRAVERSALS:
        answer = raw_request(served.port, line)
        assert SECRET.encode() not in answer and b"root:" not in answer, line
        assert answer.startswith(b"HTTP/1."), line
        assert answer.split(b" ", 2)[1] in (b"302", b"400", b"404"), (line, answer[:200])

    status, _, body = request(served.port, "/facts/sheets/ferry-timetable/")  # the site itself still works
    assert status == 200 and body.rstrip().endswith(b"</html>")
    assert served.process.poll() is None
    assert "Traceback" not in served.output()


# --- how it holds up ------------------------------------------------------------------------------------


def process_usage(pid: int) -> tuple[int, int]:
    """(open file descriptors, resident memory in kB) of a process."""
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return fds, rss


def test_survives_1000_rapid_saves_and_20_clients_without_leaking(serve, small_site):
    served = serve(dev_addr=f"127.0.0.1:{free_port()}")
    served.wait_until_serving()
    sheet = small_site.root / SHEET
    original = sheet.read_text(encoding="utf-8")
    assert TITLE in original

    # 1,000 saves as fast as the disk takes them.
    started = time.monotonic()
    for number in range(1, 1001):
        sheet.write_text(original.replace(TITLE, f"title: Save number {number}"), encoding="utf-8")
    print(f"\n1,000 saves in {time.monotonic() - started:.2f} s")
    deadline = time.monotonic() + 120
    while b"Save number 1000</h1>" not in request(served.port, "/facts/sheets/ferry-timetable/")[2]:
        assert served.process.poll() is None, served.output()
        assert time.monotonic() < deadline, "the last save never reached the page\n" + served.output()
        time.sleep(0.2)

    # 20 clients for 20 seconds (at most 1,000 requests each), while the sheet keeps changing.
    paths = ["/facts/", "/facts/sheets/ferry-timetable/", "/facts/sheets/overview/", "/facts/sources/",
             "/facts/timeline/", "/facts/assets/site.css", "/facts/feed.xml", "/facts/data/facts.json",
             "/facts/no-such-page/", "/facts/sheets"]
    before = process_usage(served.process.pid)
    stop = threading.Event()
    errors: list[str] = []
    counts = {"requests": 0, "html": 0}
    lock = threading.Lock()

    def client(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(1000):
            if stop.is_set():
                return
            path = rng.choice(paths)
            try:
                status, headers, body = request(served.port, path, method=rng.choice(["GET", "GET", "HEAD"]))
            except OSError as exc:
                with lock:
                    errors.append(f"{path}: {exc!r}")
                continue
            html = headers.get("Content-Type", "").startswith("text/html") and body
            if status not in (200, 302, 404) or (html and not body.rstrip().endswith(b"</html>")):
                with lock:
                    errors.append(f"{path}: {status}, {len(body)} bytes ending {body[-40:]!r}")
            with lock:
                counts["requests"] += 1
                counts["html"] += bool(html)

    def editor() -> None:
        number = 0
        while not stop.wait(0.5):
            number += 1
            sheet.write_text(original.replace(TITLE, f"title: Busy save {number}"), encoding="utf-8")

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(20)]
    threads.append(threading.Thread(target=editor))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(20)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    seconds = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads)
    time.sleep(2)  # let the last rebuild and any closing connections finish
    after = process_usage(served.process.pid)
    print(f"20 clients x {seconds:.0f} s: {counts['requests']} requests served ({counts['html']} HTML pages, "
          f"every one complete); fds {before[0]} -> {after[0]}, RSS {before[1] // 1024} -> {after[1] // 1024} MB")
    assert errors == [], errors[:10]
    assert counts["requests"] >= 200, "the load never happened"
    assert served.process.poll() is None, served.output()
    assert after[0] <= before[0] + 16, f"file descriptors leak: {before[0]} -> {after[0]}"
    assert after[1] <= before[1] * 2 + 100 * 1024, f"memory grows: {before[1]} kB -> {after[1]} kB"
    assert "Traceback" not in served.output()

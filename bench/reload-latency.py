#!/usr/bin/env python3
"""Live-reload latency of `profile serve`: the time from writing a source file to receiving the
`reload` event on /_profile/events.

    reload-latency.py HOST:PORT FILE [--edits N] [--gap SECONDS] [--check URLPATH] [--label L]

Connects to the event stream, reads `hello`, then N times: rewrites FILE as its original text
plus one line carrying a counter (one open-truncate-write-close, as most editors save), and
waits for the next event, which must be `reload` with a higher build number. Each edit starts
only after the previous one's event arrived and GAP seconds (default 0.1) passed with anything
late drained. With --check, the last edit's line must then be in GET URLPATH. FILE is restored
at the end. Prints one summary line; --json prints the raw figures too. Stdlib only.
"""

import argparse
import json
import math
import socket
import statistics
import sys
import time


class EventStream:
    """A minimal Server-Sent Events client on a raw socket."""

    def __init__(self, host, port, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=timeout)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(
            f"GET /_profile/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Accept: text/event-stream\r\n\r\n".encode()
        )
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._fill(time.monotonic() + timeout)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if not status.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"reload-latency: the event stream answered {status!r}")

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError from None
        if not chunk:
            raise SystemExit("reload-latency: the server closed the event stream")
        self.buf += chunk

    def next(self, timeout):
        """The next named event as (name, data, arrival time), or None after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n\n" not in self.buf:
                try:
                    self._fill(deadline)
                except TimeoutError:
                    return None
            arrived = time.perf_counter()
            block, self.buf = self.buf.split(b"\n\n", 1)
            name, data = "", []
            for line in block.decode().split("\n"):
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "event":
                    name = value
                elif field == "data":
                    data.append(value)
            if name:
                return name, json.loads("\n".join(data)), arrived


def percentile(sorted_values, p):
    """Nearest-rank percentile."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def get(host, port, path, timeout):
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("addr", help="HOST:PORT of profile serve")
    ap.add_argument("file", help="the source file to edit")
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--gap", type=float, default=0.1, help="seconds between edits")
    ap.add_argument("--timeout", type=float, default=10.0, help="longest wait for an event")
    ap.add_argument("--check", metavar="URLPATH", help="a page that must show the last edit")
    ap.add_argument("--label", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    host, _, port = args.addr.rpartition(":")
    port = int(port)

    with open(args.file, encoding="utf-8") as f:
        original = f.read()
    stream = EventStream(host, port, args.timeout)
    hello = stream.next(args.timeout)
    if hello is None or hello[0] != "hello":
        raise SystemExit(f"reload-latency: expected hello, got {hello!r}")
    build = hello[1]["build"]

    latencies = []
    stray = 0
    try:
        for i in range(1, args.edits + 1):
            text = f"{original.rstrip()}\n\nbench-reload-edit-{i:05d}\n"
            start = time.perf_counter()
            with open(args.file, "w", encoding="utf-8") as f:
                f.write(text)
            event = stream.next(args.timeout)
            if event is None:
                raise SystemExit(f"reload-latency: no event within {args.timeout} s of edit {i}")
            name, data, arrived = event
            if name != "reload":
                raise SystemExit(f"reload-latency: edit {i} gave `{name}` {data}")
            if data["build"] <= build:
                raise SystemExit(f"reload-latency: build {data['build']} after {build}")
            build = data["build"]
            latencies.append((arrived - start) * 1000)
            # The gap, with anything late (a second burst of the same save) drained.
            deadline = time.monotonic() + args.gap
            while (left := deadline - time.monotonic()) > 0:
                late = stream.next(left)
                if late is None:
                    break
                stray += 1
                build = max(build, late[1].get("build", build))
        if args.check:
            body = get(host, port, args.check, args.timeout)
            want = f"bench-reload-edit-{args.edits:05d}"
            if want not in body:
                raise SystemExit(f"reload-latency: GET {args.check} lacks {want}")
    finally:
        with open(args.file, "w", encoding="utf-8") as f:
            f.write(original)

    s = sorted(latencies)
    label = args.label or args.file
    print(
        f"{label}: {len(s)} edits → reload event: median {statistics.median(s):.1f} ms, "
        f"p95 {percentile(s, 95):.1f} ms (min {s[0]:.1f}, max {s[-1]:.1f}; "
        f"{stray} extra events)"
    )
    if args.json:
        print(json.dumps({"label": label, "latencies_ms": latencies, "extra_events": stray}))


if __name__ == "__main__":
    sys.exit(main())

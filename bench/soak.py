#!/usr/bin/env python3
"""Soak test of `profile serve`: mixed traffic for a long time while a page is edited every second.

    soak.py --bin PATH [--duration SECONDS] [--clients N] [--seed S]

Serves a scratch copy of the example site (plus content/soak.md) with `--no-reload`, so that every
response body is exactly a file of dist/. Client threads send a mix over keep-alive connections
(http.client): pages, the edited page, the stylesheet and logo, conditional requests with
If-None-Match, Range requests on the audio (206, and 416 past its end), HEAD, 404s, and every so
often `Connection: close`. Meanwhile content/soak.md is rewritten (through a rename, as editors
do) every second with a new edit number.

Every response is checked: its status; its body against the file in dist/ (the edited page
against dist/soak/index.html as it was when dist/ showed that edit, recorded by the editor); its
ETag against the SHA-256 of its body; a range against the slice of the audio. The server's VmRSS
and thread count are sampled every 5 s. Prints a summary and exits 1 on any error or wrong
answer. Stdlib only; Linux (/proc) for the samples.
"""

import argparse
import hashlib
import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def sha(data):
    return hashlib.sha256(data).digest()


def etag_of(data):
    """The server's strong ETag for a body: the first 16 bytes of its SHA-256, in hex, quoted."""
    return '"' + sha(data)[:16].hex() + '"'


def proc_sample(pid):
    """(VmRSS in KiB, thread count) of process `pid`, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None
    rss = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))
    return rss, threads


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.problems = {}  # kind -> count
        self.examples = []  # first few problems, described

    def count(self, kind):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1

    def problem(self, kind, text):
        with self.lock:
            self.problems[kind] = self.problems.get(kind, 0) + 1
            if len(self.examples) < 20:
                self.examples.append(f"{kind}: {text}")


class Site:
    """The scratch site, its dist/, and what the editor has seen of the edited page."""

    def __init__(self, root):
        self.root = root
        self.dist = root / "dist"
        self.edit = 0
        self.lock = threading.Lock()
        self.soak_hashes = {}  # edit number -> SHA-256 of dist/soak/index.html showing it
        self.dist_lag = 0
        self.pending = []  # (edit number, body hash, request) seen before dist/ showed the edit

    def write_soak(self, n):
        text = f"+++\ntitle = \"Soak\"\n+++\n\n# Soak\n\nsoak-edit-{n}\n\n" + (
            "A line of text that makes the page a little longer.\n" * (n % 40)
        )
        tmp = self.root / "content" / ".soak.md.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.root / "content" / "soak.md")

    def dist_file(self, relative):
        return (self.dist / relative).read_bytes()


def editor(site, stop, stats):
    """Rewrites content/soak.md every second; records dist/soak/index.html for each edit."""
    n = 0
    while not stop.is_set():
        n += 1
        site.write_soak(n)
        marker = f"soak-edit-{n}".encode()
        deadline = time.monotonic() + 5
        seen = False
        # Waits for the last edit too after `stop`, so that every answer can be checked.
        while time.monotonic() < deadline:
            try:
                data = site.dist_file("soak/index.html")
            except OSError:
                data = b""
            if re.search(re.escape(marker) + rb"\b", data):
                with site.lock:
                    site.soak_hashes[n] = sha(data)
                seen = True
                break
            time.sleep(0.01)
        if not seen:
            site.dist_lag += 1
        stats.count("edits")
        stop.wait(1.0)


def client(number, addr, site, expected, stop, stats, seed):
    rng = random.Random(seed + number)
    conn = None
    etags = {}
    audio = expected["audio"]
    while not stop.is_set():
        if conn is None:
            conn = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
        kind = rng.choice(
            ["page", "page", "soak", "soak", "asset", "conditional", "range", "range",
             "range-past-end", "head", "missing"]
        )
        close = rng.random() < 0.1
        headers = {"Connection": "close"} if close else {}
        method = "GET"
        if kind == "page":
            target = rng.choice(["/", "/index.html"])
            want = (200, expected["index.html"])
        elif kind == "soak":
            target = "/soak/"
            want = (200, None)
        elif kind == "asset":
            target, relative = rng.choice(expected["assets"])
            want = (200, expected[relative])
        elif kind == "conditional":
            target = rng.choice(["/", "/soak/"])
            tag = etags.get(target)
            if tag is None:
                kind = "page" if target == "/" else "soak"
                want = (200, expected["index.html"] if target == "/" else None)
            else:
                headers["If-None-Match"] = tag
                want = (None, None)
        elif kind == "range":
            target = expected["audio_url"]
            start = rng.randrange(len(audio))
            end = rng.randrange(start, min(len(audio), start + 20000))
            form = rng.choice(["closed", "open", "suffix"])
            if form == "closed":
                headers["Range"] = f"bytes={start}-{end}"
                want = (206, audio[start:end + 1])
            elif form == "open":
                headers["Range"] = f"bytes={start}-"
                want = (206, audio[start:])
            else:
                n = end - start + 1
                headers["Range"] = f"bytes=-{n}"
                want = (206, audio[-n:])
        elif kind == "range-past-end":
            target = expected["audio_url"]
            headers["Range"] = f"bytes={len(audio) + rng.randrange(1, 1000)}-"
            want = (416, b"")
        elif kind == "head":
            method = "HEAD"
            target = "/"
            want = (200, b"")
        else:
            target = f"/missing-{rng.randrange(10**6)}"
            want = (404, expected["404.html"])
        try:
            conn.request(method, target, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except Exception as e:  # noqa: BLE001 - every failure is counted
            stats.problem("error", f"{method} {target} {headers}: {type(e).__name__}: {e}")
            conn.close()
            conn = None
            continue
        stats.count(kind)
        stats.count("requests")
        status = response.status
        tag = response.getheader("ETag")
        check_response(kind, method, target, headers, status, body, tag, response, want,
                       site, stats, etags, audio)
        if close or response.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None
    if conn is not None:
        conn.close()


def check_response(kind, method, target, headers, status, body, tag, response, want, site,
                   stats, etags, audio):
    what = f"{method} {target} {headers}"
    want_status, want_body = want
    if kind == "conditional":
        if status == 304:
            if body:
                stats.problem("wrong body", f"{what}: 304 with a body")
            if tag != headers["If-None-Match"]:
                stats.problem("wrong status", f"{what}: 304 for another tag {tag}")
            return
        if status != 200:
            stats.problem("wrong status", f"{what}: {status}")
            return
        if target == "/":
            stats.problem("wrong status", f"{what}: 200 for an unchanged page")
            return
        kind = "soak"
    if want_status is not None and status != want_status:
        stats.problem("wrong status", f"{what}: {status}, expected {want_status}")
        return
    if kind == "soak":
        match = re.search(rb"soak-edit-(\d+)\b", body)
        if not match:
            stats.problem("wrong body", f"{what}: no edit number in {len(body)} bytes")
            return
        n = int(match.group(1))
        with site.lock:
            expected_hash = site.soak_hashes.get(n)
            if expected_hash is None:
                # The editor has not seen dist/ show this edit yet: checked at the end.
                site.pending.append((n, sha(body), what))
        if expected_hash is not None and sha(body) != expected_hash:
            stats.problem("wrong body", f"{what}: edit {n} differs from dist/ at that build")
            return
        etags[target] = tag
    elif kind == "head":
        length = int(response.getheader("Content-Length", "-1"))
        if body or length != len(site.expected_index):
            stats.problem("wrong body", f"{what}: HEAD with {len(body)} bytes, length {length}")
        return
    elif kind in ("range", "range-past-end"):
        if body != want_body:
            stats.problem("wrong body", f"{what}: {len(body)} bytes, not the slice")
            return
        if kind == "range":
            content_range = response.getheader("Content-Range", "")
            m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
            if not m or int(m.group(3)) != len(audio) or int(m.group(2)) - int(m.group(1)) + 1 != len(body):
                stats.problem("wrong body", f"{what}: Content-Range {content_range!r}")
        else:
            if response.getheader("Content-Range") != f"bytes */{len(audio)}":
                stats.problem("wrong body", f"{what}: 416 with {response.getheader('Content-Range')!r}")
        return
    elif body != want_body:
        stats.problem("wrong body", f"{what}: {len(body)} bytes differ from dist/")
        return
    if status == 200 and tag is not None and tag != etag_of(body):
        stats.problem("wrong body", f"{what}: ETag {tag} is not that of the body")
    if status == 200 and target in ("/", "/index.html"):
        etags["/"] = tag


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True, help="the profile binary")
    ap.add_argument("--duration", type=float, default=600, help="seconds (default 600)")
    ap.add_argument("--clients", type=int, default=6, help="client threads (default 6)")
    ap.add_argument("--seed", type=int, default=8, help="random seed (default 8)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="profile-soak-"))
    server = None
    try:
        root = tmp / "site"
        root.mkdir()
        shutil.copy(REPO / "site.toml", root / "site.toml")
        shutil.copytree(REPO / "content", root / "content")
        shutil.copytree(REPO / "assets", root / "assets")
        site = Site(root)
        site.write_soak(0)

        server = subprocess.Popen(
            [args.bin, "serve", "--root", str(root), "--port", "0", "--quiet", "--no-reload"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        addr = None
        for line in server.stdout:
            m = re.match(r" \* Running on http://127\.0\.0\.1:(\d+)/", line)
            if m:
                addr = ("127.0.0.1", int(m.group(1)))
                break
        if addr is None:
            sys.exit("soak.py: the server did not start: " + server.stderr.read())
        rebuilds = [0]
        stdout_tail = []

        def read_stdout():
            for line in server.stdout:
                if line.startswith("Rebuilt in "):
                    rebuilds[0] += 1
                else:
                    stdout_tail.append(line.rstrip())

        stderr_lines = []

        def read_stderr():
            for line in server.stderr:
                stderr_lines.append(line.rstrip())

        threading.Thread(target=read_stdout, daemon=True).start()
        threading.Thread(target=read_stderr, daemon=True).start()

        # What never changes: read once from dist/.
        dist = site.dist
        expected = {"index.html": site.dist_file("index.html"), "404.html": site.dist_file("404.html")}
        site.expected_index = expected["index.html"]
        first = site.dist_file("soak/index.html")
        if not re.search(rb"soak-edit-0\b", first):
            sys.exit("soak.py: dist/soak/index.html does not show edit 0")
        site.soak_hashes[0] = sha(first)
        expected["assets"] = []
        for path in sorted((dist / "assets").iterdir()):
            relative = f"assets/{path.name}"
            expected[relative] = path.read_bytes()
            if path.suffix == ".mp3":
                expected["audio"] = expected[relative]
                expected["audio_url"] = "/" + relative
            else:
                expected["assets"].append(("/" + relative, relative))

        stats = Stats()
        stop = threading.Event()
        threads = [threading.Thread(target=editor, args=(site, stop, stats))]
        threads += [
            threading.Thread(target=client, args=(n, addr, site, expected, stop, stats, args.seed))
            for n in range(args.clients)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        samples = []
        while time.monotonic() - started < args.duration:
            sample = proc_sample(server.pid)
            if sample is None:
                stats.problem("error", "the server exited")
                break
            samples.append(sample)
            left = args.duration - (time.monotonic() - started)
            time.sleep(max(0.0, min(5.0, left)))
        stop.set()
        for t in threads:
            t.join(timeout=30)
        elapsed = time.monotonic() - started
        for n, digest, what in site.pending:
            expected_hash = site.soak_hashes.get(n)
            if expected_hash is None:
                stats.problem("wrong body", f"{what}: edit {n}, which dist/ never showed")
            elif digest != expected_hash:
                stats.problem("wrong body", f"{what}: edit {n} differs from dist/ at that build")
        stats.counts["soak checked later"] = len(site.pending)
        sample = proc_sample(server.pid)
        if sample:
            samples.append(sample)

        c = stats.counts
        requests = c.get("requests", 0)
        rss = [s[0] for s in samples]
        tasks = [s[1] for s in samples]
        print(f"soak: {elapsed:.0f} s, {args.clients} clients, {requests} requests "
              f"({requests / elapsed:.0f}/s), {c.get('edits', 0)} edits, {rebuilds[0]} rebuilds")
        print("  by kind: " + ", ".join(
            f"{k} {c[k]}" for k in sorted(c) if k not in ("requests", "edits")))
        print(f"  errors {stats.problems.get('error', 0)}, wrong status "
              f"{stats.problems.get('wrong status', 0)}, wrong bodies "
              f"{stats.problems.get('wrong body', 0)}, edits dist/ did not show within 5 s "
              f"{site.dist_lag}")
        print(f"  server VmRSS min {min(rss)} KiB, max {max(rss)} KiB; threads min {min(tasks)}, "
              f"max {max(tasks)} ({len(samples)} samples)")
        warnings = [line for line in stderr_lines if line]
        print(f"  server stderr: {len(warnings)} lines" + (f", first: {warnings[0]}" if warnings else ""))
        for example in stats.examples:
            print("  " + example)
        bad = sum(stats.problems.values()) + site.dist_lag
        sys.exit(1 if bad or not requests else 0)
    finally:
        if server is not None:
            server.kill()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

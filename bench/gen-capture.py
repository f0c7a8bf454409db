#!/usr/bin/env python3
"""Writes a large, complete pcap of HTTP/1.1 downloads as a 1500-byte-MTU Ethernet link
carries them, for bench/report.sh: per connection the three-way handshake, `GET /file-N`,
a 200 response of 8 MiB in 1448-byte segments (an ACK for every second one), and the
four-way close. Every packet is there (dumpcap on a busy loopback drops some), so the
throughput measured is that of complete reassembly and parsing.

Usage: bench/gen-capture.py SIZE_MB OUT.pcap
"""
import struct
import sys

MSS = 1448
BODY = 8 << 20
CLIENT, SERVER = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])
MAC_C, MAC_S = bytes.fromhex("020000000002"), bytes.fromhex("020000000001")


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      5 << 4, flags, 65535, 0, 0)
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, src, dst)
    macs = MAC_S + MAC_C if src == CLIENT else MAC_C + MAC_S
    return macs + b"\x08\x00" + ip + tcp + payload


def main():
    size = int(sys.argv[1]) * 1_000_000
    out = open(sys.argv[2], "wb")
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    written, t, n = 24, 0.0, 0
    chunk = bytes(range(256)) * (MSS // 256 + 1)
    chunk = chunk[:MSS]

    def put(data):
        nonlocal written, t
        t += 0.00001
        sec, usec = int(t), int((t - int(t)) * 1e6)
        out.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)
        written += 16 + len(data)

    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
    while written < size:
        n += 1
        port = 20000 + n % 40000
        c, s = 1000, 5000
        put(frame(CLIENT, SERVER, port, 80, c, 0, SYN))
        put(frame(SERVER, CLIENT, 80, port, s, c + 1, SYN | ACK))
        c += 1
        s += 1
        put(frame(CLIENT, SERVER, port, 80, c, s, ACK))
        request = f"GET /file-{n} HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n".encode()
        put(frame(CLIENT, SERVER, port, 80, c, s, PSH | ACK, request))
        c += len(request)
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {BODY}\r\n\r\n".encode()
        put(frame(SERVER, CLIENT, 80, port, s, c, PSH | ACK, head))
        s += len(head)
        left, k = BODY, 0
        while left > 0:
            piece = chunk[:min(MSS, left)]
            put(frame(SERVER, CLIENT, 80, port, s, c, ACK, piece))
            s += len(piece)
            left -= len(piece)
            k += 1
            if k % 2 == 0:
                put(frame(CLIENT, SERVER, port, 80, c, s, ACK))
        put(frame(CLIENT, SERVER, port, 80, c, s, FIN | ACK))
        put(frame(SERVER, CLIENT, 80, port, s, c + 1, FIN | ACK))
        put(frame(CLIENT, SERVER, port, 80, c + 1, s + 1, ACK))
    out.close()
    print(f"{written / 1e6:.0f} MB, {n} connections")


main()

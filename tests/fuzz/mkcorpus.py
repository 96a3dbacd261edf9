#!/usr/bin/env python3
"""mkcorpus: writes the seed inputs of tests/fuzz/corpus/.

The seeds are valid inputs of each kind that confd and mgmtd meet, so that the
fuzzers start from the inside of every parser rather than having to find
their way past the first length check.  Run it from anywhere; it rewrites
only the seeds it names (files the fuzzers added, by hash, are left alone):

    python3 tests/fuzz/mkcorpus.py
"""
import base64
import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# libSRTP's reference master key and salt, as fuzz_srtp_rx.c uses it.
ROOM_KEY = bytes.fromhex("e1f97a0d3e018be0d64fa32c06de4139"
                         "0ec675ad498afeebb6960b3aabe6")


def seed(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- RTP (RFC 3550, RFC 8285, RFC 6464) ----

def rtp(seq, ts, ssrc, payload=b"", pt=111, marker=False, csrc=(),
        ext=None, pad=0):
    """An RTP packet; ext is (profile, element bytes), padded to words."""
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext else 0) | len(csrc)
    out = struct.pack("!BBHII", b0, (0x80 if marker else 0) | pt, seq, ts,
                      ssrc)
    for c in csrc:
        out += struct.pack("!I", c)
    if ext:
        profile, elems = ext
        elems += b"\0" * (-len(elems) % 4)
        out += struct.pack("!HH", profile, len(elems) // 4) + elems
    out += payload
    if pad:
        out += b"\0" * (pad - 1) + bytes([pad])
    return out


def level(ext_id, lvl, vad):
    """A one-byte form RFC 6464 element."""
    return bytes([ext_id << 4, (0x80 if vad else 0) | lvl])


# An Opus TOC byte (SILK WB 20 ms, mono, one frame) and some frame bytes.
OPUS = bytes([0x48]) + bytes(range(1, 40))

# ---- RTCP (RFC 3550 6.4 to 6.6) ----


def rtcp_pkt(pt, count, body, pad=0):
    body += b"\0" * (-len(body) % 4)
    if pad:
        body += b"\0" * (pad - 1) + bytes([pad])
    b0 = 0x80 | (0x20 if pad else 0) | count
    return struct.pack("!BBH", b0, pt, len(body) // 4) + body


def rb(ssrc, fraction=0, lost=0, ext_seq=0, jitter=0, lsr=0, dlsr=0):
    return struct.pack("!IIIIII", ssrc, fraction << 24 | (lost & 0xffffff),
                       ext_seq, jitter, lsr, dlsr)


def sr(ssrc, blocks=(), ntp=0xe8f3a1b2_12345678, rtp_ts=123456, pkts=10,
       octets=1000):
    body = struct.pack("!IQIII", ssrc, ntp, rtp_ts, pkts, octets)
    return rtcp_pkt(200, len(blocks), body + b"".join(blocks))


def rr(ssrc, blocks=()):
    return rtcp_pkt(201, len(blocks),
                    struct.pack("!I", ssrc) + b"".join(blocks))


def sdes(chunks, pad=0):
    """chunks: [(ssrc, [(type, text)])]; each chunk ends on a word."""
    body = b""
    for ssrc, items in chunks:
        c = struct.pack("!I", ssrc)
        for t, text in items:
            c += bytes([t, len(text)]) + text
        c += b"\0" * (4 - len(c) % 4)
        body += c
    return rtcp_pkt(202, len(chunks), body, pad)


def bye(ssrcs, reason=None, pad=0):
    body = b"".join(struct.pack("!I", s) for s in ssrcs)
    if reason is not None:
        body += bytes([len(reason)]) + reason
    return rtcp_pkt(203, len(ssrcs), body, pad)


def app(ssrc, name=b"conf", data=b"\1\2\3\4"):
    return rtcp_pkt(204, 1, struct.pack("!I", ssrc) + name + data)


A, B, C = 0x11223344, 0xcafebabe, 0x5eed1e55

RTP_SEEDS = {
    "opus": rtp(1000, 48000, A, OPUS),
    "opus-level": rtp(1001, 48960, A, OPUS, ext=(0xbede, level(1, 42, True))),
    "level-silent": rtp(7, 960, B, OPUS[:3],
                        ext=(0xbede, level(1, 127, False))),
    "csrc-marker-pad": rtp(65535, 0xfffffc40, A, OPUS, marker=True,
                           csrc=(B, C), pad=4),
    "onebyte-several": rtp(2, 1920, A, OPUS, ext=(
        0xbede, b"\0" + level(1, 30, True) + b"\0\0" +
        bytes([0x32, 1, 2, 3]) + bytes([0x5f]) + bytes(range(16)) +
        b"\xf0")),
    "twobyte": rtp(3, 2880, A, OPUS, ext=(
        0x1000, bytes([1, 1, 0x9e, 0, 7, 0, 200, 4, 1, 2, 3, 4]))),
    "keepalive": rtp(4, 3840, A),
    "rtp-dtx": rtp(40, 48000 * 30, A, bytes([0xf8, 0xff, 0xfe]),
                   ext=(0xbede, level(1, 127, False))),
}

RTCP_SEEDS = {
    "sr-sdes": sr(B, [rb(A, 12, 3, 70000, 44, 0x12345678, 65536)]) +
    sdes([(B, [(1, b"confd")])]),
    "rr-sdes": rr(A, [rb(B, 0, 0, 1000, 10), rb(C, 255, -5, 66000, 3000)]) +
    sdes([(A, [(1, b"alice@example"), (2, b"Alice")])]),
    "rr-sdes-bye": rr(A) + sdes([(A, [(1, b"alice")])]) +
    bye([A], b"left the call"),
    "sr-sdes-app-pad": sr(B) + sdes([(C, [(1, b"other")]),
                                     (B, [(1, b""), (6, b"tool")])]) +
    app(B) + bye([B, C], pad=8),
    "rr-bye-many": rr(C, [rb(i) for i in range(1, 4)]) +
    bye(list(range(100, 140))),
    "rr-empty": rr(A),
}


def srtp_seed(mode, pkt, pos=0, cut=0):
    return bytes([mode, pos, cut]) + pkt


# The reference vectors of libSRTP (tests/unit/test_srtpx.c): already
# protected with ROOM_KEY under AES_CM_128_HMAC_SHA1_80.
V_SRTP = bytes.fromhex("800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215"
                       "949d2402b78d6acc99ea179b8dbb")
V_SRTCP = bytes.fromhex("81c8000bcafebabe7128035be487b9bdbef89041f977a5a8"
                        "80000001993e08cd54d6c1230798")

SRTP_SEEDS = {
    "raw-vector-rtp": srtp_seed(0x00, V_SRTP),
    "raw-vector-rtcp": srtp_seed(0x00, V_SRTCP),
    "raw-vector-rtp-twice": srtp_seed(0x10, V_SRTP),
    "raw-plain-rtp": srtp_seed(0x00, RTP_SEEDS["opus-level"]),
    "protect-rtp": srtp_seed(0x01, RTP_SEEDS["opus-level"]),
    "protect-rtp-gcm": srtp_seed(0x03, RTP_SEEDS["opus"]),
    "protect-rtp-csrc": srtp_seed(0x01, RTP_SEEDS["csrc-marker-pad"]),
    "protect-rtcp": srtp_seed(0x01, RTCP_SEEDS["sr-sdes"]),
    "protect-rtcp-gcm-bye": srtp_seed(0x03, RTCP_SEEDS["rr-sdes-bye"]),
    "protect-flip": srtp_seed(0x05, RTP_SEEDS["opus"], 20, 3),
    "protect-flip-tag-gcm": srtp_seed(0x07, RTP_SEEDS["opus-level"], 0x83,
                                      5),
    "protect-flip-index-rtcp": srtp_seed(0x05, RTCP_SEEDS["rr-empty"], 0x8c,
                                         7),
    "protect-cut": srtp_seed(0x09, RTP_SEEDS["opus"], 0, 4),
    "protect-twice": srtp_seed(0x11, RTP_SEEDS["opus-level"]),
    "protect-rtcp-twice-gcm": srtp_seed(0x13, RTCP_SEEDS["rr-sdes"]),
}

# ---- jitter buffer programs (fuzz_jbuf.c) ----
NEAR, FAR, GET, TICKS, STREAM, RESET = range(6)


def near(dseq, dts_quarters, len5, adv):
    return bytes([NEAR, dseq & 0xff, dts_quarters & 0xff, len5, adv])


def far(seq, ts, length, adv):
    return bytes([FAR]) + struct.pack("!HIHH", seq, ts, length, adv)


def prog(max_frames, min_frames, t0, *ops):
    return bytes([max_frames - 1, min_frames - 1]) + \
        struct.pack("!I", t0) + b"".join(ops)


JBUF_SEEDS = {
    "steady": prog(10, 1, 5000, far(100, 960000, 80, 0),
                   bytes([STREAM, 60, TICKS, 12])),
    "defaults": bytes([0xff, 0]) + struct.pack("!I", 1) +
    bytes([STREAM, 30, TICKS, 5]),
    # Out of order and lost: +2, -1 (late fill), +3 (one lost), FEC next.
    "reorder-loss": prog(10, 2, 70000, far(10, 0, 60, 0),
                         near(1, 4, 12, 20), bytes([GET, 0]),
                         near(2, 8, 12, 20), near(-1, -4, 12, 5),
                         bytes([GET, 15]), near(3, 12, 12, 20),
                         near(1, 4, 12, 20), bytes([TICKS, 8])),
    # A DTX pause: the timestamp jumps by 30 frames, seq by one.
    "dtx": prog(5, 1, 9000, far(500, 4800, 20, 0), bytes([STREAM, 10]),
                near(1, 120, 2, 250), bytes([STREAM, 10, TICKS, 4])),
    # A sender restart: far away twice in a row, then on from there.
    "resync": prog(10, 1, 1000, bytes([STREAM, 20]),
                   far(40000, 123456789, 40, 20), far(40001, 123457749, 40,
                                                     20),
                   bytes([STREAM, 10, TICKS, 6])),
    # Bursty arrival: ten frames late then all at once, duplicates, big.
    "burst-dup-big": prog(50, 3, 123, far(7, 7, 100, 0),
                          bytes([TICKS, 10]),
                          *[near(1, 4, 40, 0) for _ in range(10)],
                          near(0, 0, 40, 0), far(9, 7 + 2 * 960, 1276, 0),
                          bytes([TICKS, 20, RESET, STREAM, 5])),
    "wrap": prog(20, 4, 0xffffff00, far(65530, 0xfffffc40, 10, 0),
                 bytes([STREAM, 12, TICKS, 30])),
}

# ---- confd.ini (etc/confd.ini, confd.ini(5)) ----
KEY = base64.b64encode(ROOM_KEY).decode()
GCM_KEY = base64.b64encode(ROOM_KEY[:28]).decode()

CFG_SEEDS = {
    "example-with-room": open(os.path.join(HERE, "..", "..", "etc",
                                           "confd.ini"), "rb").read() +
    ("\n[room lobby]\nport = 40000\ncapacity = 8\n"
     "suite = AES_CM_128_HMAC_SHA1_80\nkey = %s\n" % KEY).encode(),
    "two-rooms": ("[general]\nlog_level = debug\nserver_id = fra-1\n"
                  "[media]\nipv4 = 127.0.0.1\nipv6 =\njitter_max = 1s\n"
                  "idle_timeout = 2m\n[opus]\nfec = off\ndtx = true\n"
                  "[metrics]\nport = 0\n"
                  "[room a.b-c_1]\nport = 1024\nkey = %s\n"
                  "[room x]\nport=65535\nsuite=AEAD_AES_128_GCM\n"
                  "key=%s\ncapacity=64\n" % (KEY, GCM_KEY)).encode(),
    "errors": ("stray = 1\n[general\n[nosuch]\nx = 1\n[media]\n"
               "payload_type = 128\npayload_type = 1\nlevel_ext_id = x\n"
               "jitter_max = 10\nidle_timeout = 99999999999999999999d\n"
               "ipv4 = 1.2.3\nno equals sign here\n[room]\n[room a b]\n"
               "[room dup]\nport = 5000\n[room dup]\n[room nokey]\n"
               "port = 5001\n[room badkey]\nport = 5002\nkey = !!!\n"
               "  [ opus ]  \n  bitrate = 5999 ; comment\n"
               "complexity = 1x\nfec = maybe\n" +
               "server_id = " + "x" * 80 + "\n").encode(),
    "crlf-bom-continuation": ("\ufeff[general]\r\nserver_id = a\r\n"
                              "[media]\nipv6 = ::1\n  continued\n"
                              "[room r]\nport = 40002\nkey = %s\n"
                              "[metrics]\naddress = ::\nport = 40002\n"
                              % KEY).encode(),
}

# ---- mgmtd's API request bodies (docs/api.md, fuzz_api.c) ----
# The first byte: the body kind in its low three bits, max_duration in
# bits 3 and 4 (1 min, 4 h, 1 d, 366 d), a default region in bit 5.
BOOKING, EXTEND, ACCESS, REGISTER, HEARTBEAT, STATE, JSON_ONLY, EVERY = \
    range(8)
DUR_4H, DUR_1D, DUR_366D = 0x08, 0x10, 0x18
REGION = 0x20
MOVED = 0x40


def body(kind, text):
    return bytes([kind]) + text.encode()


API_SEEDS = {
    "booking-doc": body(BOOKING | DUR_1D,
                        '{"start": "2026-12-01T10:00:00Z", "duration": 3600,'
                        ' "capacity": 10, "invitees": ["+4930123456", '
                        '"+4930654321"], "region": "eu-west"}'),
    "booking-now": body(BOOKING | DUR_4H | REGION,
                        '{"start":"now","duration":900,"capacity":2}'),
    "booking-limits": body(BOOKING | DUR_366D,
                           '{"start": "2027-02-28T23:59:59Z", "duration": '
                           '31622400, "capacity": 65535, "invitees": [], '
                           '"region": "' + "r" * 63 + '"}'),
    "booking-bad-start": body(BOOKING | DUR_4H,
                              '{"start": "2026-04-31T10:00:00Z", "duration":'
                              ' 900, "capacity": 2}'),
    "booking-unicode-field": body(BOOKING,
                                  '{"start": "now", "duration": 60, '
                                  '"capacity": 1, "r\u00e9gion": "eu"}'),
    "booking-twice": body(BOOKING | DUR_4H,
                          '{"start": "now", "duration": 900, "capacity": 2,'
                          ' "invitees": ["+4930111111", "+4930111111"]}'),
    "booking-many": body(BOOKING | DUR_4H,
                         '{"start": "now", "duration": 900, "capacity": 2, '
                         '"invitees": [' + ",".join(["1"] * 1001) + ']}'),
    "extend": body(EXTEND | DUR_4H, '{"by": 900}'),
    "extend-zero": body(EXTEND | DUR_4H, '{"by": 0}'),
    "access": body(ACCESS, '{"phone": "+4930123456"}'),
    "access-bad": body(ACCESS, '{"phone": "030 111111", "pin": 1234}'),
    "register-doc": body(REGISTER,
                         '{"addresses": ["192.0.2.10", "2001:db8::10"], '
                         '"port_min": 40000, "port_max": 40999, '
                         '"capacity": 500, "region": "eu-west"}'),
    "register-loopback": body(REGISTER,
                              '{"addresses":["127.0.0.1"],"port_min":1024,'
                              '"port_max":65535,"capacity":1}'),
    # A port_min past 2^32 once wrapped to a port in range as an int.
    "register-port-wraps": body(REGISTER,
                                '{"addresses": ["127.0.0.1"], "port_min": '
                                '4294969296, "port_max": 3000, '
                                '"capacity": 1}'),
    "heartbeat": body(HEARTBEAT, '{"participants": 12, "cpu": 0.35}'),
    "heartbeat-int-cpu": body(HEARTBEAT, '{"participants": 0, "cpu": 1}'),
    "heartbeat-bad": body(HEARTBEAT, '{"participants": 1, "cpu": 2e308}'),
    "state-draining": body(STATE, '{"state": "draining"}'),
    "state-active": body(STATE, '{"state": "active"}'),
    "every-mixed": body(EVERY | DUR_1D,
                        '{"start": "now", "by": 60, "phone": "+123456789",'
                        ' "state": "active", "cpu": 0.5}'),
    "json-malformed": body(JSON_ONLY, '{"a": [1, 2, {"b": nul'),
    "json-not-object": body(JSON_ONLY, '["start", "now"]'),
    "json-duplicate": body(BOOKING, '{"start": "now", "start": "now"}'),
    "json-bad-utf8": bytes([BOOKING]) + b'{"start": "\xc3\x28"}',
    # POST /v1/access/moved: bit 6 of the first byte, whatever the rest.
    "moved-doc": body(MOVED, '{"code1": "1000H-G40RZ-40M3N-0E20K-91856-'
                      'GR389-E1X71-9J2BP-H2068-Q7W1R-50JFD-H7VCQ-P2NTG-'
                      'MNC8N-RZ8HQ-Z0TC9-Q0003"}'),
    "moved-spelling": body(MOVED, '{"code1": "1000h g40rz 40m3n oe20k '
                           '91856 gr389 e1x71 9j2bp h2068 q7w1r 50jfd '
                           'h7vcq p2ntg mnc8n rz8hq z0tc9 q0003"}'),
    "moved-typo": body(MOVED, '{"code1": "1000H-G40RZ-40M3N-0E20K-91856-'
                       'GR389-E1X71-9J2BP-H2068-Q7W1R-50JFD-H7VCQ-P2NTG-'
                       'MNC8N-RZ8HQ-Z0TC9-Q0004"}'),
    "moved-short": body(MOVED, '{"code1": "12"}'),
    "moved-not-string": body(MOVED, '{"code1": 12, "code2": "x"}'),
}

# ---- confd's feed messages (docs/api.md "The feed", fuzz_feed.c) ----


def key64(seed):
    """The base64 of 30 bytes of key and salt, different for each seed."""
    k = hashlib.sha256(seed.encode()).digest()[:30]
    return base64.b64encode(k).decode()


def part(pid, ssrc, seed):
    return {"id": pid, "ssrc": ssrc, "key_up": key64(seed + "up"),
            "key_down": key64(seed + "down")}


def conference(cid, parts, state="booked", port=40012,
               start="2026-12-01T10:00:00Z", end="2026-12-01T11:00:00Z",
               capacity=10, version=42):
    return {"id": cid, "state": state, "version": version, "port": port,
            "start": start, "end": end, "capacity": capacity,
            "suite": "AES_CM_128_HMAC_SHA1_80", "participants": parts}


def feed(kind, confs, version=42, server="s1", epoch="9f86d081884c7d65"):
    return json.dumps({"type": kind, "protocol": 1, "server": server,
                       "epoch": epoch, "version": version,
                       "conferences": confs}).encode()


C1, C2 = "3f2a9c0d1e4b5a6c7d8e", "0123456789abcdef0123"

FEED_SEEDS = {
    "changes-doc": feed("changes", [conference(C1, [
        part(7, 305419896, "a")])]),
    "snapshot-two": feed("snapshot", [
        conference(C1, [part(1, 1, "b"), part(2, 0xfffffffe, "c"),
                        part(3, 77, "d")]),
        conference(C2, [], port=65535, capacity=65535,
                   start="2026-12-31T23:59:59Z",
                   end="2027-01-01T00:00:00Z")], version=2 ** 53),
    "snapshot-empty": feed("snapshot", [], version=0),
    "changes-cancelled": feed("changes", [conference(C1, [],
                                                     state="cancelled")]),
    "changes-timeout": feed("changes", [], version=17),
    "key-blanks": feed("changes", [conference(C2, [
        {"id": 9, "ssrc": 5, "key_up": " " + key64("e")[:20] + "\t" +
         key64("e")[20:], "key_down": key64("f")}])]),
    "ssrc-twice": feed("changes", [conference(C1, [
        part(1, 99, "g"), part(2, 99, "h")])]),
    "window-backwards": feed("changes", [conference(
        C1, [part(1, 12, "l")], start="2026-12-01T11:00:00Z",
        end="2026-12-01T10:00:00Z")]),
    "epoch-not-hex": feed("changes", [], epoch="9f86d081&since=1"),
    "other-server": feed("changes", [], server="s2"),
}


# ---- Kannel's delivery reports (docs/api.md, fuzz_dlr.c) ----
# The first byte: 0, the query string; 1, the request target of a GET line.
QUERY, TARGET = 0, 1
TOKEN = "0123456789abcdef0123456789abcdef"

DLR_SEEDS = {
    "delivered": bytes([QUERY]) + ("id=12&t=%s&status=1&a=ACK%%2F"
                                   % TOKEN).encode(),
    "target-failed": bytes([TARGET]) + ("/dlr?id=7&t=%s&status=16&a=NACK%%2F"
                                        "0x0000000b%%2FInvalid+Destination"
                                        % TOKEN).encode(),
    "buffered": bytes([QUERY]) + ("status=4&id=0&t=%s" % TOKEN).encode(),
    "sent-no-reply": bytes([TARGET]) + ("/dlr?id=9223372036854775807&t=%s&"
                                        "status=8&a=" % TOKEN).encode(),
    "wrong-token-length": bytes([QUERY]) + b"id=1&t=abc&status=2",
    "status-unknown": bytes([QUERY]) + ("id=1&t=%s&status=3" % TOKEN).encode(),
    "status-big": bytes([QUERY]) + ("id=1&t=%s&status=4294967297"
                                    % TOKEN).encode(),
    "id-too-big": bytes([QUERY]) + ("id=9223372036854775808&t=%s&status=1"
                                    % TOKEN).encode(),
    "missing-token": bytes([QUERY]) + b"id=1&status=1",
    # libevent decodes the values of a query, not its keys.
    "unknown-param": bytes([QUERY]) + ("id=1&t=%s&status=1&x%%0A=1&"
                                       % TOKEN).encode() + b"\xc3\n=1",
    "reply-lines": bytes([QUERY]) + ("id=1&t=%s&status=2&a=line+1%%0D%%0A"
                                     "line+2%%00%%FF" % TOKEN).encode(),
    "target-no-query": bytes([TARGET]) + b"/dlr",
    "malformed": bytes([QUERY]) + b"id=1&&=&t",
}


def main():
    for name, data in RTP_SEEDS.items():
        seed("fuzz_rtp", name, data)
    for name, data in RTCP_SEEDS.items():
        seed("fuzz_rtcp", name, data)
    for name, data in SRTP_SEEDS.items():
        seed("fuzz_srtp_rx", name, data)
    for name, data in JBUF_SEEDS.items():
        seed("fuzz_jbuf", name, data)
    for name, data in CFG_SEEDS.items():
        seed("fuzz_cfg", name, data)
    for name, data in API_SEEDS.items():
        seed("fuzz_api", name, data)
    for name, data in FEED_SEEDS.items():
        seed("fuzz_feed", name, data)
    for name, data in DLR_SEEDS.items():
        seed("fuzz_dlr", name, data)


if __name__ == "__main__":
    main()

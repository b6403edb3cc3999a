"""hostile: a small HTTPS proxy in front of azsim that misbehaves on purpose.

Used by tests/e2e/test_hostile.py. tdectl is pointed at the proxy (its
endpoints and ca_file); the proxy forwards every request to azsim and answers
with azsim's answer, except for requests that match a rule, which get one of
the misbehaviours below instead. So a real sweep runs end to end and only the
chosen endpoint (a vault, ARM, the token endpoint) turns hostile.

Loopback only: it listens on 127.0.0.1 and talks to azsim on 127.0.0.1. It has
its own throwaway CA (made with the `cryptography` package, an EC P-256 key)
whose certificate covers the names azsim answers to (localhost, login.localhost,
management.localhost, *.vault.localhost). azsim writes its port into bodies and
headers (vault URIs, nextLinks, challenges, token resources): the proxy swaps
azsim's port and its own on the way through, so tdectl only ever sees the proxy.

Misbehaviours (rule modes). Streams stop when the client hangs up; every mode
counts what it sent (stats()).
  HTTP, after a normal TLS handshake and once the request is read:
    huge          200, Content-Length 1 GiB, then a JSON-looking body as fast as it goes
    chunked       200, chunked, an endless JSON array, never the last chunk
    gzip          200, Content-Encoding gzip, chunked: an endless stream of gzip'd spaces
                  (~1000:1, a decompression bomb)
    slow-headers  a status line, then an endless header trickled a byte every 50 ms
    slow-body     200, Content-Length 60 000 (under the test's cap), then the body a
                  byte every 50 ms
    silent        reads the request, never answers (holds the connection open)
    bad-utf8      403 with an Azure error body whose code and message hold raw invalid
                  UTF-8, and the message terminal escapes (clear screen, window title,
                  OSC 52 clipboard) and control bytes as JSON escapes, and a lone surrogate
    deep          200, a JSON body nested 30 000 levels deep (60 kB)
    evil-names    azsim's answer with EVIL_TEXT (raw invalid UTF-8, and the escapes as
                  JSON \\u001b ...) appended to every string member named as in
                  EVIL_MEMBERS (name, kid, displayName, location)
    evil-strings  the same after every string but ids and URLs (states, types, enums ...)
    retype        azsim's answer with every JSON value of another type
                  (string->number, number->string, bool->string, object->array, ...)
    dupkeys       azsim's answer with every member sent twice, a wrong-typed copy first
  TLS, on connections whose ClientHello names the rule's host (SNI):
    tls-garbage   4 KiB of random bytes instead of a ServerHello, then close
    tls-truncated a TLS record header announcing 16 KiB of handshake, 64 bytes, close
    tls-silent    accepts the TCP connection, never says anything

Use:
    with Hostile(sim) as h:         # sim: a started tests/pylib/azsim.Azsim
        h.rule("slow-body", host=r"^kv-a\\.vault\\.")
        ... tdectl with h.endpoints() and h.ca_file ...
        h.clear()
"""

import datetime
import http.client
import json
import os
import re
import socket
import ssl
import threading
import time
import zlib

HTTP_MODES = ("huge", "chunked", "gzip", "slow-headers", "slow-body", "silent", "bad-utf8",
              "deep", "retype", "dupkeys", "evil-names", "evil-strings")
TLS_MODES = ("tls-garbage", "tls-truncated", "tls-silent")
MODES = HTTP_MODES + TLS_MODES

# What the bad-utf8 mode puts in an error: invalid UTF-8 (a lone continuation byte, an
# overlong form, a truncated sequence, a surrogate), a clear-screen, a window title, an
# OSC 52 clipboard write, BEL, backspaces and a carriage return.
EVIL_TEXT = (b"bad \xff\xfe \xc0\xaf \xe2\x82 \xed\xa0\x80 \x1b[2J\x1b[H"
             b"\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07 \x08\x08\r end")

# The members evil-names spoils: ARM resource names, Key Vault key ids, Entra's token type.
EVIL_MEMBERS = ("name", "kid", "displayName", "location")
TRICKLE_S = 0.05
DEPTH = 30000  # 60 kB of brackets: under the test's 64 KiB cap, so the parser meets it


def _make_ca(directory):
    """(ca_file, cert_file, key_file): a throwaway CA and a certificate for azsim's names."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - day).not_valid_after(now + day)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = ["localhost", "login.localhost", "management.localhost", "*.vault.localhost",
             "vault.localhost"]
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - day).not_valid_after(now + day)
            .add_extension(x509.SubjectAlternativeName(san), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    paths = [os.path.join(directory, n) for n in ("hostile-ca.pem", "hostile-cert.pem",
                                                   "hostile-key.pem")]
    with open(paths[0], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return paths


# ---- the JSON mutations -------------------------------------------------------------------

def retyped(value):
    """value with another JSON type, recursively."""
    if isinstance(value, dict):
        return [retyped(v) for v in value.values()]
    if isinstance(value, list):
        return {"i%d" % i: retyped(v) for i, v in enumerate(value)}
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return 12345
    return {}  # null


def duplicated(value):
    """JSON text of value where every member comes twice: a retyped copy, then the real one."""
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            name = json.dumps(k)
            parts.append("%s:%s" % (name, json.dumps(retyped(v))))
            parts.append("%s:%s" % (name, duplicated(v)))
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list):
        return "[" + ",".join(duplicated(v) for v in value) + "]"
    return json.dumps(value)


def json_escaped(text):
    """text (latin-1 code points) inside a JSON string: control characters as \\u00XX, the
    bytes 0x80..0xff left raw (so invalid UTF-8 stays invalid)."""
    return "".join(c if 32 <= ord(c) != 127 and c not in '"\\' else "\\u%04x" % ord(c)
                   for c in text)


def evil_names(value, every=False):
    """JSON text (latin-1 code points) of value with EVIL_TEXT after every EVIL_MEMBERS
    string, or (every) after every string but ids and URLs (those starting with / or http)."""
    marker = "\u2603evil\u2603"

    def spoil(k, x):
        if not isinstance(x, str):
            return walk(x)
        if (every and not x.startswith(("/", "http"))) or (not every and k in EVIL_MEMBERS):
            return x + marker
        return x

    def walk(v):
        if isinstance(v, dict):
            return {k: spoil(k, x) for k, x in v.items()}
        if isinstance(v, list):
            return [spoil(None, x) for x in v]
        return v
    text = json.dumps(walk(value))  # ensure_ascii: the marker is \u2603evil\u2603
    return text.replace(json.dumps(marker)[1:-1], json_escaped(EVIL_TEXT.decode("latin-1")))


class Hostile:
    """The proxy: one listening socket on 127.0.0.1, a thread per connection."""

    def __init__(self, sim, directory=None):
        self.sim = sim
        self.dir = directory or sim.tmp.name
        self.ca_file, cert, key = _make_ca(self.dir)
        self.server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_ctx.load_cert_chain(cert, key)
        self.server_ctx.set_alpn_protocols(["http/1.1"])
        self.upstream_ctx = ssl.create_default_context(cafile=sim.ca_file)
        self.up_port = sim.info["port"]
        self.lock = threading.Lock()
        self.rules = []
        self.counts = {}
        self.stop_event = threading.Event()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.thread = None

    # ---- configuration ----
    def endpoints(self):
        """The config's "endpoints" for tdectl: azsim's names on the proxy's port."""
        p = self.port
        return {"authority": "https://login.localhost:%d" % p,
                "arm": "https://management.localhost:%d" % p,
                "vault_resource": "https://vault.localhost:%d" % p}

    def rule(self, mode, host=".*", path=".*"):
        """From now on, requests whose Host matches host (and path matches path) get mode.
        TLS modes look at the host only (the name in the ClientHello)."""
        assert mode in MODES, mode
        with self.lock:
            self.rules.append((mode, re.compile(host), re.compile(path)))

    def clear(self):
        with self.lock:
            self.rules = []

    def stats(self):
        """{mode: {"hits": n, "bytes": bytes sent}} since the start."""
        with self.lock:
            return {k: dict(v) for k, v in self.counts.items()}

    def _count(self, mode, hits=0, sent=0):
        with self.lock:
            c = self.counts.setdefault(mode, {"hits": 0, "bytes": 0})
            c["hits"] += hits
            c["bytes"] += sent

    def _match(self, host, path, tls):
        with self.lock:
            for mode, host_re, path_re in self.rules:
                if (mode in TLS_MODES) != tls:
                    continue
                if host_re.search(host) and (tls or path_re.search(path)):
                    return mode
        return None

    # ---- life ----
    def start(self):
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stop_event.set()
        try:
            self.listener.close()
        except OSError:
            pass
        if self.thread:
            self.thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _accept_loop(self):
        self.listener.settimeout(0.2)
        while not self.stop_event.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _hold(self, sock):
        """Keeps a connection open, saying nothing, until the peer or the test ends it."""
        sock.settimeout(0.2)
        while not self.stop_event.is_set():
            try:
                if sock.recv(65536) == b"":
                    return
            except socket.timeout:
                continue
            except OSError:
                return

    # ---- one connection ----
    def _connection(self, raw):
        tls = None
        try:
            raw.settimeout(10)
            try:
                hello = raw.recv(4096, socket.MSG_PEEK)
            except OSError:
                return
            if self._tls_misbehaves(raw, hello):
                return
            try:
                tls = self.server_ctx.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                return
            tls.settimeout(30)
            try:
                while not self.stop_event.is_set():
                    req = self._read_request(tls)
                    if req is None or not self._answer(tls, *req):
                        return
            except (OSError, ssl.SSLError, ValueError):
                return
        finally:
            for sock in (tls, raw):
                try:
                    if sock is not None:
                        sock.close()
                except OSError:
                    pass

    def _tls_misbehaves(self, raw, hello):
        # The SNI name is plain text in the ClientHello; a substring test finds it.
        names = re.findall(r"[a-z0-9.-]+\.localhost", hello.decode("latin-1"))
        with self.lock:
            rules = [r for r in self.rules if r[0] in TLS_MODES]
        mode = next((m for m, host_re, _ in rules for n in names if host_re.search(n)), None)
        if mode is None:
            return False
        self._count(mode, hits=1)
        if mode != "tls-silent":
            raw.recv(len(hello))  # consumed: closing with unread data would send a reset
        if mode == "tls-garbage":
            junk = os.urandom(4096)
            self._send(raw, junk, mode)
        elif mode == "tls-truncated":
            # A handshake record (22), TLS 1.2, announcing 16384 bytes; 64 of them come.
            self._send(raw, bytes([22, 3, 3, 0x40, 0x00]) + os.urandom(64), mode)
        else:
            self._hold(raw)
        return True

    def _send(self, sock, data, mode):
        sock.sendall(data)
        self._count(mode, sent=len(data))

    def _read_request(self, sock):
        """(method, target, headers dict lower-cased, body) or None when the peer hung up."""
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            buf += chunk
            if len(buf) > 1 << 20:
                raise ValueError("request head too large")
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            body += chunk
        return method, target, headers, body

    def _answer(self, sock, method, target, headers, body):
        """Answers one request; False when the connection must end."""
        host = headers.get("host", "")
        mode = self._match(host, target, tls=False)
        if mode is None:
            self._reply(sock, *self._forward(method, target, headers, body))
            return True
        self._count(mode, hits=1)
        return getattr(self, "_mode_" + mode.replace("-", "_"))(sock, method, target, headers,
                                                                   body, mode)

    # ---- forwarding ----
    def _swap(self, data, to_upstream):
        # ":PORT" in URLs and JSON, "%3APORT" in form-encoded token requests.
        for sep in (b":", b"%3A", b"%3a"):
            mine, theirs = sep + b"%d" % self.port, sep + b"%d" % self.up_port
            data = data.replace(mine, theirs) if to_upstream else data.replace(theirs, mine)
        return data

    def _forward(self, method, target, headers, body):
        """azsim's (status, reason, headers list, body) for this request, ports swapped."""
        host = headers.get("host", "localhost").rsplit(":", 1)[0]
        conn = http.client.HTTPSConnection(host, self.up_port, context=self.upstream_ctx,
                                           timeout=30)
        try:
            out = {k: self._swap(v.encode("latin-1"), True).decode("latin-1")
                   for k, v in headers.items()
                   if k not in ("connection", "accept-encoding", "content-length", "host")}
            out["host"] = "%s:%d" % (host, self.up_port)
            t = self._swap(target.encode("latin-1"), True).decode("latin-1")
            conn.request(method, t, body=self._swap(body, True) if body else None, headers=out)
            resp = conn.getresponse()
            data = self._swap(resp.read(), False)
            keep = [(k, self._swap(v.encode("latin-1"), False).decode("latin-1"))
                    for k, v in resp.getheaders()
                    if k.lower() not in ("content-length", "transfer-encoding", "connection",
                                         "keep-alive")]
            return resp.status, resp.reason, keep, data
        finally:
            conn.close()

    def _reply(self, sock, status, reason, headers, body):
        head = "HTTP/1.1 %d %s\r\n" % (status, reason)
        head += "".join("%s: %s\r\n" % kv for kv in headers)
        head += "Content-Length: %d\r\n\r\n" % len(body)
        sock.sendall(head.encode("latin-1") + body)

    # ---- the misbehaviours (each returns False: the connection ends after it) ----
    def _mode_huge(self, sock, method, target, headers, body, mode):
        self._send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1073741824\r\n\r\n", mode)
        block = b'{"value":[' + b'{"id":"/x"},' * 5000
        sent = 0
        while sent < 1 << 30 and not self.stop_event.is_set():
            self._send(sock, block, mode)
            sent += len(block)
        return False

    def _mode_chunked(self, sock, method, target, headers, body, mode):
        self._send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n", mode)
        piece = b'{"id":"/subscriptions/x","name":"x"},' * 1000
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        self._send(sock, b"1\r\n[\r\n", mode)
        while not self.stop_event.is_set():
            self._send(sock, chunk, mode)
        return False

    def _mode_gzip(self, sock, method, target, headers, body, mode):
        self._send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", mode)
        z = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip wrapper
        spaces = b" " * (1 << 20)
        while not self.stop_event.is_set():
            piece = z.compress(spaces) + z.flush(zlib.Z_SYNC_FLUSH)
            self._send(sock, b"%x\r\n%s\r\n" % (len(piece), piece), mode)
        return False

    def _trickle(self, sock, data, mode):
        for i in range(len(data)):
            if self.stop_event.is_set():
                return
            self._send(sock, data[i:i + 1], mode)
            time.sleep(TRICKLE_S)

    def _mode_slow_headers(self, sock, method, target, headers, body, mode):
        self._send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: ", mode)
        self._trickle(sock, b"a" * 100000, mode)
        return False

    def _mode_slow_body(self, sock, method, target, headers, body, mode):
        self._send(sock, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 60000\r\n\r\n", mode)
        self._trickle(sock, b'{"value":[' + b" " * (60000 - 10), mode)
        return False

    def _mode_silent(self, sock, method, target, headers, body, mode):
        self._hold(sock)
        return False

    def _mode_bad_utf8(self, sock, method, target, headers, body, mode):
        # The code carries raw invalid UTF-8; the message the same plus the control
        # characters as JSON escapes (\u001b ...) and a lone surrogate (\ud800), which
        # a JSON parser decodes into the string.
        raw = EVIL_TEXT.decode("latin-1")
        escaped = json_escaped(raw)
        doc = '{"error":{"code":"Forbidden\xff\xc0","message":"%s \\ud800"}}' % escaped
        data = doc.encode("latin-1")
        self._reply(sock, 403, "Forbidden", [("Content-Type", "application/json")], data)
        self._count(mode, sent=len(data))
        return True

    def _mode_deep(self, sock, method, target, headers, body, mode):
        data = b'{"value":' + b"[" * DEPTH + b"]" * DEPTH + b"}"
        self._reply(sock, 200, "OK", [("Content-Type", "application/json")], data)
        self._count(mode, sent=len(data))
        return True

    def _mutate(self, sock, method, target, headers, body, mode, fn):
        status, reason, hdrs, data = self._forward(method, target, headers, body)
        try:
            data = fn(json.loads(data)).encode("latin-1")
        except ValueError:
            pass
        self._reply(sock, status, reason, hdrs, data)
        self._count(mode, sent=len(data))
        return True

    def _mode_retype(self, sock, method, target, headers, body, mode):
        return self._mutate(sock, method, target, headers, body, mode,
                            lambda v: json.dumps(retyped(v)))

    def _mode_dupkeys(self, sock, method, target, headers, body, mode):
        return self._mutate(sock, method, target, headers, body, mode, duplicated)

    def _mode_evil_names(self, sock, method, target, headers, body, mode):
        return self._mutate(sock, method, target, headers, body, mode, evil_names)

    def _mode_evil_strings(self, sock, method, target, headers, body, mode):
        return self._mutate(sock, method, target, headers, body, mode,
                            lambda v: evil_names(v, every=True))

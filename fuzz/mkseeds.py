#!/usr/bin/python3
"""Seed corpora for the fuzz targets, from the shared Azure files (docs/fuzzing.md).

    mkseeds.py SHARED_DIR OUT_DIR [THEMES_DIR]

Reads SHARED_DIR/azure-examples (the REST specs' examples: {"responses":
{status: {"headers"?, "body"?}}}) and SHARED_DIR/azure-recordings (the SDKs'
test recordings: {"Entries": [{"StatusCode", "ResponseHeaders",
"ResponseBody"}]}) in place and writes, one file per input, named by the
SHA-1 of its bytes (so a re-run rewrites the same files):

  OUT/armparse, OUT/kvparse  every response body (JSON), errors included
  OUT/token                  the bodies too (error shapes, odd members)
  OUT/challenge              every WWW-Authenticate value
  OUT/headers                each answer's status line, headers and body, as
                             libcurl hands them over (CRLF lines, blank line)
  OUT/theme                  THEMES_DIR/*.json, the shipped themes

OUT is emptied first. Standard library only (Debian's python3).
"""
import hashlib
import json
import os
import shutil
import sys


def put(out, target, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def answer(out, status, headers, body):
    """One recorded or documented answer into every target it fits."""
    text = None
    if body is not None and body != "":
        text = body if isinstance(body, str) else json.dumps(body, indent=1)
        for t in ("armparse", "kvparse", "token"):
            put(out, t, text)
    lines = ["HTTP/1.1 %s Status\r\n" % status]
    for k, v in (headers or {}).items():
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        lines.append("%s: %s\r\n" % (k, v))
        if k.lower() == "www-authenticate":
            put(out, "challenge", str(v))
    if len(lines) > 1:
        put(out, "headers", "".join(lines) + "\r\n" + (text or ""))


def json_files(root):
    """Every .json document under root that parses, in a stable order."""
    for dirpath, _, files in sorted(os.walk(root)):
        for fn in sorted(files):
            if not fn.endswith(".json"):
                continue
            try:
                with open(os.path.join(dirpath, fn), encoding="utf-8") as f:
                    yield json.load(f)
            except (OSError, ValueError):
                continue


def examples(out, root):
    for doc in json_files(root):
        for status, resp in (doc.get("responses") or {}).items():
            if isinstance(resp, dict):
                answer(out, status, resp.get("headers"), resp.get("body"))


def recordings(out, root):
    for doc in json_files(root):
        for e in doc.get("Entries") or []:
            answer(out, e.get("StatusCode", 200), e.get("ResponseHeaders"), e.get("ResponseBody"))


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: mkseeds.py SHARED_DIR OUT_DIR [THEMES_DIR]")
    shared, out = sys.argv[1], sys.argv[2]
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for sub, fn in (("azure-examples", examples), ("azure-recordings", recordings)):
        path = os.path.join(shared, sub)
        if not os.path.isdir(path):
            sys.exit("mkseeds.py: %s is missing (TDECTL_SHARED_DIR)" % path)
        fn(out, path)
    if len(sys.argv) == 4:
        for fn in sorted(os.listdir(sys.argv[3])):
            if fn.endswith(".json"):
                with open(os.path.join(sys.argv[3], fn), "rb") as f:
                    put(out, "theme", f.read())
    for t in sorted(os.listdir(out)):
        print("%s: %d seeds" % (t, len(os.listdir(os.path.join(out, t)))))


if __name__ == "__main__":
    main()

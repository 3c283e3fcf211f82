#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Writes echomux.conf(5) from conf/echomux.conf: the file's opening comment is the
description, each key's comment block its entry, the value written after it its default.
The shipped conf file is the one source, so the man page cannot drift from it.

Usage: conf_to_man.py CONF_FILE VERSION > echomux.conf.5
"""
import re
import sys

KEY = re.compile(r"^([a-z][a-z0-9_]*) =(?: (.*))?$")
COMMENTED_KEY = re.compile(r"^# ([a-z][a-z0-9_]*) =(?: (.*))?$")


def roff(text):
    """Escapes text for a roff paragraph; `code` becomes bold."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", text)
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


LISTENERS = "# Several listeners."


def parse(lines):
    """Returns (intro paragraphs, [(keys with defaults, description paragraphs)], the
    listeners block as (description, example lines) or None)."""
    blocks, block = [], []
    for line in lines + [""]:
        line = line.rstrip("\n")
        if line.strip():
            block.append(line)
        elif block:
            blocks.append(block)
            block = []
    intro, entries, listeners = [], [], None
    for block in blocks:
        if block[0].startswith(LISTENERS):  # prose, then a commented-out example section
            start = next((i for i, line in enumerate(block) if line.startswith("# [")), len(block))
            prose = " ".join(line[2:] for line in block[:start])
            example = [line[2:] if line.startswith("# ") else line[1:] for line in block[start:]]
            listeners = (prose, example)
            continue
        comments, keys = [], []
        for line in block:
            key = KEY.match(line) or COMMENTED_KEY.match(line)
            if key:
                keys.append((key.group(1), key.group(2) or "", line.startswith("#")))
            elif line.startswith("#"):
                if keys:
                    raise SystemExit(f"comment after a key in: {block[0]}")
                comments.append(line[2:] if line.startswith("# ") else line[1:])
            else:
                raise SystemExit(f"neither a comment nor key = value: {line!r}")
        text = " ".join(comments)
        if keys:
            entries.append((keys, text))
        elif not entries:
            intro.append(text)
        else:
            raise SystemExit(f"a comment block without a key after the first key: {block[0]}")
    return intro, entries, listeners


def main():
    conf_path, version = sys.argv[1], sys.argv[2]
    with open(conf_path, encoding="utf-8") as f:
        intro, entries, listeners = parse(f.readlines())
    out = [
        f'.TH ECHOMUX.CONF 5 "" "echomux {version}" "File Formats"',
        ".nh",
        ".SH NAME",
        "echomux.conf \\- configuration file of the echomux TCP echo server",
        ".SH SYNOPSIS",
        "/etc/echomux/echomux.conf",
        ".SH DESCRIPTION",
        "echomux reads a conf file only when one is named: \\fBechomux \\-\\-config\\fR \\fIFILE\\fR "
        "or the environment variable \\fBECHOMUX_CONFIG\\fR. Each line is \\fIkey\\fR \\fB=\\fR \\fIvalue\\fR; "
        "lines starting with \\fB#\\fR and blank lines are ignored. Every key can also be set as "
        "\\fB\\-\\-\\fR\\fIkey\\-name\\fR\\fB=\\fR\\fIvalue\\fR on the command line (the key with \\fB\\-\\fR for \\fB_\\fR) "
        "and as the environment variable \\fBECHOMUX_\\fR\\fIKEY\\fR.",
    ]
    for paragraph in intro:
        out += [".PP", roff(paragraph)]
    out.append(".SH KEYS")
    for keys, text in entries:
        first = True
        for name, default, commented in keys:
            out.append(".TP" if first else ".TQ")
            shown = "(not set)" if commented and not default else (default or "(empty)")
            out.append(f"\\fB{roff(name)}\\fR = {roff(shown)}")
            first = False
        out.append(roff(text))
    if listeners:
        prose, example = listeners
        out += [".SH LISTENERS", roff(prose), ".PP", ".nf"] + [roff(line) for line in example] + [".fi"]
    out += [
        ".SH FILES",
        ".TP",
        "/etc/echomux/echomux.conf",
        "The conf file installed by the package: every key with its built\\-in default.",
        ".SH SEE ALSO",
        ".BR echomux (1)",
    ]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

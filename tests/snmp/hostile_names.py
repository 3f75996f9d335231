"""A switch whose port names and descriptions are hostile text, as real ifAlias/ifName
values can be (anyone with config access sets them): rich markup (`[/x] Gi0/2`), an
escape sequence that retitles a terminal and clears the screen, and HTML that a Markdown
viewer would render. snmprec type ``4x`` carries the bytes as hex."""

from __future__ import annotations

from tests.snmp import synth

MARKUP_NAME = "[/x] Gi0/2"
ESCAPE_NAME = "\x1b]0;pwned\x07\x1b[2JGi0/3"
HTML_NAME = "<img src=http://192.0.2.1/x.png>Gi0/4"
SCRIPT_SYSNAME = "<script>alert(1)</script>"


def recording() -> str:
    text = synth.switch(ports=4, name=SCRIPT_SYSNAME)
    renamed = {2: MARKUP_NAME, 3: ESCAPE_NAME, 4: HTML_NAME}
    lines = []
    for line in text.splitlines():
        oid, kind, value = line.split("|", 2)
        for port, hostile in renamed.items():
            if oid in (f"1.3.6.1.2.1.31.1.1.1.1.{10100 + port}", f"1.3.6.1.2.1.2.2.1.2.{10100 + port}"):
                kind, value = "4x", hostile.encode().hex()
        lines.append(f"{oid}|{kind}|{value}")
    return "\n".join(lines) + "\n"

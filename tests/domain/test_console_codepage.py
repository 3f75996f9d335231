"""Native Windows output decoded by its console code page (collectors/platforms/windows/console.py).

nltest prints in the OEM code page (936 zh-CN, 950 zh-TW, 932 ja-JP), or UTF-8 after
``chcp 65001``. The bytes here are the recorded zh-CN sample (and the hand-translated zh-TW
and ja ones, see fixtures/nltest-languages/SOURCE.md) encoded as the console writes them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.base import CollectorIO
from collectors.platforms.windows.console import console_codepage, decode_console
from collectors.platforms.windows.domain import parse_nltest

LANGS = Path(__file__).parent / "fixtures" / "nltest-languages"
ASCII_WORD = re.compile(r"(?<![A-Za-z0-9\\_])[A-Za-z0-9\\_]{2,}")


# zh-TW: "態" is 0xBA 0x41 in Big5, its trail byte the ASCII "A", and nltest prints it right
# before "Status": the decode cannot tell that from a stray lead byte swallowing a word's
# first letter, so it keeps the "A" and shows the one character as U+FFFD (labels are never
# parsed; the DC name and status are whole).
@pytest.mark.parametrize(("name", "codepage", "shown_as"), [
    ("zh-CN.txt", 936, {}), ("zh-CN-no-logon-servers.txt", 936, {}),
    ("zh-TW.txt", 950, {"態Status": "\ufffdAStatus"}), ("ja.txt", 932, {}), ("ru.txt", 866, {}), ("de.txt", 850, {})])
def test_each_code_page_decodes_to_the_recorded_text(name: str, codepage: int, shown_as: dict[str, str]) -> None:
    text = (LANGS / name).read_text(encoding="utf-8")
    expected = text
    for old, new in shown_as.items():
        assert old in expected
        expected = expected.replace(old, new)
    assert decode_console(text.encode(f"cp{codepage}"), codepage) == expected


@pytest.mark.parametrize("wrong", [950, 932, 949, 1252, None])
def test_a_wrong_or_unknown_code_page_keeps_every_ascii_part(wrong: int | None) -> None:
    """The zh-CN bytes read as if they were another code page: the Chinese labels come out
    wrong, but every ASCII word is kept, so the channel parses the same."""
    text = (LANGS / "zh-CN.txt").read_text(encoding="utf-8")
    decoded = decode_console(text.encode("cp936"), wrong)
    for word in ASCII_WORD.findall(text):
        assert word in decoded
    channel = parse_nltest(decoded)
    assert (channel.status_code, channel.status_name, channel.dc) == (0, "NERR_Success", "HOMSOM-DC02.hs.com")


def test_a_console_switched_to_utf8_is_read_as_utf8() -> None:
    text = (LANGS / "zh-CN.txt").read_text(encoding="utf-8")
    assert decode_console(text.encode("utf-8"), 936) == text
    assert decode_console(b"\xef\xbb\xbf" + text.encode("utf-8"), 936) == text  # with a BOM


def test_a_stray_lead_byte_does_not_swallow_the_next_word() -> None:
    # cp936 would read b"\x81S" as one character, leaving "tatus"
    assert b"\x81Status".decode("cp936") == "丼tatus"
    assert decode_console(b"\xc1\xac\x81Status = 0 0x0 NERR_Success", 936) == "连\ufffdStatus = 0 0x0 NERR_Success"
    assert decode_console(b"\x81", 936) == "\ufffd"  # cut off at the end


def test_a_legitimate_trail_byte_before_a_word_costs_one_character_only() -> None:
    # "ス" is 0x83 0x58 in cp932: its trail byte is "X". Right before an ASCII word the
    # decode cannot tell it from a stray lead byte, so that one character becomes U+FFFD + X.
    raw = "接続ステータスStatus = 0 0x0 NERR_Success".encode("cp932")
    assert decode_console(raw, 932) == "接続ステータ\ufffdXStatus = 0 0x0 NERR_Success"
    assert decode_console("ステータス".encode("cp932"), 932) == "ステータス"  # elsewhere it stays whole


def test_the_code_page_comes_from_the_io_or_the_system() -> None:
    assert console_codepage(CollectorIO(run=None, extra={"console_codepage": 936})) == 936  # type: ignore[arg-type]
    assert console_codepage(CollectorIO(run=None)) is None  # type: ignore[arg-type]  # not Windows


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.sampled_from("ァアィイゥウスソ表能")
WORDS = st.from_regex(r"[A-Za-z0-9_\\]{2,8}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(st.one_of(st.text(CJK, min_size=1, max_size=4), WORDS, st.just(" "), st.just("\r\n")), max_size=12),
       written=st.sampled_from(["cp936", "cp950", "cp932", "utf-8"]),
       read=st.sampled_from([936, 950, 932, 949, 866, None]))
def test_no_ascii_word_is_ever_lost(parts: list[str], written: str, read: int | None) -> None:
    """Whatever code page the bytes are in and whatever code page they are read as, every
    ASCII word of two or more characters comes out whole."""
    text = "".join(parts)
    raw = text.encode(written, "replace")
    decoded = decode_console(raw, read)
    for word in ASCII_WORD.findall(raw.decode(written, "replace")):
        assert word in decoded


def test_the_domain_script_runs_with_utf8_output_and_nltest_by_the_console_code_page() -> None:
    """Test-ComputerSecureChannel's translated error text comes through PowerShell's UTF-8
    preamble; nltest, run directly, is decoded by the console code page."""
    from collectors.base import CommandOutput
    from collectors.platforms.windows import domain
    from collectors.platforms.windows.powershell import PREAMBLE

    nltest = (LANGS / "zh-CN.txt").read_text(encoding="utf-8")
    calls: list[list[str]] = []

    def run(argv, *, timeout, input=None, env=None):
        calls.append(list(argv))
        if argv[0] == "nltest":
            return CommandOutput(tuple(argv), 0, nltest.encode("cp936"), b"")
        reply = '{"Domain":"hs.com","PartOfDomain":true,"DomainRole":1,"Elevated":true,"SecureChannel":false,' \
                '"SecureChannelError":"无法验证安全通道"}'
        return CommandOutput(tuple(argv), 0, reply.encode("utf-8"), b"")

    raw = domain.fetch(CollectorIO(run=run, platform="windows", extra={"console_codepage": 936}), None)
    assert calls[0][-1].startswith(PREAMBLE) and "System.Text.UTF8Encoding $false" in PREAMBLE and "[Console]::OutputEncoding" in PREAMBLE
    assert raw.nltest == nltest
    [status] = domain.parse(raw)
    assert "无法验证安全通道" in status.summary and "HOMSOM-DC02.hs.com" in status.summary

"""The config snippets in docs/checks-antivirus-patches.md validate and mean what the doc says."""

from __future__ import annotations

import re
from pathlib import Path

from config.loader import parse_yaml, validate
from config.schema import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "checks-antivirus-patches.md"


def test_doc_snippets_validate() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 2
    antivirus = validate(Settings, parse_yaml(blocks[0], DOC.name)).checks.antivirus
    patches = validate(Settings, parse_yaml(blocks[1], DOC.name)).checks.patches
    assert antivirus.third_party[0].service == "mfemms" and antivirus.clamav.database_dir == "/var/lib/clamav"
    assert patches.windows.offline_cab == r"D:\wsus\wsusscn2.cab" and patches.critical_age_days.crit == 30


def test_defaults_match_the_doc() -> None:
    checks = Settings().checks
    assert (checks.antivirus.signature_age_days.warn, checks.antivirus.signature_age_days.crit) == (3, 7)
    assert checks.antivirus.max_active_products == 1
    assert (checks.patches.reboot_pending_days.warn, checks.patches.reboot_pending_days.crit) == (3, 14)

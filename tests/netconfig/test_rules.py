"""The per-platform text rules: secrets masked, volatile lines dropped, error replies refused."""

from __future__ import annotations

import pytest

from collectors.base import ParseError
from collectors.netconfig_rules import (
    all_rules,
    clean_config,
    clean_version,
    compose,
    mask_line,
    masked_diff,
    rules_for,
)

MASK_CASES = [
    # (platform, line as the device prints it, line as evidence shows it)
    ("cisco_ios", "enable secret 9 $9$nhEmQVczB7dqsO$X.HsgL6x1i", "enable secret 9 <masked>"),
    ("cisco_ios", "enable password 7 0822455D0A16", "enable password 7 <masked>"),
    ("cisco_ios", "enable secret level 5 5 $1$abc$xyz", "enable secret level 5 5 <masked>"),
    ("cisco_ios", "username admin privilege 15 secret 9 $9$vFpMf8elb4", "username admin privilege 15 secret 9 <masked>"),
    ("cisco_ios", "username ops password 0 PlainText1", "username ops password 0 <masked>"),
    ("cisco_ios", " password 7 045802150C2E", " password 7 <masked>"),
    ("cisco_ios", "snmp-server community Publ1cR0 RO", "snmp-server community <masked> RO"),
    ("cisco_ios", "snmp-server community s3cret RW 10", "snmp-server community <masked> RW 10"),
    ("cisco_ios", "snmp-server user mon grp v3 auth sha AuthPass1 priv aes 128 PrivPass1",
     "snmp-server user mon grp v3 auth sha <masked> priv aes 128 <masked>"),
    ("cisco_ios", "tacacs-server host 10.0.0.9 key 7 0822455D0A16", "tacacs-server host 10.0.0.9 key 7 <masked>"),
    ("cisco_ios", "tacacs-server key 7 0822455D0A16", "tacacs-server key 7 <masked>"),
    ("cisco_ios", " key 7 045802150C2E", " key 7 <masked>"),
    ("cisco_ios", "radius-server host 10.0.0.8 auth-port 1812 key R4dius", "radius-server host 10.0.0.8 auth-port 1812 key <masked>"),
    ("cisco_ios", "ntp authentication-key 1 md5 121A0C041104 7", "ntp authentication-key 1 md5 <masked> 7"),
    ("cisco_ios", " neighbor 10.1.1.1 password 7 02050D480809", " neighbor 10.1.1.1 password 7 <masked>"),
    ("cisco_ios", "crypto isakmp key Sh4red address 0.0.0.0", "crypto isakmp key <masked> address 0.0.0.0"),
    ("cisco_ios", " ip ospf message-digest-key 1 md5 7 0822455D0A16", " ip ospf message-digest-key 1 md5 7 <masked>"),
    ("cisco_ios", "no service password-encryption", "no service password-encryption"),
    ("cisco_ios", "hostname r1", "hostname r1"),
    ("arista_eos", "username admin privilege 15 role network-admin secret sha512 $6$Ss8H",
     "username admin privilege 15 role network-admin secret sha512 <masked>"),
    ("arista_eos", "snmp-server community Ar1staRO ro", "snmp-server community <masked> ro"),
    ("arista_eos", "enable password sha512 $6$abc", "enable password sha512 <masked>"),
    ("huawei", "snmp-agent community read cipher %^%#hG2;Xxq1)E9b6%^%#", "snmp-agent community read cipher <masked>"),
    ("huawei", "snmp-agent community write simple privat3", "snmp-agent community write simple <masked>"),
    ("huawei", " local-user admin password irreversible-cipher $1a$Oc.1@Fp0$WZc", " local-user admin password irreversible-cipher <masked>"),
    ("huawei", "super password level 15 cipher %^%#abc%^%#", "super password level 15 cipher <masked>"),
    ("huawei", "hwtacacs-server shared-key cipher %^%#xyz%^%#", "hwtacacs-server shared-key cipher <masked>"),
    ("hp_comware", " password hash $h$6$Xy1", " password hash <masked>"),
    ("hp_comware", "snmp-agent community read simple publ1c", "snmp-agent community read simple <masked>"),
    ("hp_comware", "super password role network-admin hash $h$6$a", "super password role network-admin hash <masked>"),
    ("juniper_junos", '            encrypted-password "$6$abc"; ## SECRET-DATA', '            encrypted-password <masked>; ## SECRET-DATA'),
    ("juniper_junos", '    community public {', '    community <masked> {'),
    ("ruijie_os", "enable secret 5 $1$abc", "enable secret 5 <masked>"),
]


@pytest.mark.parametrize("platform,line,expected", MASK_CASES,
                         ids=[f"{p}:{line.split()[0]}-{i}" for i, (p, line, _) in enumerate(MASK_CASES)])
def test_secret_values_are_masked(platform, line, expected):
    assert mask_line(line, rules_for(platform)) == expected


VOLATILE_CASES = [
    # (platform, reply with volatile lines, what is kept)
    ("cisco_ios",
     "Building configuration...\n\nCurrent configuration : 1187 bytes\n!\n! Last configuration change at 10:15:02 UTC Sat Nov 21 2026\n"
     "! NVRAM config last updated at 10:15:05 UTC Sat Nov 21 2026\nhostname r1\nntp clock-period 17179860\nntp server 10.0.0.5\nend",
     ["!", "hostname r1", "ntp server 10.0.0.5", "end"]),
    ("cisco_ios", "Current configuration: 99 bytes\r\n! No configuration change since last restart\r\nversion 15.2\r\nend\r\n",
     ["version 15.2", "end"]),
    ("cisco_nxos", "!Command: show running-config\n!Running configuration last done at: Sat Nov 21 10:15:02 2026\n"
     "!Time: Sun Nov 22 08:00:00 2026\nversion 9.3(8) Bios:version\nhostname n1", ["version 9.3(8) Bios:version", "hostname n1"]),
    ("arista_eos", "! Command: show running-config\n! device: ar3 (cEOSLab, EOS-4.26.0F)\n! Time: Sat Nov 21 10:15:02 2026\n!\nhostname ar3",
     ["! device: ar3 (cEOSLab, EOS-4.26.0F)", "!", "hostname ar3"]),
    ("huawei", "!Software Version V200R019C10SPC500\n!Last configuration was updated at 2026-11-21 10:15:02+08:00\n#\nsysname sw2\n#\nreturn",
     ["#", "sysname sw2", "#", "return"]),
    ("juniper_junos", "## Last commit: 2026-11-21 10:15:02 UTC by admin\nversion 21.4R3;\nsystem {\n    host-name j1;\n}",
     ["version 21.4R3;", "system {", "    host-name j1;", "}"]),
    ("ruijie_os", "Building configuration...\nCurrent configuration : 2048 bytes\n!\nhostname rj1\n!",
     ["!", "hostname rj1", "!"]),
]


@pytest.mark.parametrize("platform,text,kept", VOLATILE_CASES, ids=[c[0] + f"-{i}" for i, c in enumerate(VOLATILE_CASES)])
def test_volatile_config_lines_are_dropped(platform, text, kept):
    assert clean_config(text, rules_for(platform)) == kept


VERSION_CASES = [
    ("cisco_ios", "Cisco IOS XE Software, Version 17.03.01a\nr1 uptime is 1 day, 17 hours\nUptime for this control processor is 1 day\n"
     "System returned to ROM by reload\nLast reload reason: reload\nProcessor board ID 9ESGOBARV9D",
     ["Cisco IOS XE Software, Version 17.03.01a", "Processor board ID 9ESGOBARV9D"]),
    ("arista_eos", "Software image version: 4.26.0F\nUptime: 0 weeks, 0 days, 2 hours\nTotal memory: 8152872 kB\nFree memory: 3937340 kB",
     ["Software image version: 4.26.0F"]),
    ("huawei", "VRP (R) software, Version 5.170\nHUAWEI S5720 Routing Switch uptime is 358 days\nES5D2T28S005 0(Master) : uptime is 358 days",
     ["VRP (R) software, Version 5.170"]),
    ("hp_comware", "H3C Comware Software, Version 7.1.064\nH3C S5130 uptime is 0 weeks, 2 days\nLast reboot reason : Cold reboot",
     ["H3C Comware Software, Version 7.1.064"]),
]


@pytest.mark.parametrize("platform,text,kept", VERSION_CASES, ids=[c[0] for c in VERSION_CASES])
def test_volatile_version_lines_are_dropped(platform, text, kept):
    assert clean_version(text, rules_for(platform)) == kept


BROKEN_REPLIES = [
    ("cisco_ios", "% Invalid input detected at '^' marker.", "answered with an error: % Invalid input detected"),
    ("cisco_ios", "\n  % Incomplete command.\n", "answered with an error: % Incomplete command."),
    ("cisco_ios", "Command authorization failed.", "answered with an error: Command authorization failed."),
    ("cisco_ios", "", "returned an empty configuration"),
    ("cisco_ios", "Building configuration...\n\nCurrent configuration : 10 bytes\n", "returned an empty configuration"),
    ("cisco_ios", "some banner text\nthat is not a configuration", "did not return a configuration"),
    ("huawei", "Error: Unrecognized command found at '^' position.", "answered with an error: Error: Unrecognized command"),
    ("hp_comware", "          ^\n % Unrecognized command found at '^' position.", "answered with an error: % Unrecognized command"),
    ("juniper_junos", "error: permission denied", "answered with an error: error: permission denied"),
]


@pytest.mark.parametrize("platform,text,reason", BROKEN_REPLIES, ids=[f"{c[0]}-{i}" for i, c in enumerate(BROKEN_REPLIES)])
def test_a_reply_that_is_not_a_configuration_is_refused(platform, text, reason):
    with pytest.raises(ParseError, match="^'.+' " + reason.replace("(", r"\(").replace("^", r"\^").replace(".", r"\.")):
        clean_config(text, rules_for(platform))


def test_every_platform_file_loads_and_names_its_commands():
    table = all_rules()
    assert {"cisco_ios", "cisco_xe", "cisco_nxos", "arista_eos", "huawei", "huawei_vrp", "hp_comware",
            "juniper_junos", "ruijie_os"} <= set(table)
    for name, rules in table.items():
        assert rules.config_command and rules.secrets, name
        assert rules.comment.strip(), name


def test_a_password_change_shows_in_the_diff_but_not_its_value():
    rules = rules_for("cisco_ios")
    before = "hostname r1\nenable secret 9 $9$old\nend\n"
    after = "hostname r1\nenable secret 9 $9$new\nend\n"
    diff = masked_diff(before, after, rules, before_label="r1.cfg@a", after_label="r1.cfg@b")
    assert diff.lines == ("--- r1.cfg@a", "+++ r1.cfg@b", "@@ -1,3 +1,3 @@", " hostname r1",
                          "-enable secret 9 <masked>", "+enable secret 9 <masked>", " end")
    assert (diff.added, diff.removed) == (1, 1)


def test_compose_puts_the_version_as_comments_above_the_config():
    rules = rules_for("huawei")
    assert compose(["#", "sysname sw2"], ["VRP (R) software", ""], rules) == (
        "# display version\n# VRP (R) software\n#\n#\n#\nsysname sw2\n")
    assert compose(["hostname r1"], [], rules_for("cisco_ios")) == "hostname r1\n"


def test_site_rules_from_settings_extend_the_platform():
    rules = rules_for("cisco_ios").with_extra(volatile=[r"^! Exported at "], secrets=[r"ppp chap password"])
    assert clean_config("! Exported at 10:00\nhostname r1", rules) == ["hostname r1"]
    assert mask_line(" ppp chap password 7 0822455D", rules) == " ppp chap password <masked>"

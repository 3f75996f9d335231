"""A corpus of secret-bearing configuration lines per vendor: every secret is masked.

Each line is written in the syntax of the vendor's command reference (Cisco IOS/NX-OS
SNMP, HSRP and Aironet WPA commands; Arista EOS SNMP; H3C Comware RADIUS/HWTACACS scheme
and SNMP commands; Huawei VRP SNMP target host; Ruijie RGOS SNMP) with a made-up
secret, the SECRET word, which must not survive masking. The four forms that leaked before
(issue 17) are marked.
"""

from __future__ import annotations

import pytest

from collectors.netconfig_rules import MASK, all_rules, mask_line, rules_for

SECRET = "Zq7Secr3t"

CORPUS = {
    "cisco_ios": [
        "snmp-server host 10.0.0.5 version 2c Zq7Secr3t",                       # leaked before
        "snmp-server host 10.0.0.5 informs version 2c Zq7Secr3t udp-port 162",  # leaked before
        "snmp-server host 10.0.0.5 Zq7Secr3t",                                   # v1 form
        "snmp-server host 10.0.0.5 vrf MGMT version 3 priv Zq7Secr3t",
        "snmp-server community Zq7Secr3t RO 10",
        " wpa-psk ascii 0 Zq7Secr3t",                                             # leaked before
        " wpa-psk hex 7 Zq7Secr3t",
        " standby 1 authentication Zq7Secr3t",                                    # leaked before
        " standby authentication text Zq7Secr3t",
        " standby 2 authentication md5 key-string 7 Zq7Secr3t",
        " vrrp 3 authentication text Zq7Secr3t",
        "enable secret 9 Zq7Secr3t",
        "username ops privilege 15 password 0 Zq7Secr3t",
        "tacacs-server host 10.0.0.9 key 7 Zq7Secr3t",
        " key 7 Zq7Secr3t",
        "crypto isakmp key Zq7Secr3t address 0.0.0.0",
    ],
    "cisco_nxos": [
        "snmp-server host 10.1.1.1 traps version 2c Zq7Secr3t udp-port 162",
        "snmp-server host 10.1.1.1 informs version 2c Zq7Secr3t",
        "snmp-server community Zq7Secr3t group network-operator",
        "username admin password 5 Zq7Secr3t role network-admin",
        "    authentication text Zq7Secr3t",                                      # under "hsrp 10"
    ],
    "arista_eos": [
        "snmp-server host 10.1.1.1 vrf MGMT version 2c Zq7Secr3t",
        "snmp-server host 10.1.1.1 informs version 2c Zq7Secr3t",
        "snmp-server community Zq7Secr3t ro",
        "username admin privilege 15 role network-admin secret sha512 Zq7Secr3t",
    ],
    "hp_comware": [
        " key authentication simple Zq7Secr3t",                                   # leaked before (wrong word masked)
        " key authorization simple Zq7Secr3t",
        " key accounting cipher Zq7Secr3t",
        "snmp-agent community read simple Zq7Secr3t",
        "snmp-agent target-host trap address udp-domain 10.1.1.1 params securityname Zq7Secr3t v2c",
        " password hash Zq7Secr3t",
        "super password role network-admin simple Zq7Secr3t",
    ],
    "huawei": [
        "snmp-agent target-host trap address udp-domain 10.1.1.1 params securityname cipher Zq7Secr3t v2c",
        "snmp-agent community read cipher Zq7Secr3t",
        " local-user admin password irreversible-cipher Zq7Secr3t",
        " hwtacacs-server shared-key cipher Zq7Secr3t",
    ],
    "ruijie_os": [
        "snmp-server host 10.1.1.1 traps version 2c Zq7Secr3t",
        "snmp-server community Zq7Secr3t ro",
        "enable secret 5 Zq7Secr3t",
    ],
    "juniper_junos": [
        'set snmp community "Zq7Secr3t" authorization read-only',
        'set system root-authentication encrypted-password "Zq7Secr3t"',
    ],
}

CASES = [(platform, line) for platform, lines in CORPUS.items() for line in lines]


@pytest.mark.parametrize("platform, line", CASES, ids=[f"{p}:{l.strip()[:40]}" for p, l in CASES])
def test_every_secret_in_the_corpus_is_masked(platform, line):
    masked = mask_line(line, rules_for(platform))
    assert SECRET not in masked and MASK in masked, masked
    assert masked.split(MASK)[0].strip(), "the keyword before the secret is kept, so a diff shows what changed"


def test_the_corpus_covers_every_platform_file():
    assert set(CORPUS) <= {rules.platform for rules in all_rules().values()}
    assert {rules.platform for rules in all_rules().values()} <= set(CORPUS)


@pytest.mark.parametrize("line", [
    "snmp-server enable traps snmp linkdown linkup",
    "snmp-server location Shanghai 2F",
    " standby 1 ip 10.0.0.1",
    " standby 1 priority 110",
    "interface GigabitEthernet0/1",
])
def test_lines_without_secrets_are_left_alone(line):
    assert mask_line(line, rules_for("cisco_ios")) == line

"""productState decode: every scanner state x owner x signature status, and unknown nibbles."""

from __future__ import annotations

import itertools

import pytest

from collectors.antivirus import ProductState
from collectors.platforms.windows.security_center import decode_product_state

STATES = [(0x0, ProductState.OFF), (0x1, ProductState.ON), (0x2, ProductState.SNOOZED), (0x3, ProductState.EXPIRED),
          (0x4, ProductState.UNKNOWN), (0xF, ProductState.UNKNOWN)]
OWNERS = [(0x0, "third party"), (0x1, "Microsoft"), (0x7, "unknown owner")]
SIGNATURES = [(0x0, False), (0x1, True), (0x8, None)]
# Byte 2 is the provider set: 0x04 antivirus, 0x06 antivirus + auto-update, 0x05 +firewall.
PROVIDERS = [0x04, 0x06]

TABLE = [
    (provider << 16 | state << 12 | owner << 8 | sig << 4, expected_state, expected_owner, expected_sig)
    for (state, expected_state), (owner, expected_owner), (sig, expected_sig), provider
    in itertools.product(STATES, OWNERS, SIGNATURES, PROVIDERS)
]


@pytest.mark.parametrize("value,state,owner,out_of_date", TABLE, ids=[f"0x{v:06X}" for v, *_ in TABLE])
def test_decode_table(value: int, state: ProductState, owner: str, out_of_date: bool | None) -> None:
    decoded = decode_product_state(value)
    assert (decoded.state, decoded.owner, decoded.signatures_out_of_date) == (state, owner, out_of_date)


# Values seen in the field (stackoverflow.com/questions/4700897, neophob.com 2010/03).
@pytest.mark.parametrize("value,state,owner,out_of_date", [
    (397568, ProductState.ON, "Microsoft", False),  # 0x61100 Defender on
    (397584, ProductState.ON, "Microsoft", True),  # 0x61110 Defender on, signatures old
    (393472, ProductState.OFF, "Microsoft", False),  # 0x60100 Defender off (third party active)
    (266240, ProductState.ON, "third party", False),  # 0x41000
    (266256, ProductState.ON, "third party", True),  # 0x41010
    (262144, ProductState.OFF, "third party", False),  # 0x40000
    (270336, ProductState.SNOOZED, "third party", False),  # 0x42000
    (344064, ProductState.UNKNOWN, "third party", False),  # 0x54000: nibble 4 is not documented anywhere
], ids=["397568-defender-on", "397584-defender-outdated", "393472-defender-off", "266240-on", "266256-on-outdated",
        "262144-off", "270336-snoozed", "344064-undocumented"])
def test_field_values(value: int, state: ProductState, owner: str, out_of_date: bool) -> None:
    decoded = decode_product_state(value)
    assert (decoded.state, decoded.owner, decoded.signatures_out_of_date) == (state, owner, out_of_date)

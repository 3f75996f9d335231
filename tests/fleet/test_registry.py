"""Enrolment tokens and agent identity (agent/serve/registry.py) on a real SQLite store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from agent.fleet.protocol import EnrollRequest, MachineIdentity
from agent.serve.registry import AgentRegistry, EnrolmentRefused, UnknownAgent, target_name
from agent.serve.schema import FLEET
from agent.store import Store
from tests.support.clock import ManualClock


@pytest.fixture()
def reg(tmp_path):
    clock = ManualClock(datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc))
    store = Store.open(f"sqlite:///{tmp_path / 'c.sqlite'}", "hq", [FLEET])
    yield AgentRegistry(store.engine, clock), clock
    store.close()


def request(token: str, name: str = "pc-0412", machine_id: str | None = "m-1", smbios: str | None = None) -> EnrollRequest:
    return EnrollRequest(token=token, name=name, identity=MachineIdentity(hostname=name, machine_id=machine_id,
                                                                          smbios_uuid=smbios), os="Windows 11", version="0.2")


def test_a_token_enrols_once_per_use_and_the_credential_authenticates(reg):
    registry, _ = reg
    token = registry.create_token("hq", uses=1).token
    agent, credential, known = registry.enroll(request(token))
    assert (agent.site, agent.target, known) == ("hq", "pc-0412", False)
    assert registry.authenticate(credential).agent_id == agent.agent_id
    assert registry.authenticate(credential + "x") is None
    assert registry.authenticate("not-a-credential") is None
    with pytest.raises(EnrolmentRefused, match="used up"):
        registry.enroll(request(token, "pc-0413", "m-2"))


def test_expired_and_unknown_tokens_are_refused(reg):
    registry, clock = reg
    token = registry.create_token("hq", expires_in=timedelta(hours=1), uses=5).token
    clock.now += timedelta(hours=2)
    with pytest.raises(EnrolmentRefused, match="expired"):
        registry.enroll(request(token))
    with pytest.raises(EnrolmentRefused, match="unknown"):
        registry.enroll(request("pet_nonsense-token"))


def test_a_reinstalled_pc_keeps_its_target_and_the_old_credential_stops_working(reg):
    registry, clock = reg
    token = registry.create_token("hq", uses=3).token
    first, old_credential, _ = registry.enroll(request(token, smbios="4C4C4544-0042-3510-8052-B4C04F4B4E32"))
    # Windows reinstalled (which takes a while): a new MachineGuid, the same SMBIOS UUID, a new host name
    clock.now += timedelta(minutes=45)
    again, new_credential, known = registry.enroll(request(token, "DESKTOP-7QK2", "m-new",
                                                           "4c4c4544-0042-3510-8052-b4c04f4b4e32"))
    assert known and again.agent_id == first.agent_id and again.target == "pc-0412"
    assert again.hostname == "DESKTOP-7QK2"
    assert registry.authenticate(old_credential) is None
    assert registry.authenticate(new_credential).agent_id == first.agent_id
    assert len(registry.list()) == 1


def test_placeholder_smbios_uuids_never_merge_two_computers(reg):
    registry, _ = reg
    token = registry.create_token("hq", uses=2).token
    bogus = "03000200-0400-0500-0006-000700080009"  # shipped on many boards
    a, _, _ = registry.enroll(request(token, "pc-1", "m-1", bogus))
    b, _, known = registry.enroll(request(token, "pc-2", "m-2", bogus))
    assert not known and a.agent_id != b.agent_id


def test_two_computers_with_one_name_get_distinct_targets(reg):
    registry, _ = reg
    token = registry.create_token("hq", uses=2).token
    a, _, _ = registry.enroll(request(token, "PC 0412", "m-1"))
    b, _, _ = registry.enroll(request(token, "PC 0412", "m-2"))
    assert (a.target, b.target) == ("PC-0412", "PC-0412-2")


def test_revoke_rename_and_lookup(reg):
    registry, _ = reg
    token = registry.create_token("hq", uses=2).token
    a, credential, _ = registry.enroll(request(token, "pc-1", "m-1"))
    registry.enroll(request(token, "pc-2", "m-2"))
    assert registry.get(a.agent_id[:8]).target == "pc-1"
    with pytest.raises(UnknownAgent, match="no agent"):
        registry.get("pc-9")
    renamed, old = registry.rename("pc-1", "finance-01")
    assert (renamed.target, renamed.name_pinned, old) == ("finance-01", True, "pc-1")
    with pytest.raises(ValueError, match="already has an agent"):
        registry.rename("pc-2", "finance-01")
    with pytest.raises(ValueError, match="not a valid target name"):
        registry.rename("pc-2", "../etc")
    assert registry.revoke("finance-01").revoked
    assert registry.authenticate(credential).revoked


@pytest.mark.parametrize(("raw", "name"), [("pc-0412", "pc-0412"), ("财务-PC", "xn---PC-4w2em88x"), ("财务-PC2", "xn---PC2-u29ft212a"),
                                        ("a b/c", "a-b-c"), ("///", "agent")])
def test_target_names_are_safe(raw, name):
    assert target_name(raw) == name


def test_a_clone_still_pushing_under_another_name_is_another_computer(reg):
    registry, clock = reg
    token = registry.create_token("hq", uses=3).token
    golden, _, _ = registry.enroll(request(token, "pc-gold", "m-same", "4c4c4544-0000-1111-2222-333344445555"))
    # a VM cloned from the same image, enrolled while the first one is alive: both must exist
    clone, _, known = registry.enroll(request(token, "pc-clone", "m-same", "4c4c4544-0000-1111-2222-333344445555"))
    assert not known and clone.agent_id != golden.agent_id
    # the original PC reinstalled under a new name after a quiet hour: the same computer again
    clock.now += timedelta(hours=1)
    again, _, known = registry.enroll(request(token, "pc-new-name", "m-other", "4c4c4544-0000-1111-2222-333344445555"))
    assert known and again.agent_id == golden.agent_id

"""An enrolled agent's capture reaching the collector's archive: `patrol serve`, `patrol enroll`
and `patrol run` as real processes on this machine."""

from __future__ import annotations

from tests.support.fleet import agent_config, create_token, enrol, start_agent, start_collector
from tests.support.proc import free_port, wait_until


def test_agent_capture_lands_in_the_collectors_archive_once(tmp_path):
    import sqlalchemy as sa

    from agent.assets import archive

    port = free_port()
    from tests.support.fleet import collector_config

    collector = collector_config(tmp_path / "collector", port=port, site="acme")
    server, fingerprint = start_collector(collector, port)
    agent = None
    engine = sa.create_engine(f"sqlite:///{collector.parent / 'state' / 'patrol.sqlite'}")
    try:
        config = agent_config(tmp_path / "pc-a1", name="pc-a1", site="acme", exporter_port=free_port(),
                              families=("assets",), interval_s=3600,
                              extra="collector: {push_interval_s: 1, retry_base_s: 1, retry_max_s: 2}\n")
        done = enrol(config, f"https://127.0.0.1:{port}", create_token(collector), fingerprint)
        assert done.returncode == 0, done.stderr
        agent = start_agent(config)

        def archived() -> list:
            try:
                return archive.current(engine, "acme", "pc-a1")
            except sa.exc.OperationalError:  # the collector is still creating its tables
                return []

        wait_until(archived, 120, "pc-a1's snapshot in the collector's archive", agent)
        [current] = archived()
        assert current.asset_id == "pc-a1"
        spool = config.parent / "state" / "fleet"
        wait_until(lambda: (spool / "assets-sent.json").exists() and not (spool / "assets-pending.json.gz").exists(),
                   30, "the agent's spool emptied", agent)
        assert len(archive.versions(engine, "acme", "pc-a1")) == 1
    finally:
        if agent is not None:
            agent.stop()
        server.stop()
        engine.dispose()

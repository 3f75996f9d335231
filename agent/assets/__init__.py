"""The asset archive (设备档案, issue 19).

- model.py: ``AssetSnapshot``, what one capture found on one computer or device; canonical
  JSON and the content hash that deduplicates captures.
- capture/: how agents (Linux, Windows) and SNMP polls build a snapshot.
- archive.py: where snapshots are kept. The collector hands every pushed snapshot to
  ``archive.record(engine, site, asset_id, snapshot, at) -> Recorded`` (``stored`` False when
  the asset's current version has the same content hash; ``changes`` from the previous
  version); ``asset_id`` is the target name in the inventory (the agent's target, the
  polled device's name). schema.py: its tables; diff.py: what changed between two versions.
- findings.py: ``assets.hardware`` and ``assets.warranty`` results; join.py: the archive
  joined with the inventory's typed-in fields; tables.py, export.py, glpi/: CSV, XLSX and
  GLPI exports; report.py: the inspection report's appendix; cli.py: `patrol assets`.
"""

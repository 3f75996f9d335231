"""The asset archive (设备档案, issue 19).

- model.py: ``AssetSnapshot``, what one capture found on one computer or device; canonical
  JSON and the content hash that deduplicates captures.
- capture/: how agents (Linux, Windows) and SNMP polls build a snapshot.
- archive.py: where snapshots are kept. The collector hands every pushed snapshot to
  ``archive.record(engine, site, asset_id, snapshot, at) -> bool`` (True when it was stored,
  False when the asset's latest snapshot has the same content hash); ``asset_id`` is the
  target name in the inventory (the agent's target, the polled device's name).
"""

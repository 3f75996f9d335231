"""SNMP for Patrol: the async client (client.py), its lean v2c codec (ber.py), the v3
backend on pysnmp (pysnmp_backend.py) and device profiles chosen by sysObjectID
(profiles/*.yaml, profiles.py)."""

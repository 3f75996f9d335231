"""How an asset snapshot is captured: Linux (linux.py), Windows (windows.py), SNMP devices
(snmp.py). Each has a fetch step (the only I/O, through ``CollectorIO``) returning the raw
sample, and a pure parse step from that sample to ``AssetSnapshot``."""

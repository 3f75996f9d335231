"""The site's network topology: LLDP/CDP neighbour links per device, kept with history.

schema.py declares the store component (its table and migration), record.py turns the
switch check's ``switch.neighbors`` results into link rows, queries.py is what readers
(the console's topology map) call.
"""

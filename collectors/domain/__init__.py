"""Domain trust, domain login and shares (checklist item 6).

Two independent parts, each switched on by configuration:

- membership: this computer's own view of its domain (Windows secure channel; Linux
  realmd/sssd/winbind). The source is chosen by ``io.platform`` from
  collectors/platforms/<platform>/domain.py; this package only evaluates what it returns.
- login: with a read-only service account, what a user's logon does: a Kerberos TGT
  (``kinit`` with a private krb5.conf and credential cache), an LDAP simple bind and a
  search of the account, and each configured share opened and listed over SMB. The DC's
  clock is read from the LDAP rootDSE (``currentTime``, readable before any bind) and
  compared with ours: Kerberos refuses logons beyond 5 minutes of skew.

fetch records what each server answered (result codes, NTSTATUS values, kinit's message);
parse classifies those into outcomes with messages an engineer understands; evaluate maps
them to states with the thresholds from the settings. The password is resolved at the
last moment, given to kinit on stdin (never argv), and scrubbed from every text kept.

Modules, one job each: model (the frozen data), membership (the platform source, chosen
by a detect step), kerberos, ldap, account, smb (one login step each: fetch and parse),
parse (the steps into one model), evaluate (pure) and collector (the order of the steps).
"""

from collectors.domain.collector import DomainCollector
from collectors.domain.evaluate import evaluate
from collectors.domain.model import DomainModel, DomainRaw, MembershipStatus
from collectors.domain.parse import parse

__all__ = ["DomainCollector", "DomainModel", "DomainRaw", "MembershipStatus", "evaluate", "parse"]

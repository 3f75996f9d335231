"""Mail can be sent and received (checklist item 2): SMTP submission login, IMAP and/or
POP3 login, and an optional round trip (a marked probe message sent over SMTP, found in
the mailbox within N seconds, then deleted).

fetch talks to the servers (smtplib/imaplib/poplib, each socket with ``connect_timeout_s``) and
records what happened as ``Exchange`` rows: the step, how far it got (``phase``), the
exception type and the server's reply. parse classifies each row into an ``Outcome`` with
a message an engineer understands; evaluate maps outcomes to states. A server that
accepts the connection and says nothing ends in a socket timeout: UNKNOWN, not a hang.

The password is resolved at the last moment, handed only to the login call, and scrubbed
from any text the servers or libraries return before it is stored in an Exchange.

Modules, one job each: model (the frozen data), step (how far a step got, scrubbed),
connection (TLS context, quiet close), smtp, imap, pop3 (one protocol each), round_trip
(the probe message and the wait for it), fetch (the steps in order), parse (pure),
evaluate (pure) and collector.
"""

from collectors.mail.collector import MailCollector
from collectors.mail.evaluate import evaluate
from collectors.mail.model import Exchange, MailModel, MailRaw, Outcome
from collectors.mail.parse import parse

__all__ = ["Exchange", "MailCollector", "MailModel", "MailRaw", "Outcome", "evaluate", "parse"]

"""Notifications of ticket events to mail, WeCom, DingTalk, Feishu and a generic webhook.

The ticket engine records its events (agent/ticketing/state.py, table ``finding_events``);
``planner`` reads the new ones, matches them against the rules and queues one row per
(event, channel) in this component's own queue (``schema``); ``queue`` sends them in
order, rate-limited per channel, retried until they go through. Pure parts: ``rules``,
``schedule``, ``escalation``, ``message``.
"""

"""Commands, the schedule, the archive and mailing (to a real SMTP server: aiosmtpd on 127.0.0.1)."""

import email
import logging
from datetime import datetime, timezone
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from agent.cli import build_parser
from agent.reports import cli, schedule
from agent.reports.mailer import MailError, send_report
from agent.reports.schedule import scheduled_reports
from config.reports import ReportMailSettings, ReportsSettings
from tests.support.proc import free_port, wait_until

PASSWORD = "s3cret-Mail-Pw!"


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _auth(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"reports" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=_auth,
                            auth_require_tls=False)
    controller.start()
    yield controller, sink
    controller.stop()


@pytest.fixture
def ctx(demo_ctx, tmp_path, monkeypatch):
    """The demo context with its reports folder in tmp_path (settings are frozen: a copy)."""
    settings = demo_ctx.settings.model_copy(update={
        "paths": demo_ctx.settings.paths.model_copy(update={"reports_dir": tmp_path / "reports"})})
    monkeypatch.setattr(demo_ctx, "settings", settings)
    return demo_ctx


def mail_settings(smtp, **extra):
    controller, _ = smtp
    return ReportMailSettings(enabled=True, host="127.0.0.1", port=controller.port, security="none",
                              username="reports", password="env:PATROL_TEST_SMTP_PASSWORD",
                              sender="patrol@example.test", to=("it@customer.test",), timeout_s=5, **extra)


def test_report_is_mailed_as_attachments(smtp, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("PATROL_TEST_SMTP_PASSWORD", PASSWORD)
    _, sink = smtp
    before = len(sink.messages)
    files = [tmp_path / "inspection-x.pdf", tmp_path / "inspection-x.html"]
    files[0].write_bytes(b"%PDF-1.7 test")
    files[1].write_text("<html></html>", encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        send_report(mail_settings(smtp), "[Patrol] inspection demo-hq 2026-10", files)
    wait_until(lambda: len(sink.messages) > before, 5, "mail delivered")
    msg = sink.messages[-1]
    assert msg["Subject"] == "[Patrol] inspection demo-hq 2026-10" and msg["To"] == "it@customer.test"
    attachments = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert attachments["inspection-x.pdf"] == b"%PDF-1.7 test"
    assert PASSWORD not in caplog.text and PASSWORD not in msg.as_string()


def test_a_wrong_password_is_a_clear_error_without_the_password(smtp, monkeypatch):
    monkeypatch.setenv("PATROL_TEST_SMTP_PASSWORD", "wrong-" + PASSWORD)
    with pytest.raises(MailError, match="SMTP login as reports refused") as err:
        send_report(mail_settings(smtp), "x", [])
    assert PASSWORD not in str(err.value)


def test_an_unreachable_server_is_a_clear_error(smtp, monkeypatch):
    monkeypatch.setenv("PATROL_TEST_SMTP_PASSWORD", PASSWORD)
    settings = mail_settings(smtp).model_copy(update={"port": free_port()})
    with pytest.raises(MailError, match="cannot reach SMTP server 127.0.0.1"):
        send_report(settings, "x", [])


def test_scheduled_jobs_have_crontab_expressions(ctx):
    from apscheduler.triggers.cron import CronTrigger

    jobs = scheduled_reports(ctx)
    assert [j.name for j in jobs] == ["report-monthly-inspection", "report-quarterly-faults", "report-contract-end"]
    for job in jobs:
        CronTrigger.from_crontab(job.cron)


def test_monthly_job_archives_indexes_and_mails(ctx, smtp, monkeypatch):
    monkeypatch.setenv("PATROL_TEST_SMTP_PASSWORD", PASSWORD)
    reports = ctx.settings.reports.model_copy(update={"formats": ("html", "json"), "mail": mail_settings(smtp)})
    monkeypatch.setattr(ctx, "settings", ctx.settings.model_copy(update={"reports": reports}))
    _, sink = smtp
    before = len(sink.messages)
    job = next(j for j in scheduled_reports(ctx) if j.name == "report-monthly-inspection")
    files = job.run()
    archive = ctx.settings.reports_dir / "archive"
    assert sorted(p.name for p in files) == [
        "inspection-demo-hq-2026-10-en.html", "inspection-demo-hq-2026-10-en.json",
        "inspection-demo-hq-2026-10-zh-CN.html", "inspection-demo-hq-2026-10-zh-CN.json"]
    assert all(p.parent == archive / "demo-hq" for p in files)
    index = (archive / "index.html").read_text(encoding="utf-8")
    assert 'href="demo-hq/inspection-demo-hq-2026-10-en.html"' in index
    wait_until(lambda: len(sink.messages) > before, 5, "scheduled mail delivered")
    assert len(list(sink.messages[-1].iter_attachments())) == 4


@pytest.mark.parametrize("today,due", [
    (datetime(2026, 10, 31, 2, tzinfo=timezone.utc), True),  # 45 days before 2026-12-15 (Shanghai date)
    (datetime(2026, 11, 15, 2, tzinfo=timezone.utc), True),  # 30 days before
    (datetime(2026, 11, 16, 2, tzinfo=timezone.utc), False),
], ids=["45-days", "30-days", "not-due"])
def test_contract_end_report_runs_on_its_days_only(ctx, monkeypatch, today, due):
    reports = ctx.settings.reports.model_copy(update={"formats": ("json",), "languages": ("en",)})
    monkeypatch.setattr(ctx, "settings", ctx.settings.model_copy(update={"reports": reports}))
    monkeypatch.setattr(ctx, "clock", lambda: today)
    files = schedule.contract_run(ctx)
    assert bool(files) is due
    if due:
        assert files[0].name.startswith("inspection-demo-hq-2026-")


def run_cli(ctx, *argv):
    args = build_parser().parse_args(["report", *argv])
    return cli.main(args, ctx)


def test_cli_writes_the_requested_formats_and_languages(ctx, tmp_path, capsys):
    assert run_cli(ctx, "inspection", "--period", "2026-10", "--format", "md,json", "--lang", "en",
                   "--out", str(tmp_path / "out")) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "inspection-demo-hq-2026-10-en.json", "inspection-demo-hq-2026-10-en.md"]
    assert capsys.readouterr().out.count("\n") == 2


def test_cli_faults_defaults_to_the_last_quarter(ctx, tmp_path):
    assert run_cli(ctx, "faults", "--format", "json", "--lang", "zh-CN", "--out", str(tmp_path)) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["faults-demo-hq-2026Q3-zh-CN.json"]


@pytest.mark.parametrize("argv,message", [
    (["inspection", "--site", "nowhere"], "unknown site 'nowhere'"),
    (["inspection", "--period", "2026-13"], "is not 01-12"),
    (["faults", "--quarter", "Q3"], "is not a period"),
    (["inspection", "--lang", "fr"], "--lang: unknown language 'fr'; known: en, zh-CN"),
    (["inspection", "--format", "docx"], "--format: unknown format 'docx'"),
    (["inspection", "--format", "htlm"], "--format: unknown format 'htlm'; did you mean 'html'?"),
], ids=["site", "month", "quarter", "lang", "format", "format-typo"])
def test_cli_bad_input_is_a_clear_error(ctx, tmp_path, capsys, argv, message):
    assert run_cli(ctx, *argv, "--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("patrol report: ") and message in err
    assert list(tmp_path.iterdir()) == []


def test_settings_defaults_and_a_bad_zone():
    assert ReportsSettings().languages == ("zh-CN",)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        ReportsSettings(timezone="Mars/Base")


def test_the_documented_example_config_loads(tmp_path):
    import re as _re
    from pathlib import Path

    from config.loader import load_settings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
    snippet = next(block for block in _re.findall(r"```yaml\n(.*?)```", doc, _re.S) if block.startswith("reports:"))
    path = tmp_path / "patrol.yaml"
    path.write_text(snippet, encoding="utf-8")
    settings = load_settings(path)
    assert settings.reports.languages == ("zh-CN", "en") and settings.reports.mail.security == "starttls"
    assert str(settings.reports.mail.password) == "env:PATROL_SMTP_PASSWORD"

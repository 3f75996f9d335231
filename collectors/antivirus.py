"""Antivirus: a product present and enabled, real-time on, signatures current, one product only.

Checklist items 3 and 10 of the service standard. The data sources differ by platform
and Windows edition; they are chosen by a detect step from the ``SOURCES`` table and
each lives in its own module under collectors/platforms/ (see ``SOURCE_MODULES``). Every
source turns its raw sample into the same normalized ``AvProduct``; this module holds
that contract and the one evaluate step.

False alarms matter as much as missed ones here:
- Windows Server has no Security Center (root/SecurityCenter2): it is not queried there,
  so its absence is never a finding.
- Defender in passive / EDR block / SxS passive mode beside another active product is the
  documented way to run a third-party antivirus, not a failure of Defender.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any, ClassVar

from collectors.base import (CheckResult, CollectorIO, FetchError, MessageRef, Metric, ParseError, State,
                             threshold_state)
from collectors.messages import COMMON, Messages, Said, as_param, semicolons
from config.checks.antivirus import AntivirusParams
from config.checks.base import WarnCrit
from inventory.models import Host, Inventory


def _mode(p: AvProduct) -> MessageRef | str:
    """A product's mode: the platform's words when it gave some (translated when they are
    Patrol's, as the system printed them otherwise), else its state (translated)."""
    return as_param(p.mode) or state_words(p.state)


def state_words(state: ProductState) -> MessageRef:
    """A product state in words ("on", "passive", ...), for a platform's description of a mode."""
    return MSG.ref(f"antivirus.state.{state.value}")


class ProductState(enum.Enum):
    """What a product says about its own protection."""

    ON = "on"  # enabled and protecting
    PASSIVE = "passive"  # Defender standing down for another product (Passive, EDR Block, SxS Passive)
    OFF = "off"
    SNOOZED = "snoozed"  # temporarily disabled by a user
    EXPIRED = "expired"  # licence/subscription ended
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class AvProduct:
    """One antivirus product as every source reports it (the normalized contract).

    None means "this source does not say"; a value that is not known is never guessed.
    """

    name: str  # display name; the result item, so stable
    source: str  # the data source module that reported it
    state: ProductState
    key: str = ""  # products with the same key from several sources are one product (see product_key)
    owner: str = ""  # "Microsoft" | "third party" (Security Center) | ""
    # The product's own words for its state, e.g. AMRunningMode "EDR Block Mode": a ``Said``
    # (collectors/messages.py) when the platform module words it, so reports translate it.
    mode: str | Said = ""
    # Passive, but protecting when no other product is active (Defender "EDR Block Mode" with
    # real-time on: the same words are shown for Normal mode with EDR block enabled).
    fallback_active: bool = False
    realtime: bool | None = None
    realtime_required: bool = True
    signatures_updated: datetime | None = None
    signature_age_days: float | None = None  # when only an age is reported
    signatures_out_of_date: bool | None = None  # the product's own flag
    signatures_missing: str | Said | None = None  # why there are no signatures at all
    signatures_checked: bool = True  # False: nothing to read them from (no signature path configured)
    scan_known: bool = False  # whether the source reports scans at all
    last_scan_age_days: float | None = None  # None with scan_known: never scanned
    problems: tuple[tuple[State, str | Said], ...] = ()  # further conditions (e.g. updater not running)
    details: str = ""


@dataclass(frozen=True, slots=True)
class AvSample:
    """The raw output of one data source, or why it could not be fetched."""

    source: str
    payload: Any = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class AvRaw:
    platform: str
    edition: str
    samples: tuple[AvSample, ...]


@dataclass(frozen=True, slots=True)
class SourceError:
    source: str
    reason: str


@dataclass(frozen=True, slots=True)
class AvReport:
    platform: str
    edition: str
    products: tuple[AvProduct, ...]
    errors: tuple[SourceError, ...] = ()
    sources: tuple[str, ...] = field(default=())


def product_key(name: str) -> str:
    """Security Center and a configured third-party entry with the same name are one product."""
    return "product:" + " ".join(name.casefold().split())


# Which sources apply where. The order matters: for products with the same key (Defender
# seen by Get-MpComputerStatus and by Security Center) the earlier source wins.
SOURCES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("windows", "client"): ("defender", "security_center", "windows_third_party"),
    ("windows", "server"): ("defender", "windows_third_party", "windows_known_av"),
    ("linux", ""): ("clamav", "linux_third_party"),
}
SOURCE_MODULES: Mapping[str, str] = {
    "security_center": "collectors.platforms.windows.security_center",
    "defender": "collectors.platforms.windows.defender",
    "windows_third_party": "collectors.platforms.windows.av_third_party",
    "windows_known_av": "collectors.platforms.windows.av_known",
    "clamav": "collectors.platforms.linux.clamav",
    "linux_third_party": "collectors.platforms.linux.av_third_party",
}
# The edition detect step per platform (a module with ``detect_edition(params, io) -> str``).
EDITION_MODULES: Mapping[str, str] = {"windows": "collectors.platforms.windows.av_edition"}


def _module(name: str) -> ModuleType:
    return importlib.import_module(SOURCE_MODULES[name])


def sources_for(platform: str, edition: str) -> tuple[str, ...]:
    try:
        return SOURCES[(platform, edition)]
    except KeyError:
        raise FetchError(f"no antivirus data sources for platform {platform!r} edition {edition!r}") from None


def parse_samples(raw: AvRaw) -> AvReport:
    """Pure: each sample through its source's parser; one broken source does not hide the others."""
    products: list[AvProduct] = []
    errors: list[SourceError] = []
    by_key: dict[str, int] = {}
    for sample in raw.samples:
        if sample.error is not None:
            errors.append(SourceError(sample.source, sample.error))
            continue
        try:
            found = _module(sample.source).parse(sample.payload)
        except ParseError as exc:
            errors.append(SourceError(sample.source, str(exc)))
            continue
        for product in found:
            if not product.key:
                products.append(product)
            elif product.key not in by_key:
                by_key[product.key] = len(products)
                products.append(product)
            else:
                # An earlier source wins (Get-MpComputerStatus over Security Center); within one
                # source a stale duplicate registration must not hide the live one.
                index = by_key[product.key]
                kept = products[index]
                if kept.source == product.source and product.state is ProductState.ON and kept.state is not ProductState.ON:
                    products[index] = product
    return AvReport(raw.platform, raw.edition, tuple(products), tuple(errors), tuple(s.source for s in raw.samples))


def _age_days(then: datetime, now: datetime) -> float:
    return max(0.0, (now - then).total_seconds() / 86400)


def _never_state(limits: WarnCrit) -> State:
    """The state for "never happened": the lowest configured level."""
    if limits.warn is not None:
        return State.WARN
    if limits.crit is not None:
        return State.CRIT
    return State.OK


def _names(products: Iterable[AvProduct]) -> str:
    return ", ".join(p.name for p in products)


class AntivirusCollector:
    name: ClassVar[str] = "antivirus"
    params_model: ClassVar[type[AntivirusParams]] = AntivirusParams

    def targets(self, params: AntivirusParams, inventory: Inventory) -> Sequence[Host]:
        return [inventory.local]

    def fetch(self, target: Host, params: AntivirusParams, io: CollectorIO) -> AvRaw:
        edition = self._edition(params, io)
        samples = []
        for source in sources_for(io.platform, edition):
            try:
                samples.append(AvSample(source, payload=_module(source).fetch(params, io)))
            except FetchError as exc:
                samples.append(AvSample(source, error=str(exc)))
        if samples and all(s.error for s in samples) and len({s.error for s in samples}) == 1:
            raise FetchError(samples[0].error)  # one cause (no PowerShell): one UNKNOWN, not one per source
        return AvRaw(io.platform, edition, tuple(samples))

    @staticmethod
    def _edition(params: AntivirusParams, io: CollectorIO) -> str:
        if io.platform not in EDITION_MODULES:
            return ""
        if params.windows_edition != "auto":
            return params.windows_edition
        return importlib.import_module(EDITION_MODULES[io.platform]).detect_edition(params, io)

    def parse(self, raw: AvRaw) -> AvReport:
        return parse_samples(raw)

    def evaluate(self, model: AvReport, params: AntivirusParams, target: Host, now: datetime) -> Iterable[CheckResult]:
        def result(check: str, item: str, state: State, said: Said, details: str = "",
                   metrics: tuple[Metric, ...] = ()) -> CheckResult:
            return CheckResult(f"antivirus.{check}", target.name, item, state, said.text, details, metrics, now, said.ref)

        sev = params.severities
        for error in model.errors:
            yield result("source", error.source, State.UNKNOWN, MSG.say("antivirus.source.error", reason=error.reason))

        products = model.products
        # A passive product that protects when it is alone (EDR Block Mode, real-time on) counts
        # as the active one only then: beside an enabled product it stands down.
        active = [p for p in products if p.state is ProductState.ON] or [p for p in products if p.fallback_active]
        if products:
            listing = semicolons([MSG.ref("antivirus.product", name=p.name, mode=_mode(p)) for p in products])
            yield result("present", "", State.OK, MSG.say("antivirus.present", n=len(products), listing=listing))
        elif model.errors:
            yield result("present", "", State.UNKNOWN, MSG.say("antivirus.present.unreadable", n=len(model.errors)))
        else:
            state = State.parse(sev.no_product) if params.require_product else State.OK
            yield result("present", "", state, MSG.say("antivirus.present.none", sources=", ".join(model.sources)))

        count = Metric("active_products_count", len(active), "count")
        if len(active) > params.max_active_products:
            yield result("policy", "", State.parse(sev.too_many_products),
                         MSG.say("antivirus.policy.too_many", n=len(active), names=_names(active),
                                 most=params.max_active_products), metrics=(count,))
        else:
            yield result("policy", "", State.OK, MSG.say("antivirus.policy", n=len(active)), metrics=(count,))

        for product in products:
            others = [p for p in active if p is not product]
            # Products known not to protect (off, snoozed, expired, passive); UNKNOWN ones say nothing.
            stopped = [p for p in products if p is not product and p not in active and p.state is not ProductState.UNKNOWN]
            yield from self._product(product, others, stopped, params, now, result)

    def _product(self, p: AvProduct, others: list[AvProduct], stopped: list[AvProduct], params: AntivirusParams,
                 now: datetime, result: Any) -> Iterable[CheckResult]:
        sev = params.severities
        mode = _mode(p)
        if p.state is ProductState.ON:
            state, summary = State.OK, MSG.ref("antivirus.status.on", mode=mode)
        elif p.state is ProductState.UNKNOWN:
            state, summary = State.UNKNOWN, MSG.ref("antivirus.status.unknown", mode=mode)
        elif others:
            # Not the primary engine (Defender passive / EDR block / SxS passive / not running
            # beside another product): information only. Protection is judged from the
            # primary product's own results; this one's scan and signature ages mean nothing.
            yield result("status", p.name, State.OK,
                         MSG.say("antivirus.status.secondary", mode=mode, names=_names(others)), p.details)
            return
        elif p.state is ProductState.PASSIVE and p.fallback_active:
            state, summary = State.OK, MSG.ref("antivirus.status.fallback", mode=mode)
        elif p.state is ProductState.PASSIVE and stopped:
            state, summary = (State.parse(sev.not_protecting),
                              MSG.ref("antivirus.status.passive_stopped", mode=mode, names=_names(stopped)))
        elif p.state is ProductState.PASSIVE:
            state, summary = (State.parse(sev.passive_without_primary), MSG.ref("antivirus.status.passive_alone", mode=mode))
        elif stopped:
            state, summary = (State.parse(sev.not_protecting),
                              MSG.ref("antivirus.status.off_stopped", mode=mode, names=_names(stopped)))
        else:
            state, summary = State.parse(sev.not_protecting), MSG.ref("antivirus.status.off", mode=mode)
        if p.problems:
            state = State.worst(state, *(s for s, _ in p.problems))
            summary = semicolons([summary, *(as_param(text) for _, text in p.problems)])  # the platform's words
        yield result("status", p.name, state, MSG.say("antivirus.status", text=summary), p.details)

        if p.realtime is not None:
            if p.realtime:
                yield result("realtime", p.name, State.OK, MSG.say("antivirus.realtime.on"))
            elif p.realtime_required:
                yield result("realtime", p.name, State.parse(sev.realtime_off), MSG.say("antivirus.realtime.off"))
            else:
                yield result("realtime", p.name, State.OK, MSG.say("antivirus.realtime.off_allowed"))

        if p.signatures_checked:
            yield self._signatures(p, params, now, result)
        if p.scan_known:
            if p.last_scan_age_days is None:
                yield result("scan", p.name, _never_state(params.scan_age_days), MSG.say("antivirus.scan.never"))
            else:
                age = p.last_scan_age_days
                yield result("scan", p.name, threshold_state(age, params.scan_age_days.warn, params.scan_age_days.crit),
                             MSG.say("antivirus.scan", days=age), metrics=(Metric("last_scan_age_days", round(age, 3), "days"),))

    @staticmethod
    def _signatures(p: AvProduct, params: AntivirusParams, now: datetime, result: Any) -> CheckResult:
        sev = params.severities
        if p.signatures_missing:
            return result("signatures", p.name, State.parse(sev.signatures_missing),
                          MSG.say("antivirus.signatures.missing", text=as_param(p.signatures_missing)))
        age = _age_days(p.signatures_updated, now) if p.signatures_updated is not None else p.signature_age_days
        flag = p.signatures_out_of_date
        if age is None:
            if flag is None:
                return result("signatures", p.name, State.UNKNOWN, MSG.say("antivirus.signatures.no_age"))
            if flag:
                return result("signatures", p.name, State.parse(sev.signatures_out_of_date),
                              MSG.say("antivirus.signatures.flag_old"))
            return result("signatures", p.name, State.OK, MSG.say("antivirus.signatures.flag_current"))
        limits = params.signature_age_days
        state = threshold_state(age, limits.warn, limits.crit)
        key = "antivirus.signatures.age" + ("_updated" if p.signatures_updated is not None else "")
        if flag:
            # The product's flag adds its severity; only the age thresholds raise it to CRIT.
            state = State.worst(state, State.parse(sev.signatures_out_of_date))
            key += "_flagged"
        updated = f"{p.signatures_updated:%Y-%m-%d %H:%M}" if p.signatures_updated is not None else ""
        return result("signatures", p.name, state, MSG.say(key, days=age, updated=updated), metrics=(Metric("signature_age_days", round(age, 3), "days"),))


MSG = Messages({
    "antivirus.source.error": "{reason}",
    "antivirus.product": "{name} ({mode})",
    **{f"antivirus.state.{state.value}": state.value for state in ProductState},
    "antivirus.present": "{n} product(s): {listing}",
    "antivirus.present.unreadable": "no antivirus product found, but {n} data source(s) could not be read",
    "antivirus.present.none": "no antivirus product found (looked in: {sources})",
    "antivirus.policy.too_many": "{n} active antivirus products ({names}); at most {most} allowed",
    "antivirus.policy": "{n} active antivirus product(s)",
    "antivirus.status": "{text}",
    "antivirus.status.on": "enabled ({mode})",
    "antivirus.status.unknown": "state not known ({mode})",
    "antivirus.status.secondary": "{mode}: not the primary antivirus; protection is judged from {names}",
    "antivirus.status.fallback": "{mode} with real-time protection on; no other antivirus is active",
    "antivirus.status.passive_stopped": "{mode}, and {names} is not running: nothing protects this computer",
    "antivirus.status.passive_alone": "{mode}: Defender stands down for another product, but none was found running "
                                      "(name it under checks.antivirus.third_party, or check that it runs)",
    "antivirus.status.off_stopped": "{mode}: not protecting, and {names} is not running either: "
                                    "nothing protects this computer",
    "antivirus.status.off": "{mode}: not protecting, and no other antivirus is active",
    "antivirus.realtime.on": "real-time protection on",
    "antivirus.realtime.off": "real-time protection off",
    "antivirus.realtime.off_allowed": "real-time protection off (not required by settings)",
    "antivirus.scan.never": "never scanned",
    "antivirus.scan": "last scan {days:.1f} days ago",
    "antivirus.signatures.missing": "{text}",
    "antivirus.signatures.no_age": "signature age not reported",
    "antivirus.signatures.flag_old": "signatures out of date (reported by the product; it gives no age)",
    "antivirus.signatures.flag_current": "signatures up to date (reported by the product)",
    "antivirus.signatures.age": "signatures {days:.1f} days old",
    "antivirus.signatures.age_flagged": "signatures {days:.1f} days old; the product reports them out of date",
    "antivirus.signatures.age_updated": "signatures {days:.1f} days old (updated {updated} UTC)",
    "antivirus.signatures.age_updated_flagged": "signatures {days:.1f} days old (updated {updated} UTC); "
                                                "the product reports them out of date",
}, COMMON)

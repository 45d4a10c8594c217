"""Sponsors and their tiers from the content files (``[[sponsor_tiers]]``, ``[[sponsors]]``).

Installed as a section of every content load (``content.services.install_section``):

- the content file's tiers and sponsors, matched on their ``key``; the sample file's
  sponsors are marked ``is_sample`` (labelled on the pages) and leave with the sample;
- a logo is a path relative to the file (PNG, WebP, or an SVG made safe); a file run
  twice changes nothing, not even a logo's stored images;
- a sponsor or tier organizers edited (``edited_at``) is never changed or removed by a
  load: it is kept and listed in the report (``kept_edited``) for the CLI to say so. A
  tier still in use is not removed either.
"""

from pathlib import Path

from conference.content import parsing
from conference.content.models import Sponsor, SponsorTier
from conference.content.parsing import ContentError
from conference.content.services import touch_content_version
from conference.extensions import db
from conference.i18n import moment_text
from conference.sponsors import logos

DEFAULT_TIER = "supporter"


def load_section(conference, data, report, *, is_sample):
    """Bring ``conference``'s tiers (content file only) and sponsors in line with ``data``."""
    changed = False
    tiers = list(conference_tiers(conference))
    usable = [tier.key for tier in tiers]
    if not is_sample:
        tier_items = parsing.tables_of(data, "sponsor_tiers")
        changed |= _sync_tiers(conference, tiers, tier_items, report)
        in_file = [item["key"] for item in tier_items]
        tiers = list(conference_tiers(conference))
        usable = [t.key for t in tiers if t.key in in_file or t.edited_at is not None]
    items = parsing.tables_of(data, "sponsors")
    values = [
        _sponsor_values(item, n, conference, usable, report.base_dir)
        for n, item in enumerate(items, 1)
    ]
    changed |= _sync_sponsors(conference, values, report, is_sample=is_sample)
    if not is_sample:
        changed |= _remove_unused_tiers(conference, tiers, set(in_file), report)
    if changed:
        touch_content_version(conference)


def conference_tiers(conference):
    return db.session.scalars(
        db.select(SponsorTier)
        .where(SponsorTier.conference_id == conference.id)
        .order_by(SponsorTier.position, SponsorTier.id)
    ).all()


def _kept(report, label, row):
    by = f" ({row.edited_by})" if row.edited_by else ""
    report.kept_edited.append(
        f"{label}: kept as organizers edited it on {moment_text(row.edited_at, 'en')}{by}"
    )


def _sync_tiers(conference, tiers, items, report):
    by_key = {tier.key: tier for tier in tiers}
    seen, changed = set(), False
    for position, item in enumerate(items):
        where = f"sponsor_tiers[{position + 1}]"
        key = parsing.key_field(item, where)
        if key in seen:
            raise ContentError(f"sponsor tier {key!r} appears twice")
        seen.add(key)
        values = {"label": parsing.bilingual(item, "label", where), "position": position}
        tier = by_key.get(key)
        if tier is None:
            db.session.add(SponsorTier(conference_id=conference.id, key=key, **values))
            report.created.append(f"sponsor tier {key}")
            changed = True
        elif tier.edited_at is not None:
            if tier.label != values["label"]:
                _kept(report, f"sponsor_tiers.{key}", tier)
        elif _assign(tier, values):
            report.updated.append(f"sponsor tier {key}")
            changed = True
    db.session.flush()
    return changed


def _remove_unused_tiers(conference, tiers, in_file, report):
    used = {s.tier for s in conference.sponsors}
    changed = False
    for tier in tiers:
        if tier.key in in_file or tier.edited_at is not None:
            continue
        if tier.key in used:
            report.kept_edited.append(
                f"sponsor_tiers.{tier.key}: kept, sponsors organizers edited are in it"
            )
            continue
        db.session.delete(tier)
        report.removed.append(f"sponsor tier {tier.key}")
        changed = True
    return changed


def _sponsor_values(item, n, conference, tier_keys, base_dir):
    where = f"sponsors[{n}]"
    tier = item.get("tier") or (DEFAULT_TIER if DEFAULT_TIER in tier_keys else None)
    if tier is None and tier_keys:
        tier = tier_keys[-1]
    if tier_keys and tier not in tier_keys:
        raise ContentError(f"{where}.tier: one of {', '.join(tier_keys)}")
    website = item.get("website")
    if website is not None and (
        not isinstance(website, str) or not website.startswith(("https://", "http://"))
    ):
        raise ContentError(f"{where}.website: must start with https://")
    tracks = item.get("tracks", [])
    track_keys = [track.key for track in conference.tracks]
    if not isinstance(tracks, list) or any(t not in track_keys for t in tracks):
        raise ContentError(f"{where}.tracks: a list of track keys ({', '.join(track_keys)})")
    values = {
        "key": parsing.key_field(item, where),
        "name": parsing.bilingual(item, "name", where),
        "tier": tier or DEFAULT_TIER,
        "website": website,
        "description": parsing.bilingual(item, "description", where, required=False),
        "tracks": [key for key in track_keys if key in tracks],
    }
    logo = item.get("logo")
    if logo is not None:
        values["logo"] = _logo(logo, f"{where}.logo", base_dir)
    return values


def _logo(path, where, base_dir):
    if not isinstance(path, str) or not path.strip():
        raise ContentError(f"{where}: a path to a PNG, WebP or SVG file")
    base = Path(base_dir).resolve()
    file = (base / path).resolve()
    if not file.is_relative_to(base):
        raise ContentError(f"{where}: a path inside the content file's folder")
    try:
        data = file.read_bytes()
    except OSError:
        raise ContentError(f"{where}: cannot read {path}") from None
    try:
        return logos.prepare(data)
    except logos.LogoRefused as exc:
        raise ContentError(f"{where}: {exc}") from None


def _sync_sponsors(conference, items, report, *, is_sample):
    by_key = {sponsor.key: sponsor for sponsor in conference.sponsors}
    seen, changed = set(), False
    for position, values in enumerate(items):
        key = values["key"]
        if key in seen:
            raise ContentError(f"sponsor {key!r} appears twice")
        seen.add(key)
        sponsor = by_key.get(key)
        if sponsor is not None and sponsor.is_sample != is_sample:
            raise ContentError(f"sponsor key {key!r} is used by both the content and the sample")
        if sponsor is not None and sponsor.edited_at is not None:
            _kept(report, f"sponsors.{key}", sponsor)
            continue
        logo = values.pop("logo", None)
        values.update(position=position, is_sample=is_sample)
        if sponsor is None:
            sponsor = Sponsor(conference=conference, **values)
            db.session.add(sponsor)
            if logo:
                logos.apply(sponsor, logo)
            report.created.append(f"sponsor {key}")
            changed = True
            continue
        updated = _assign(sponsor, values)
        updated |= logos.apply(sponsor, logo) if logo else logos.remove(sponsor)
        if updated:
            report.updated.append(f"sponsor {key}")
            changed = True
    for sponsor in list(conference.sponsors):
        if sponsor.is_sample != is_sample or sponsor.key in seen:
            continue
        if sponsor.edited_at is not None:
            continue  # organizers added or changed it: theirs
        logos.remove(sponsor)
        conference.sponsors.remove(sponsor)
        report.removed.append(f"sponsor {sponsor.key}")
        changed = True
    return changed


def _assign(row, values):
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed

"""A new address and a repeat of a registered one must answer in the same time.

If a repeat answered faster (or slower) than a new registration, the time would tell
anyone who types an address whether that person is registered.
"""

import servers

TARGET = 0.10  # a repeat's median within 10% of a new registration's
# ABBA BAAB: drift in a straight line or a curve (the line growing, the database's own
# housekeeping) weighs on both alike. One block each measured 15-18% where interleaved
# requests differed by 1%, and one ABBA round of full-length blocks still swung from 2%
# to 9% between two rounds of the same code.
ORDER = ("new", "repeat", "repeat", "new", "repeat", "new", "new", "repeat")


def measure(bench, base, instance, script):
    """Post new registrations and repeats in blocks (``ORDER``, each half the bench's
    duration) on one connection, so that the medians are of the work alone; return
    ``(database, new p50 ms, repeat p50 ms, relative difference)``.

    The repeats reuse one address (registered by the warm-up), each with a new
    submission id; each median is the mean of its four blocks' medians.
    """
    medians = {"new": 0.0, "repeat": 0.0}
    for block, mode in enumerate(ORDER):
        token, session_cookie = servers.registration_session(base)
        run = f"{instance.name}{mode}{block}"
        result = bench.load(
            base + "/register",
            1,
            duration=max(1, bench.duration // 2),
            script=script,
            args=[run, token, session_cookie, *(["repeat"] if mode == "repeat" else [])],
        )
        medians[mode] += result.p50_ms / ORDER.count(mode)
    difference = abs(medians["repeat"] - medians["new"]) / medians["new"]
    return instance.name, medians["new"], medians["repeat"], difference


def markdown(rows):
    """The report's section: one row per database."""
    lines = [
        "",
        "## Registration: a new address and a repeat do the same work (1 connection)",
        "",
        "Each median is the mean of four blocks' medians, blocks in the order new,",
        "repeat, repeat, new, repeat, new, new, repeat.",
        "",
        "| database | new p50 ms | repeat p50 ms | difference | target | met |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for database, new, repeat, difference in rows:
        lines.append(
            f"| {database} | {new:.1f} | {repeat:.1f} | {difference:.0%} | "
            f"< {TARGET:.0%} | {'yes' if difference < TARGET else '**no**'} |"
        )
    return lines

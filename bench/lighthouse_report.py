"""What a Lighthouse report and a page say (``lighthouse.py``): scores, bytes, the page's
own checks (images sized and lazy, render-blocking requests), and the Markdown table."""

import gzip
import html.parser
import statistics
import urllib.parse

import servers

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp", "image/avif", "image/gif")


class PageParts(html.parser.HTMLParser):
    """A page's <img> elements (and whether each sits in the site header), and the
    requests in its <head> that block rendering: stylesheets for the screen and
    scripts without ``async``, ``defer`` or ``type="module"``."""

    def __init__(self):
        super().__init__()
        self.images = []
        self.blocking = []
        self.header_depth = 0
        self.in_head = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "head":
            self.in_head = True
        elif tag == "header":
            self.header_depth += 1
        elif tag == "img":
            self.images.append((attrs, self.header_depth > 0))
        elif self.in_head and tag == "link":
            rel = (attrs.get("rel") or "").lower().split()
            media = (attrs.get("media") or "all").lower()
            if "stylesheet" in rel and media in {"all", "screen"}:
                self.blocking.append(attrs.get("href", ""))
        elif self.in_head and tag == "script" and attrs.get("src"):
            if not ({"async", "defer"} & attrs.keys() or attrs.get("type") == "module"):
                self.blocking.append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False
        elif tag == "header":
            self.header_depth -= 1


def page_checks(page_html, origin):
    """Check a page's HTML: images sized and lazy below the header, render-blocking requests.

    Returns the number of images, the render-blocking URLs and the problems found.
    """
    parser = PageParts()
    parser.feed(page_html)
    problems = []
    for attrs, in_header in parser.images:
        name = attrs.get("src", "?")
        if not (attrs.get("width") and attrs.get("height")):
            problems.append(f"{name}: no width and height")
        if not in_header and attrs.get("loading") != "lazy":
            problems.append(f'{name}: below the header without loading="lazy"')
        if "srcset" in attrs and not attrs.get("sizes"):
            problems.append(f"{name}: srcset without sizes")
    blocking = [urllib.parse.urljoin(origin + "/", url) for url in parser.blocking]
    for url in blocking:
        if not url.startswith(origin + "/"):
            problems.append(f"render-blocking request to another host: {url}")
    return len(parser.images), blocking, problems


def compressed_estimate(base, report, cookies):
    """Bytes the page would transfer behind a proxy that gzips text (level 6, headers kept)."""
    total = 0
    for item in report["audits"]["network-requests"]["details"]["items"]:
        size = item.get("transferSize") or 0
        mime = (item.get("mimeType") or "").split(";")[0]
        if size and (mime.startswith("text/") or mime in {"image/svg+xml", "application/json"}):
            parts = urllib.parse.urlsplit(item["url"])
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            status, body, _jar = servers.request(base, path, cookies=cookies)
            if status == 200:
                headers_size = max(size - (item.get("resourceSize") or 0), 0)
                size = headers_size + len(gzip.compress(body.encode("utf-8"), 6))
        total += size
    return total


def summarize(label, report, origin):
    """The numbers one report row shows, and the budget facts for its page."""
    audits = report["audits"]
    scores = {
        key: round(report["categories"][key]["score"] * 100)
        if report["categories"][key]["score"] is not None
        else None
        for key in CATEGORIES
    }
    requests = audits["network-requests"]["details"]["items"]
    transferred = sum(item.get("transferSize") or 0 for item in requests)
    photos = sum(
        item.get("transferSize") or 0
        for item in requests
        if (item.get("mimeType") or "").split(";")[0] in PHOTO_TYPES
        and item.get("resourceType") == "Image"
        and "/static/img/" not in item["url"]  # the site's own icons are not photos
    )
    foreign = sorted(
        {
            item["url"]
            for item in requests
            if item["url"].startswith(("http:", "https:")) and not item["url"].startswith(origin)
        }
    )
    failing = []
    errors = {}
    for key in CATEGORIES:
        for ref in report["categories"][key]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref.get("weight", 0) and audit.get("score") is not None and audit["score"] < 0.9:
                failing.append(f"{key}/{ref['id']} ({audit['score']}): {audit['title']}")
            if audit.get("scoreDisplayMode") == "error":
                errors[ref["id"]] = (ref.get("weight", 0), audit.get("errorMessage", ""))
    return {
        "label": label,
        "scores": scores,
        "transferred": transferred,
        "without_photos": transferred - photos,
        "requests": len(requests),
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "foreign": foreign,
        "failing": failing,
        "errors": errors,
        "blocked": audits["is-crawlable"].get("score") == 0,  # noindex or robots.txt
    }


def median_row(rows):
    """Combine several runs of one page: median of each number (scores, bytes, timings)."""
    if len(rows) == 1:
        return rows[0]
    row = dict(rows[0])
    row["scores"] = {
        key: (
            round(statistics.median(r["scores"][key] for r in rows))
            if all(r["scores"][key] is not None for r in rows)
            else None
        )
        for key in CATEGORIES
    }
    for key in ("transferred", "without_photos", "lcp_ms"):
        row[key] = statistics.median(r[key] for r in rows)
    row["failing"] = sorted({f for r in rows for f in r["failing"]})
    row["errors"] = {k: v for r in rows for k, v in r["errors"].items()}
    row["blocked"] = any(r["blocked"] for r in rows)
    return row


def markdown(rows, notes, meta):
    lines = [
        "| Page | Performance | Accessibility | Best practices | SEO | Transferred | LCP |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row.get("failed"):  # crashed twice: said, not scored
            lines.append(f"| {row['label']} | failed twice: {row['failed']} | | | | | |")
            continue
        s = row["scores"]
        # Private pages are kept out of search engines on purpose: not scored, said so.
        seo = "not indexed ¹" if row["private"] else f"{s['seo']}"
        lines.append(
            f"| {row['label']} | {s['performance']} | {s['accessibility']} | "
            f"{s['best-practices']} | {seo} | {row['transferred'] / 1024:.1f} KB | "
            f"{row['lcp_ms'] / 1000:.1f} s |"
        )
    lines.append("")
    retried = [row["label"] for row in rows if row.get("retried")]
    if retried:
        lines.append(
            f"Lighthouse crashed once and was run again for: {', '.join(retried)} "
            "(a run that crashes twice is shown as failed)."
        )
        lines.append("")
    if any(row["private"] for row in rows):
        lines.append(
            "¹ Kept out of search engines on purpose: these pages hold personal data and open "
            "only with a private link or a staff sign-in, so `robots.txt` disallows "
            "`/registration/` and `/manage/`, and the private pages also send "
            "`X-Robots-Tag: noindex`. The SEO target (≥ 95) is for public pages only; "
            "for these the bench checks instead that they are blocked from indexing and "
            "that every other SEO audit passes."
        )
        lines.append("")
    lines.extend(notes)
    lines.append("")
    lines.append(meta)
    return "\n".join(lines) + "\n"

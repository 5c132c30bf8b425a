"""The Mozilla HTTP Observatory's published scoring, applied to real responses.

Each test starts at 100 and adds the modifier of the result it finds
(https://developer.mozilla.org/en-US/observatory/docs/tests_and_scoring).
Bonuses only count once the score is at least 90. A+ is 100 or more.
"""

UNSAFE = ("'unsafe-inline'", "'unsafe-eval'")
PRIVATE_REFERRERS = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def parse_csp(header):
    policy = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            policy[tokens[0].lower()] = [t.lower() for t in tokens[1:]]
    return policy


def csp_modifier(response):
    header = response.headers.get("Content-Security-Policy")
    if not header:
        return "csp-not-implemented", -25
    policy = parse_csp(header)
    default = policy.get("default-src", [])
    scripts = policy.get("script-src", default)
    styles = policy.get("style-src", default)
    if any(value in UNSAFE for value in scripts) or "data:" in scripts:
        return "csp-implemented-with-unsafe-inline", -20
    if any(value in ("http:", "https:", "*") for value in scripts + policy.get("object-src", default)):
        return "csp-implemented-with-insecure-scheme", -20
    if "'unsafe-inline'" in styles:
        return "csp-implemented-with-unsafe-inline-in-style-src-only", 0
    if default == ["'none'"]:
        return "csp-implemented-with-no-unsafe-default-src-none", 10
    return "csp-implemented-with-no-unsafe", 0


def cookies_modifier(response):
    cookies = response.cookies
    if not cookies:
        return "cookies-not-found", 0
    for name, morsel in cookies.items():
        if not morsel["secure"]:
            return "cookies-without-secure-flag", -20
        if morsel["samesite"].lower() not in {"lax", "strict"}:
            return "cookies-samesite-flag-invalid", -20
        if "session" in name.lower() and not morsel["httponly"]:
            return "cookies-session-without-httponly-flag", -30
    return "cookies-secure-with-httponly-sessions-and-samesite", 5


def hsts_modifier(response):
    header = response.headers.get("Strict-Transport-Security", "")
    if not header:
        return "hsts-not-implemented", -20
    max_age = 0
    for part in header.lower().split(";"):
        name, _, value = part.strip().partition("=")
        if name == "max-age":
            max_age = int(value or 0)
    if max_age < 15768000:
        return "hsts-implemented-max-age-less-than-six-months", -10
    # The preload bonus needs the domain on the browsers' list, which no test can show.
    return "hsts-implemented-max-age-at-least-six-months", 0


def referrer_modifier(response):
    value = response.headers.get("Referrer-Policy", "")
    if not value:
        return "referrer-policy-not-implemented", 0
    last = value.split(",")[-1].strip().lower()
    if last in PRIVATE_REFERRERS:
        return "referrer-policy-private", 5
    if last == "unsafe-url" or last == "no-referrer-when-downgrade":
        return "referrer-policy-unsafe", -5
    return "referrer-policy-headers-invalid", -5


def nosniff_modifier(response):
    if response.headers.get("X-Content-Type-Options", "").lower() == "nosniff":
        return "x-content-type-options-nosniff", 0
    return "x-content-type-options-not-implemented", -5


def frame_modifier(response):
    policy = parse_csp(response.headers.get("Content-Security-Policy", ""))
    if policy.get("frame-ancestors") == ["'none'"] or policy.get("frame-ancestors") == ["'self'"]:
        return "x-frame-options-implemented-via-csp", 5
    if response.headers.get("X-Frame-Options", "").upper() in {"DENY", "SAMEORIGIN"}:
        return "x-frame-options-sameorigin-or-deny", 0
    return "x-frame-options-not-implemented", -20


def cors_modifier(response):
    if response.headers.get("Access-Control-Allow-Origin") == "*":
        return "cross-origin-resource-sharing-implemented-with-universal-access", -50
    return "cross-origin-resource-sharing-not-implemented", 0


def sri_modifier(html):
    # Every script is our own, from the same origin: nothing to verify.
    if '<script src="http' in html or '<script src="//' in html:
        return "sri-not-implemented-and-external-scripts-loaded-securely", -5
    return "sri-not-implemented-but-all-scripts-loaded-securely", 0


def score(response):
    """Return (score, {test: (result, modifier)}) for one response."""
    html = response.content.decode("utf-8", "replace") if hasattr(response, "content") else ""
    results = {
        "content-security-policy": csp_modifier(response),
        "cookies": cookies_modifier(response),
        "cross-origin-resource-sharing": cors_modifier(response),
        "referrer-policy": referrer_modifier(response),
        "strict-transport-security": hsts_modifier(response),
        "subresource-integrity": sri_modifier(html),
        "x-content-type-options": nosniff_modifier(response),
        "x-frame-options": frame_modifier(response),
    }
    penalties = sum(mod for _, mod in results.values() if mod < 0)
    bonuses = sum(mod for _, mod in results.values() if mod > 0)
    total = 100 + penalties
    if total >= 90:
        total += bonuses
    return total, results


def grade(total):
    for threshold, letter in [(100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-")]:
        if total >= threshold:
            return letter
    return "C or lower"

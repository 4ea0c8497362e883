"""The LAN sign-in page: what a browser gets instead of a bare 401 when it opens the studio
without the access token. A plain form (no script, no external resource) that sends the token
once as `?token=`, which the access middleware turns into a session cookie and a redirect to
the same page without the token."""

from __future__ import annotations

from html import escape

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>Sign in · ima2 studio</title>
<style>
:root {{ --bg: #f6f6f4; --panel: #fff; --text: #1b1c1e; --muted: #5b5e66; --border: #d5d6d2; --accent: #3b4cca; --danger: #b3261e; }}
@media (prefers-color-scheme: dark) {{
  :root {{ --bg: #121316; --panel: #1b1d21; --text: #eceef1; --muted: #a4a9b3; --border: #383c43; --accent: #8c9bff; --danger: #ff8a80; }}
}}
body {{ margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--text);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
main {{ width: min(420px, calc(100vw - 32px)); background: var(--panel); border: 1px solid var(--border);
  border-radius: 12px; padding: 24px; }}
h1 {{ font-size: 1.3rem; margin: 0 0 8px; }}
p {{ color: var(--muted); margin: 0 0 16px; }}
label {{ display: block; font-weight: 600; margin-bottom: 6px; }}
input {{ width: 100%; box-sizing: border-box; font: inherit; padding: 8px 10px; border: 1px solid var(--border);
  border-radius: 8px; background: var(--panel); color: var(--text); }}
button {{ margin-top: 14px; width: 100%; font: inherit; font-weight: 600; padding: 9px; border: 0; border-radius: 8px;
  background: var(--accent); color: #fff; cursor: pointer; }}
.error {{ color: var(--danger); }}
code {{ font-size: 0.9em; }}
</style>
</head>
<body>
<main>
<h1>Sign in to ima2 studio</h1>
<p>This server is shared on the network, so it asks for its access token. It is printed by
<code>ima2 up</code> and stored in <code>access-token</code> in the server's data folder.</p>
{error}
<form method="get" action="{action}">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required minlength="16" autofocus>
<button type="submit">Sign in</button>
</form>
</main>
</body>
</html>
"""

WRONG_TOKEN = '<p class="error" role="alert">That token was not accepted. Check it and try again.</p>'


def wants_page(method: str, path: str, accept: str) -> bool:
    """A browser opening a page (not an API call, a media file or a script)."""
    return (
        method in ("GET", "HEAD") and not path.startswith(("/api/", "/generated/")) and "text/html" in accept
    )


def render(path: str, token_was_sent: bool) -> bytes:
    return PAGE.format(
        action=escape(path or "/", quote=True), error=WRONG_TOKEN if token_was_sent else ""
    ).encode()

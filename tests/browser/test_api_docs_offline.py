"""/api/docs renders the whole API in a browser that may only talk to the gateway."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.ui_flow import watch_page_errors
from tests.stackctl import RunningStack

pytestmark = pytest.mark.browser


def test_docs_render_with_every_other_host_blocked(browser_page: Any, stack: RunningStack) -> None:
    own = urlsplit(stack.url).netloc
    elsewhere: list[str] = []

    def only_the_gateway(route: Any) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    browser_page.route("**/*", only_the_gateway)
    errors = watch_page_errors(browser_page)
    browser_page.goto(f"{stack.url}/api/docs")
    browser_page.wait_for_selector("#operations-images-generate")
    assert browser_page.locator(".opblock").count() >= 60
    assert browser_page.locator(".swagger-ui .info .title").inner_text().startswith("ima2")
    assert elsewhere == [] and errors == []

"""The web map in a real browser (Chromium through Playwright), one module per feature.

Fixtures (the server, the browser, the watched page ``w``) are in ``conftest.py``; the shared
page and geometry helpers in ``helpers.py``."""

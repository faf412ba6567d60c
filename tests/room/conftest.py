"""The room harness's fixtures (room_harness.py): a live mock, the example page's backend, one browser."""

from room_harness import browser, live, open_page, page_backend  # noqa: F401  (fixtures)

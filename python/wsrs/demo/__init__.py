"""The demo server of `wsrs serve`: its routes (`app`) and its page as real files (`static/`)."""

from wsrs.demo.app import demo_app

__all__ = ["demo_app"]

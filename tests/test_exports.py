"""The public surface: `__all__`, the stub and the runtime stay in step."""

from __future__ import annotations

import pytest

import wsrs
import wsrs.exceptions


def test_every_name_in_all_exists() -> None:
    missing = [name for name in wsrs.__all__ if not hasattr(wsrs, name)]
    assert missing == []


def test_all_re_exports_every_exception() -> None:
    assert set(wsrs.exceptions.__all__) <= set(wsrs.__all__)


def test_protocol_error_is_abstract() -> None:
    with pytest.raises(TypeError):
        wsrs.ProtocolError("x")
    assert isinstance(wsrs.LocalProtocolError("x"), wsrs.ProtocolError)


def test_remote_protocol_error_carries_its_answers() -> None:
    too_big = wsrs.PayloadTooBig("frame too big")
    assert (too_big.close_code, too_big.status_hint) == (1009, 413)
    bad_utf8 = wsrs.RemoteProtocolError("bad utf-8", 1007)
    assert (bad_utf8.close_code, bad_utf8.status_hint) == (1007, 400)

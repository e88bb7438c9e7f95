"""service.errors: an unexpected exception answers 500 with a generic body, no trace."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI

from service.errors import install_handlers


def test_unexpected_exception_is_a_generic_500(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()
    install_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/boom")

    with caplog.at_level(logging.ERROR, logger="magnets.service"):
        answer = asyncio.run(call())
    assert answer.status_code == 500
    assert answer.json() == {"detail": "internal server error"}
    assert "secret" not in answer.text and "Traceback" not in answer.text
    assert "RuntimeError on GET /boom" in caplog.text

"""The id of the request being answered: what a problem's ``instance`` names.

One function, so the problem answers follow whatever gives requests their ids (the request
id middleware, when it is installed, keeps its id on ``request.state.request_id``)."""

from __future__ import annotations

import secrets

from starlette.requests import Request


def request_id(request: Request) -> str:
    """The request's id: the one already given to it, else a new one, kept for the request."""
    found = getattr(request.state, "request_id", None)
    if isinstance(found, str) and found:
        return found
    made = f"req_{secrets.token_hex(12)}"
    request.state.request_id = made
    return made

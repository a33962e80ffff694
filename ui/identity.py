"""Who is asking: signed-in shoppers (a token the store's site signs) and anonymous sessions.

A store that knows its shopper signs a short JSON Web Token (HS256) with the shared secret
`AISLE_SECRET_KEY`: `{"sub": "<customer id>", "exp": <unix time>}`. Any JWT library does
it; in Python:

    jwt.encode({"sub": "42", "exp": int(time.time()) + 3600}, secret, algorithm="HS256")

Anonymous shoppers send a random session id (the widget and the chat page make one) in
the `X-Aisle-Session` header; a session sees only its own conversations.
"""

from __future__ import annotations

import re
import time

import jwt
from fastapi import HTTPException, Request

from agent import Shopper

_SESSION = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
# Tokens live at most this long even if the store sets a later expiry: a leaked token
# should not open a shopper's orders for weeks.
MAX_TOKEN_LIFETIME = 7 * 24 * 3600


class ShopperTokens:
    """Issues and checks the signed tokens that identify a store's signed-in shoppers."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def issue(self, customer_id: str, lifetime: int = 3600) -> str:
        """A token for `customer_id`, valid `lifetime` seconds (for the CLI and tests; stores sign their own)."""
        now = int(time.time())
        return jwt.encode({"sub": customer_id, "iat": now, "exp": now + lifetime}, self._secret, algorithm="HS256")

    def verify(self, token: str) -> str:
        """The customer id in a valid token.

        Raises:
            HTTPException(401): the token is forged, expired, or has no customer id or expiry.
        """
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["sub", "exp"]}, leeway=30
            )
        except jwt.ExpiredSignatureError as exc:
            raise HTTPException(401, "the shopper token has expired; the store's site must sign a new one") from exc
        except jwt.InvalidTokenError as exc:
            raise HTTPException(
                401,
                "the shopper token is not valid; it must be an HS256 JWT signed with the "
                "store's AISLE_SECRET_KEY, with 'sub' and 'exp'",
            ) from exc
        issued = claims.get("iat", claims["exp"] - MAX_TOKEN_LIFETIME)
        if claims["exp"] - issued > MAX_TOKEN_LIFETIME:
            raise HTTPException(
                401,
                f"the shopper token lives longer than {MAX_TOKEN_LIFETIME // 3600} hours; sign shorter-lived tokens",
            )
        return str(claims["sub"])


def shopper_of(request: Request, tokens: ShopperTokens, token: str | None = None) -> Shopper:
    """The shopper making `request`: from `Authorization: Bearer <token>` (or `token`), else
    from the `X-Aisle-Session` header.

    Raises:
        HTTPException(401): neither identifies a shopper, or the token is bad.
    """
    header = request.headers.get("authorization", "")
    bearer = header[7:].strip() if header.lower().startswith("bearer ") else None
    session_id = request.headers.get("x-aisle-session")
    if session_id is not None and not _SESSION.match(session_id):
        raise HTTPException(401, "X-Aisle-Session must be 16-128 letters, digits, '-' or '_'; generate a random one")
    customer_id = tokens.verify(bearer or token) if (bearer or token) else None
    if customer_id is None and session_id is None:
        raise HTTPException(
            401, "say who is asking: 'Authorization: Bearer <shopper token>' or 'X-Aisle-Session: <random id>'"
        )
    return Shopper(customer_id=customer_id, session_id=session_id)

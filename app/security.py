"""Security headers on every response, and the signed session cookie."""

import hashlib

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def register(app):
    app.session_interface = SessionInterface()
    always = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]
    html = [("Content-Security-Policy", CSP), ("X-Frame-Options", "DENY")]

    @app.after_request
    def _headers(response):
        # One pass over the headers instead of one lookup per header (setdefault).
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        wanted = always + html if response.mimetype == "text/html" else list(always)
        if app.config["TANDEM_ENV"] == "production":
            wanted.append(("Strict-Transport-Security", HSTS))
        for name, value in wanted:
            if name.lower() not in present:
                headers.add(name, value)
        return response


class _KeyCachingSigner(TimestampSigner):
    """The derived key is an HMAC of the secret and the salt, the same for every cookie."""

    _derived = {}

    def derive_key(self, secret_key=None):
        key = (self.secret_keys[-1] if secret_key is None else secret_key, self.salt, self.key_derivation,
               self.digest_method)
        derived = self._derived.get(key)
        if derived is None:
            derived = self._derived[key] = super().derive_key(secret_key)
        return derived


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session (same cookies, same keys), with its serializer built once per
    secret instead of once per request, the derived key kept, and hashlib's SHA-1 given to HMAC
    directly (Flask's lazy wrapper sends each HMAC down Python's slow path)."""

    digest_method = staticmethod(hashlib.sha1)

    def __init__(self):
        self._serializer = (None, None)

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # current key last
        cached_keys, serializer = self._serializer
        if cached_keys != keys:
            serializer = URLSafeTimedSerializer(
                list(keys), salt=self.salt, serializer=self.serializer, signer=_KeyCachingSigner,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method})
            self._serializer = (keys, serializer)
        return serializer

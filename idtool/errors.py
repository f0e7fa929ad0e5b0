"""The idtool exception tree.

Every error a user can cause is an :class:`IdtoolError` subclass carrying a stable
``code`` (snake_case, used in JSON) and the HTTP status a web front end should answer
with. Front ends map these once: the CLI prints ``error [code]: message`` and exits 1,
the Flask app answers ``{"error": {"code", "message"}}`` with ``http_status``.
"""

from __future__ import annotations


class IdtoolError(Exception):
    """Base class of every error idtool raises on purpose."""

    code = "idtool_error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class BadField(IdtoolError):
    """A request or command argument has a bad value (unknown code, bad country...)."""

    code = "bad_field"
    http_status = 400


class Unauthorized(IdtoolError):
    code = "unauthorized"
    http_status = 401


class Forbidden(IdtoolError):
    """The caller is known but may not do this (e.g. attach another officer's original)."""

    code = "forbidden"
    http_status = 403


class NotFound(IdtoolError):
    code = "not_found"
    http_status = 404


class Conflict(IdtoolError):
    code = "conflict"
    http_status = 409


class ImageTooLarge(IdtoolError):
    """The file is too many bytes or decodes to too many pixels (a pixel bomb)."""

    code = "image_too_large"
    http_status = 413


class FieldTooLarge(IdtoolError):
    """A text field of a form (case reference, notes, a trade field...) is too long,
    or the form has too many parts. Not the photo: that is :class:`ImageTooLarge`."""

    code = "field_too_large"
    http_status = 413


class UnsupportedMediaType(IdtoolError):
    """The bytes are not an image format idtool can read."""

    code = "unsupported_media_type"
    http_status = 415


class InvalidImage(IdtoolError):
    """The bytes look like an image but cannot be decoded (truncated, corrupt, empty)."""

    code = "invalid_image"
    http_status = 422


class RateLimited(IdtoolError):
    code = "rate_limited"
    http_status = 429


class ModelBundleError(IdtoolError):
    """A model bundle is missing, inconsistent, or its weights do not match."""

    code = "model_bundle_error"
    http_status = 500


class CatalogError(IdtoolError):
    """The reference catalog is missing data needed for the operation."""

    code = "catalog_error"
    http_status = 500


class EmptyReference(CatalogError):
    """No reference embeddings exist for the current model: nothing to compare with."""

    code = "empty_reference"
    http_status = 503


class ListingDataError(IdtoolError):
    """A CITES / EU listing file cannot be read or has an unknown layout."""

    code = "listing_data_error"
    http_status = 400


class IntegrityError(IdtoolError):
    """Stored evidence or the custody chain does not verify."""

    code = "integrity_error"
    http_status = 500


class ClusterError(IdtoolError):
    """The Ray cluster cannot be joined or has no worker left (``--engine ray``)."""

    code = "ray_cluster_error"
    http_status = 503


class ClusterUnreachable(ClusterError):
    """Nothing answers at the Ray address within the connection deadline."""

    code = "ray_unreachable"


class ClusterAuthRequired(ClusterError):
    """The Ray cluster uses token authentication and this process has no valid token."""

    code = "ray_auth_required"


class ClusterVersionMismatch(ClusterError):
    """The cluster runs another Ray or Python version than this process."""

    code = "ray_version_mismatch"


class ClusterLost(ClusterError):
    """Every Ray worker was lost and the cluster has no free CPU to replace them."""

    code = "ray_cluster_lost"


class CustodyAnchorError(IntegrityError):
    """``custody_head.json`` is missing, unreadable or disagrees with the custody log.

    The evidence store refuses every write until an operator has checked the store and
    re-anchored it (``idtool evidence reanchor --reason ...``).
    """

    code = "custody_anchor_error"
    http_status = 503


class UpdateRefused(IdtoolError):
    """An update package was refused (bad signature, hash, format or version); nothing
    was changed."""

    code = "update_refused"
    http_status = 400

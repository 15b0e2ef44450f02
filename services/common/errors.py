"""Domain errors: what went wrong in the domain's words. Servicers map them to gRPC status codes."""


class DomainError(Exception):
    """Base of every error a caller can act on; the message is shown to the caller as is."""


class ValidationError(DomainError):
    """The input is malformed or breaks a rule."""


class NotFoundError(DomainError):
    """The thing asked for does not exist in this workspace."""


class ConflictError(DomainError):
    """The thing to create exists already."""


class UnauthenticatedError(DomainError):
    """The call does not say which workspace it acts for."""


class InUseError(DomainError):
    """The thing cannot be changed or removed because another thing depends on it (say which)."""


class ContendedError(DomainError):
    """Others kept changing the same thing meanwhile; the same call again is expected to succeed."""

"""The base of every spec model, and the field types shared between them."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

#: RFC 1123 label: namespaces, Service names and most object names.
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: RFC 1123 subdomain: ConfigMap, Secret and ServiceAccount names.
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
#: A key of a ConfigMap or Secret's data.
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
#: An environment variable name by Kubernetes' classic rule (letters, digits, '_', '-', '.',
#: not starting with a digit); 1.34 also accepts any printable ASCII but '=', we do not.
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
#: The OEP's URL pattern (``^https?://.*``).
HTTP_URL = re.compile(r"^https?://.*")


class RuleError(ValueError):
    """One or more rules broken at paths below the field or model that raises it.

    Validators raise it so that the error names the exact field (``secrets[1].key``)
    rather than the model that checked it.
    """

    def __init__(
        self, path: tuple[str | int, ...], message: str, *more: tuple[tuple[str | int, ...], str]
    ) -> None:
        self.path = path
        self.problems: tuple[tuple[tuple[str | int, ...], str], ...] = ((path, message), *more)
        super().__init__(message)


class SpecModel(BaseModel):
    """Base of the OEP models: unknown fields forbidden, camelCase wire names.

    Fields are snake_case in Python and camelCase on the wire (exactly the OEP's
    spelling); input is accepted in either.
    """

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        str_strip_whitespace=False,
    )

    def wire(self) -> dict[str, Any]:
        """The model as the OEP spells it: camelCase, defaults filled, unset optionals omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def _unique(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    duplicates = [v for v in values if v in seen or seen.add(v)]  # type: ignore[func-returns-value]
    if duplicates:
        raise ValueError(f"entries must be unique (a set); duplicated: {sorted(set(duplicates))!r}")
    return values


def _absolute(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{value!r} is not an absolute path")
    return value


K8sName = Annotated[
    str,
    Field(min_length=1, max_length=253),
    _pattern(DNS1123_SUBDOMAIN, "a valid Kubernetes name (lowercase RFC 1123 subdomain)"),
]
K8sLabel = Annotated[
    str,
    Field(min_length=1, max_length=63),
    _pattern(DNS1123_LABEL, "a valid Kubernetes name (lowercase RFC 1123 label)"),
]
ConfigKey = Annotated[
    str,
    Field(min_length=1, max_length=253),
    _pattern(CONFIG_KEY, "a valid ConfigMap/Secret key (letters, digits, '-', '_', '.')"),
]
EnvName = Annotated[
    str,
    Field(min_length=1),
    _pattern(ENV_NAME, "a valid environment variable name"),
]
def _http_url(value: str) -> str:
    if not HTTP_URL.match(value):
        raise ValueError(f"{value!r} is not a URL matching ^https?://")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid URL: {exc}") from None
    if not parts.hostname:
        raise ValueError(f"{value!r} has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("a URL must not carry credentials (user:password@); they would land "
                         "in a ConfigMap and in Pulumi state - use OIDC or a Secret instead")
    if parts.hostname in _METADATA_HOSTS:
        raise ValueError(f"{value!r} points at the cloud metadata address, which is never "
                         "reachable from MCP pods")
    return value


#: The cloud metadata endpoint (IPv4 and AWS's IPv6 form): credential theft if reachable.
_METADATA_HOSTS = frozenset({"169.254.169.254", "fd00:ec2::254"})

HttpUrl = Annotated[str, AfterValidator(_http_url)]


def _empty_is_unset(value: Any) -> Any:
    return None if value == "" else value


#: An optional URL; ``""`` means unset, as in the OEP's Go types (``omitempty``) and its
#: examples (``jwksURL: ""  # auto-discovered if empty``).
OptionalHttpUrl = Annotated[HttpUrl | None, BeforeValidator(_empty_is_unset)]
Port = Annotated[int, Field(ge=1, le=65535, strict=True)]
AbsolutePath = Annotated[str, AfterValidator(_absolute)]
StringSet = Annotated[list[str], AfterValidator(_unique)]
PathSet = Annotated[list[AbsolutePath], AfterValidator(_unique)]
PortSet = Annotated[list[Port], AfterValidator(_unique)]

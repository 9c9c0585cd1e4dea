"""Declaring, converting and validating parameter dataclasses.

:func:`param` declares a field with its provenance (a FACTS.md id and seed file, or an
assumption range) and the limits the model accepts; :func:`from_dict` builds a dataclass from a
mapping, rejecting unknown keys, wrong types and out-of-range values with one-line messages
naming the key; a dataclass may add cross-field rules in a ``check(prefix)`` method.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from sim.errors import ConfigError


def param(
    default: Any,
    *,
    doc: str,
    source: str | None = None,
    assumption: tuple[float, float] | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    choices: tuple[str, ...] | None = None,
    unit: str = "",
) -> Any:
    """Declare a parameter with its provenance and limits.

    Args:
        default: Default value.
        doc: What the parameter means, in a few words.
        source: Where the value comes from (FACTS.md id, seed file and section).
        assumption: Plausible (low, high) range when the value has no source.
        low: Smallest value accepted.
        high: Largest value accepted.
        low_open: Whether ``low`` itself is excluded.
        choices: Accepted values of a string parameter.
        unit: Unit of the value.
    """
    if source is None and assumption is None:
        raise ValueError(f"parameter {doc!r} needs a source or an assumption range")
    meta = {
        "doc": doc,
        "source": source,
        "assumption": assumption,
        "low": low,
        "high": high,
        "low_open": low_open,
        "choices": choices,
        "unit": unit,
    }
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def section(cls: type) -> Any:
    """A nested parameter group with its defaults."""
    return field(default_factory=cls)


# --- conversion and validation -------------------------------------------------------------


def _type_name(tp: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Check ``value`` against the annotation ``tp``; return it in canonical form."""
    if tp is Any:  # a parameter that checks its own shape (its dataclass's ``check``)
        return copy.deepcopy(value)
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            if len(args) < len(typing.get_args(tp)):
                return None
            raise ConfigError(key, value, " or ".join(_type_name(a) for a in args), "a value is required")
        errors = []
        for arg in args:
            try:
                return _coerce(value, arg, key)
            except ConfigError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        raise ConfigError(key, value, " or ".join(_type_name(a) for a in args), "wrong type")
    if dataclasses.is_dataclass(tp):
        if dataclasses.is_dataclass(value):
            value = dataclasses.asdict(value)
        if not isinstance(value, dict):
            raise ConfigError(key, value, "a group of parameters", "expected a mapping")
        return from_dict(tp, value, prefix=key)
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, value, "a list", "expected a list")
        (item,) = typing.get_args(tp)
        return [_coerce(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, value, "a mapping", "expected a mapping")
        _, item = typing.get_args(tp)
        return {str(k): _coerce(v, item, f"{key}.{k}") for k, v in value.items()}
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(key, value, "true or false", "expected true or false")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(key, value, _type_name(int), "expected an integer")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != value or value in (float("inf"), float("-inf")):
                raise ConfigError(key, value, "a finite number", "not a finite number")
            return float(value)
        raise ConfigError(key, value, _type_name(float), "expected a number")
    if tp is str:
        if isinstance(value, str):
            return value
        raise ConfigError(key, value, _type_name(str), "expected a string")
    raise TypeError(f"unsupported parameter type {tp!r} for {key}")


def _check_limits(value: Any, meta: Mapping[str, Any], key: str) -> None:
    if value is None:
        return
    values = value.values() if isinstance(value, dict) else [value]
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            low, high = meta.get("low"), meta.get("high")
            if low is not None and (v < low or (meta.get("low_open") and v == low)):
                raise ConfigError(key, value, _limits_text(meta), "out of range")
            if high is not None and v > high:
                raise ConfigError(key, value, _limits_text(meta), "out of range")
        if meta.get("choices") and v not in meta["choices"]:
            raise ConfigError(key, value, ", ".join(meta["choices"]), "not one of the choices")


def _limits_text(meta: Mapping[str, Any]) -> str:
    low, high = meta.get("low"), meta.get("high")
    lo = "" if low is None else (f"> {low}" if meta.get("low_open") else f">= {low}")
    hi = "" if high is None else f"<= {high}"
    return " and ".join(p for p in (lo, hi) if p) or "any value"


def limits_text(meta: dict) -> str:
    """Human-readable limits of a parameter, for messages and the parameter table."""
    if meta.get("choices"):
        return "one of " + ", ".join(meta["choices"])
    return _limits_text(meta)


@functools.cache
def _schema(cls: type) -> tuple[dict[str, Any], dict[str, dataclasses.Field]]:
    """The resolved annotations and the fields of a parameter dataclass, once per class (read-only).

    ``typing.get_type_hints`` evaluates every string annotation anew (the parameter dataclasses are
    declared under ``from __future__ import annotations``): three quarters of a configuration's
    validation, paid when it is composed (each variant of a sweep) and again when each model is built.
    """
    return typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls)}


def from_dict[T](cls: type[T], data: dict, prefix: str = "") -> T:
    """Build the dataclass ``cls`` from a mapping, rejecting unknown keys and bad values.

    Args:
        cls: A parameter dataclass.
        data: Values by field name; missing fields keep their defaults.
        prefix: Dotted path of ``cls`` in the whole configuration, for messages.

    Raises:
        ConfigError: naming the first offending key.
    """
    hints, fields = _schema(cls)
    for key in data:
        if key not in fields:
            path = f"{prefix}.{key}" if prefix else str(key)
            raise ConfigError(path, data[key], "the keys listed in docs/parameters.md", "unknown key")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            continue
        path = f"{prefix}.{name}" if prefix else name
        value = _coerce(data[name], hints[name], path)
        _check_limits(value, f.metadata, path)
        kwargs[name] = value
    obj = cls(**kwargs)
    _check_rules(obj, prefix)
    return obj


def _check_rules(obj: Any, prefix: str) -> None:
    """Cross-field rules that single-field limits cannot express: a dataclass's ``check`` method."""
    check = getattr(obj, "check", None)
    if callable(check):
        check(f"{prefix}." if prefix else "")


def validate[T](obj: T, prefix: str = "") -> T:
    """Re-check a dataclass built in Python (not through :func:`from_dict`)."""
    return from_dict(type(obj), dataclasses.asdict(obj), prefix)


def to_dict(obj: Any) -> dict:
    """Plain nested dictionary of a parameter dataclass (for YAML and JSON)."""
    return dataclasses.asdict(obj)


def _optional_dataclass(tp: Any) -> type | None:
    """The dataclass in ``Optional[SomeDataclass]``, else None."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and dataclasses.is_dataclass(args[0]):
            return args[0]
    return None


def iter_params(cls: type, prefix: str = ""):
    """Yield (dotted key, field, default) for every leaf parameter of ``cls``.

    Optional sections (policies, off by default) are described by their own fields.
    """
    instance = cls()
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        path = f"{prefix}.{f.name}" if prefix else f.name
        value = getattr(instance, f.name)
        optional = _optional_dataclass(hints[f.name])
        if dataclasses.is_dataclass(value):
            yield from iter_params(type(value), path)
        elif optional is not None and value is None:
            yield from iter_params(optional, path)
        else:
            yield path, f, value

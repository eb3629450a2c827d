"""One error for a bad argument anywhere in the core: which field, and what is wrong with it.

The path is structured (``("optimizers", 0, "lr")``), so the web layer reports it as a
location without parsing the message; ``str(err)`` reads ``optimizers[0].lr: must be …`` for
a person at a prompt.  A ``FieldError`` is a ``ValueError``: callers that catch that keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

Loc = tuple[str | int, ...]


def format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class FieldError(ValueError):
    """A bad value for one field: ``loc`` is its path in the call's arguments, ``msg`` says why."""

    def __init__(self, loc: str | Sequence[str | int], msg: str) -> None:
        self.loc: Loc = (loc,) if isinstance(loc, str) else tuple(loc)
        self.msg = msg
        super().__init__(f"{format_loc(self.loc)}: {msg}" if self.loc else msg)

    def within(self, *prefix: str | int) -> FieldError:
        """The same error seen from an enclosing argument (``custom`` around ``domain``)."""
        return FieldError((*prefix, *self.loc), self.msg)

    def rebased(self, root: str, prefix: Sequence[str | int]) -> FieldError:
        """The same error where the object that called itself ``root`` sits at ``prefix``
        (a configuration is "optimizer" on its own and ``optimizers[2]`` in a run)."""
        rest = self.loc[1:] if self.loc[:1] == (root,) else self.loc
        return FieldError((*prefix, *rest), self.msg)

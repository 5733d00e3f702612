"""Laboratory units: each measure's unit, read from the ontology, and values in other UCUM units
converted into it on reading, by a maintained UCUM library (ucumvert, on pint).

The ontology states the unit every value of a measure is compared in (``gk:unit`` on ``gk:ANC``,
``gk:PLT``, ``gk:HB``, ``gk:WBC`` and on ``gk:donorChimerismPct``: ``10*9/L``, ``g/L``, ``%``). A value
a reader meets in another unit is converted into that one when the two are commensurable
(``10*3/uL``, ``/uL`` and ``/mm3`` to ``10*9/L``; ``g/dL`` to ``g/L``); a haemoglobin given as a substance
concentration (``mmol/L``) converts through the molar mass the ontology states with its source
(``gk:molarMass`` on ``gk:HB``). The factor is the library's; nothing here holds one. A unit that is
not UCUM (``K/uL``), or that does not convert to the measure's (``g/L`` for a count), is left as it was
given: the readers' rules then refuse the value, and validation reports it (the measure's unit
shape), located to its file and line.

Example:
    >>> convert = units().converter()
    >>> convert("ANC", 1200.0, "/uL"), convert("HB", 9.5, "g/dL"), convert("ANC", 1.2, "10*9/L")
    ((1.2, '10*9/L'), (95.0, 'g/L'), (1.2, '10*9/L'))
    >>> convert("ANC", 1.2, "K/uL") is None
    True
    >>> units().problem("ANC", "K/uL")  # UCUM reads K as kelvin
    "'K/uL' does not convert to 10*9/L, the unit of ANC (thousands per microlitre are 10*3/uL)"
    >>> units().problem("HB", "g/100 mL")
    "'g/100 mL' is not a UCUM unit; HB is in g/L"
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rdflib import Graph, Literal, URIRef

from graftkg.rdf import GK, RDF
from graftkg.semantics.ontology import DEFAULT_PROFILE, load_ontology

__all__ = ["Units", "significant", "units"]

#: significant digits a converted value keeps: a factor such as 0.001 is not exact in binary, and
#: 1200 /uL should read 1.2, not 1.2000000000000002 (far beyond any laboratory's precision)
SIGNIFICANT_DIGITS = 12

#: measures whose unit is stated on the property that holds their value, not on a gk:Measure
_VALUE_PROPERTY_UNITS = {"donor_chimerism_pct": GK.donorChimerismPct}

#: a conversion of one (measure, unit): the factor, or why there is none
_Conversion = tuple[float | None, str | None]


def significant(value: float) -> float:
    """``value`` to :data:`SIGNIFICANT_DIGITS` significant digits (a product of binary floats).

    Example:
        >>> significant(1200 * 0.001), significant(0.45 * 1.2)
        (1.2, 0.54)
    """
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


class Units:
    """The unit of each measure and the conversions into it.

    ``unit_of`` maps a measure code to its UCUM unit. :meth:`converter` gives a function that
    converts one value, remembering each (measure, unit) it has met: make one per file read.
    """

    def __init__(self, graph: Graph) -> None:
        self.unit_of: dict[str, str] = {}
        self.molar_mass: dict[str, float] = {}
        inputs = graph.subjects(RDF.type, GK.CalculationInput)  # read to calculate a measure (see gk:Calculation)
        for measure in [*graph.subjects(RDF.type, GK.Measure), *inputs]:
            code, unit = graph.value(measure, GK.code), graph.value(measure, GK.unit)
            if isinstance(measure, URIRef) and isinstance(code, Literal) and isinstance(unit, Literal):
                self.unit_of[str(code)] = str(unit)
                mass = graph.value(measure, GK.molarMass)
                if isinstance(mass, Literal):
                    self.molar_mass[str(code)] = float(mass)
        for name, prop in _VALUE_PROPERTY_UNITS.items():
            stated = graph.value(prop, GK.unit)
            if isinstance(stated, Literal):
                self.unit_of[name] = str(stated)
        self._registry: Any = None

    def _ucum(self) -> Any:
        """The UCUM registry (loaded when a unit first needs converting: about half a second)."""
        if self._registry is None:
            from ucumvert import PintUcumRegistry

            self._registry = PintUcumRegistry()
        return self._registry

    def conversion(self, measure: str, unit: str) -> _Conversion:
        """The factor from ``unit`` to ``measure``'s unit, or None and why it has none.

        Example:
            >>> units().conversion("HB", "mmol/L")
            (16.1145, None)
            >>> units().conversion("PLT", "g/L")[1]
            "'g/L' does not convert to 10*9/L, the unit of PLT (thousands per microlitre are 10*3/uL)"
        """
        target = self.unit_of[measure]
        if unit == target:
            return 1.0, None
        registry = self._ucum()
        from lark.exceptions import LarkError
        from pint.errors import DimensionalityError, PintError

        hint = " (thousands per microlitre are 10*3/uL)" if target == "10*9/L" else ""
        try:
            given = registry.from_ucum(unit)
        except (LarkError, PintError):  # ucumvert's InvalidUcumError is a LarkError
            return None, f"'{unit}' is not a UCUM unit; {measure} is in {target}{hint}"
        ratio = given / registry.from_ucum(target)
        mass = self.molar_mass.get(measure)
        try:
            factor = float(ratio.to("dimensionless").magnitude)
        except DimensionalityError:
            factor = None
            if mass is not None:
                try:
                    factor = float((ratio * mass * registry.from_ucum("g/mol")).to("dimensionless").magnitude)
                except DimensionalityError:
                    factor = None
        if factor is None or not factor > 0:
            return None, f"'{unit}' does not convert to {target}, the unit of {measure}{hint}"
        return significant(factor), None

    def dimensionless(self, measure: str, value: float) -> float:
        """``value``, in ``measure``'s unit, as a pure number (a fraction in % divided by 100).

        Example:
            >>> units().dimensionless("neutrophil_pct", 45.0)
            0.45
        """
        factor = float(self._ucum().from_ucum(self.unit_of[measure]).to("dimensionless").magnitude)
        return significant(value * factor)

    def problem(self, measure: str, unit: str) -> str | None:
        """Why a value of ``measure`` in ``unit`` cannot be read, or None when it can."""
        if measure not in self.unit_of:
            return None
        return self.conversion(measure, unit)[1]

    def converter(self) -> Callable[[str, float | None, str], tuple[float | None, str] | None]:
        """A function ``(measure, value, unit) -> (value, unit)`` in the measure's unit, or None when
        ``unit`` does not convert (a measure without a unit of its own keeps its value and unit)."""
        met: dict[tuple[str, str], _Conversion] = {}

        def convert(measure: str, value: float | None, unit: str) -> tuple[float | None, str] | None:
            target = self.unit_of.get(measure)
            if target is None or unit == target:
                return value, unit
            found = met.get((measure, unit))
            if found is None:
                found = met[measure, unit] = self.conversion(measure, unit)
            factor = found[0]
            if factor is None:
                return None
            if value is None:
                return None, target
            return significant(value * factor), target

        return convert


@lru_cache(maxsize=1)
def units() -> Units:
    """The units of the ontology's measures (they do not depend on the definitions profile)."""
    return Units(load_ontology(DEFAULT_PROFILE))

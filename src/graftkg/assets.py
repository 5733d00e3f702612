"""Where the declarative asset folders are, in a checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """Return the folder of asset ``name`` (``ontology``, ``shapes`` or ``queries``).

    Example:
        >>> (asset_dir("ontology") / "graftkg.ttl").is_file()
        True
    """
    installed = _PACKAGE / "_assets" / name
    if installed.is_dir():
        return installed
    checkout = _PACKAGE.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"graftkg asset folder '{name}' not found (looked in {installed} and {checkout})")


def checkout_dir(name: str) -> Path | None:
    """The folder of asset ``name`` in the source checkout graftkg runs from, or None when graftkg runs
    installed (its assets inside the package).

    Example:
        >>> checkout_dir("ontology") is None or (checkout_dir("ontology") / "graftkg.ttl").is_file()
        True
    """
    if (_PACKAGE / "_assets" / name).is_dir():
        return None
    checkout = _PACKAGE.parent.parent / name
    return checkout if checkout.is_dir() else None


def ontology_files(profile: str) -> list[Path]:
    """Return the Turtle files that make up the ontology under definition ``profile``.

    Example:
        >>> [p.name for p in ontology_files("paper")][-1]
        'paper.ttl'
    """
    root = asset_dir("ontology")
    profile_file = profile_path(profile)
    if profile_file is None:
        raise FileNotFoundError(profile)
    return [*sorted(root.glob("*.ttl")), profile_file]


def profile_path(profile: str) -> Path | None:
    """The Turtle file of definition ``profile``: a shipped profile by name, or a ``.ttl`` file by its
    path (a profile of one's own); None when it is neither.

    Example:
        >>> profile_path("paper").name, profile_path("no-such-profile")
        ('paper.ttl', None)
    """
    shipped = asset_dir("ontology") / "profiles" / f"{profile}.ttl"
    if profile in profiles() and shipped.is_file():
        return shipped
    if profile.endswith(".ttl") and Path(profile).is_file():
        return Path(profile)
    return None


def knowledge_files() -> list[Path]:
    """Return the Turtle files of the knowledge base: the cited evidence and the recommendations.

    Example:
        >>> [p.name for p in knowledge_files()]
        ['evidence.ttl', 'recommendations.ttl']
    """
    return sorted((asset_dir("ontology") / "knowledge").glob("*.ttl"))


def query_files() -> list[Path]:
    """Return the named SPARQL queries (``queries/*.rq``), sorted by name.

    Example:
        >>> "recommendations-for-transplant" in [p.stem for p in query_files()]
        True
    """
    return sorted(asset_dir("queries").glob("*.rq"))


def profiles() -> list[str]:
    """Return the names of the definition profiles shipped with graftkg.

    Example:
        >>> profiles()
        ['astct-2021', 'paper']
    """
    return sorted(p.stem for p in (asset_dir("ontology") / "profiles").glob("*.ttl"))

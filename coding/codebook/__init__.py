"""The codebook: models and validation (:mod:`.models`), YAML reading and writing (:mod:`.io`)."""

from coding.codebook.io import dump_codebook, load_codebook, parse_codebook, save_codebook
from coding.codebook.models import Code, Codebook, Concept, Example, Exclusion, Rule, RuleDefaults, Veto, compiled_regex

__all__ = ["Code", "Codebook", "Concept", "Example", "Exclusion", "Rule", "RuleDefaults", "Veto", "compiled_regex",
           "dump_codebook", "load_codebook", "parse_codebook", "save_codebook"]

"""tests/contract_tests: make the mutant and runner helpers importable by their plain names."""

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

"""The built-in minor-digits table (domain/currency_table.py) against the `iso4217` package:
every three-letter code gives the same digits or the same refusal, so reading an expense with
a foreign original never needs the package's XML, and the answers never differ from it."""

from itertools import product
from string import ascii_uppercase

import pytest
from iso4217 import Currency

from expense_cli.domain.money import currency_digits
from expense_cli.domain.validation import InvalidValue


def _package(code: str) -> int | str:
    """What the package says: the digits, or why the code cannot hold expenses."""
    try:
        exponent = Currency(code.upper()).exponent
    except ValueError:
        return "unknown"
    return "no minor unit" if exponent is None else int(exponent)


def _ours(code: str) -> int | str:
    try:
        return currency_digits(code)
    except InvalidValue as exc:
        return "no minor unit" if "no minor unit" in str(exc) else "unknown"


def test_every_three_letter_code_answers_as_the_package_does() -> None:
    codes = ["".join(letters) for letters in product(ascii_uppercase, repeat=3)]
    differ = {
        code: (_ours(code), _package(code)) for code in codes if _ours(code) != _package(code)
    }
    assert differ == {}


def test_the_table_is_read_without_the_package() -> None:
    """Every code of the table answers from it: the package is not even imported."""
    import subprocess
    import sys

    probe = (
        "import sys; from expense_cli.domain.currency_table import DIGITS; "
        "from expense_cli.domain.money import currency_digits; "
        "[currency_digits(c) for c, d in DIGITS.items() if d is not None]; "
        "print('iso4217' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(("code", "digits"), [("usd", 2), ("JPY", 0), ("bhd", 3), ("CLF", 4)])
def test_known_codes_in_any_case(code: str, digits: int) -> None:
    assert currency_digits(code) == digits


@pytest.mark.parametrize(
    ("code", "message"),
    [("usx", "'usx' is not an ISO 4217 currency code"),
     ("XAU", "XAU has no minor unit and cannot hold expenses"),
     ("US", "'US' is not an ISO 4217 currency code")],
)  # fmt: skip
def test_refusals_keep_their_messages(code: str, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        currency_digits(code)

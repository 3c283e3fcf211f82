# SPDX-License-Identifier: BSL-1.0
"""Kubernetes resource quantities (cpu: 100m, memory: 0.5Gi), parsed as the API server parses
them (k8s.io/apimachinery/pkg/api/resource, quantity.go), into exact fractions: a manifest's
requests and limits can then be compared without rounding, and a quantity the API server
refuses is refused here with its message.

    <quantity>        ::= <signedNumber><suffix>
    <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>
"""
import re
from fractions import Fraction

# quantity.go's errors, word for word.
FORMAT_WRONG = ("quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
NUMERIC = "unable to parse numeric part of quantity"
SUFFIX = "unable to parse quantity's suffix"

FORMAT = re.compile(r"([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
EXPONENT = re.compile(r"[eE]([+-]?\d+)")
BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
DECIMAL = {"m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
# A client that writes one of these meant another unit; said beside the API server's message.
HINTS = {"mc": "m (millicores)", "Mb": "Mi or M", "MB": "Mi or M", "MiB": "Mi", "GB": "Gi or G", "GiB": "Gi",
         "Gb": "Gi or G", "KB": "Ki or k", "KiB": "Ki", "K": "Ki or k", "ki": "Ki", "mi": "Mi", "gi": "Gi"}


class QuantityError(ValueError):
    pass


def parse(text) -> Fraction:
    """The exact value of a quantity; QuantityError with the API server's message if it has none."""
    if not isinstance(text, str):
        # YAML's 1 or 0.5: the API server takes numbers too, but the strict schema wants strings.
        if isinstance(text, bool) or not isinstance(text, (int, float)):
            raise QuantityError(FORMAT_WRONG)
        text = str(text)
    m = FORMAT.fullmatch(text)
    if not m:
        raise QuantityError(FORMAT_WRONG + hint(text))
    number, suffix = m.groups()
    if not NUMBER.fullmatch(number):
        raise QuantityError(NUMERIC)
    value = Fraction(number.lstrip("+") if number.lstrip("+-") != "." else "0")
    if suffix in BINARY:
        return value * 1024 ** BINARY[suffix]
    if suffix in DECIMAL:
        return value * Fraction(10) ** DECIMAL[suffix]
    exponent = EXPONENT.fullmatch(suffix)
    if exponent:
        return value * Fraction(10) ** int(exponent.group(1))
    raise QuantityError(SUFFIX + hint(text))


def hint(text: str) -> str:
    suffix = re.sub(r"^[+-]?[0-9.]*", "", text)
    return f" ('{suffix}': did you mean {HINTS[suffix]}?)" if suffix in HINTS else ""


"""schemathesis hooks for the Synclet fuzz run (loaded through SCHEMATHESIS_HOOKS).

Two request media types of the API document have no built-in serializer: tus PATCH
bodies are raw bytes, NDJSON usage batches are text.
"""
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

# Python 3.11 before 3.11.5 (Debian 12 ships 3.11.2) sometimes raises SystemError ("AST
# constructor recursion depth mismatch", CPython gh-106905) from ast.parse when hypothesis
# parses a lambda's source only to print its description; once it ended a fuzz run with a
# tool error unrelated to the server. The description is cosmetic: fall back to hypothesis's
# own "<unknown>" form instead. Generation and every check are unchanged.
from hypothesis.internal import lambda_sources as _lambda_sources

_describe_lambda = _lambda_sources._lambda_description


def _describe_lambda_safely(f, *args, **kwargs):
    try:
        return _describe_lambda(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


_lambda_sources._lambda_description = _describe_lambda_safely

"""schemathesis hooks for the Synclet fuzz run (loaded through SCHEMATHESIS_HOOKS).

Two request media types of the API document have no built-in serializer: tus PATCH
bodies are raw bytes, NDJSON usage batches are text.
"""
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
schemathesis.serializer.alias("application/x-ndjson", "text/plain")
